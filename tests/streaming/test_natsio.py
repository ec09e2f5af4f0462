"""The NATS frame parser and JetStream reply subjects."""

from __future__ import annotations

import pytest

from scamlens.errors import SourceError
from scamlens.streaming.natsio import (
    Frame,
    ack_frames,
    parse_frames,
    status_code,
    stream_pending,
    stream_sequence,
)

MSG = b"MSG t.a 1 $JS.ACK.S.c.1.7.7.1700000000.3 5\r\nhello\r\n"
_STATUS = b"NATS/1.0 408 Request Timeout\r\n\r\n"
HMSG = b"HMSG _INBOX.x.1 1 %d %d\r\n%s\r\n" % (len(_STATUS), len(_STATUS), _STATUS)


def test_parse_frames_splits_messages_and_control_lines() -> None:
    frames: list[Frame] = []
    buf = b"PING\r\n" + MSG + b"+OK\r\n"
    assert parse_frames(buf, frames) == len(buf)
    assert [f.op for f in frames] == [b"PING", b"MSG", b"+OK"]
    assert frames[1].subject == b"t.a"
    assert frames[1].reply == b"$JS.ACK.S.c.1.7.7.1700000000.3"
    assert frames[1].payload == b"hello"


def test_parse_frames_keeps_an_incomplete_frame_for_later() -> None:
    frames: list[Frame] = []
    # Cut inside the payload, then inside the closing CRLF: nothing is consumed.
    for cut in (len(MSG) - 4, len(MSG) - 1):
        assert parse_frames(MSG[:cut], frames) == 0
    assert frames == []
    assert parse_frames(MSG + MSG[:10], frames) == len(MSG)
    assert len(frames) == 1


def test_parse_frames_reads_payloads_containing_crlf() -> None:
    body = b"a\r\nb"
    frame = b"MSG s 1 " + str(len(body)).encode() + b"\r\n" + body + b"\r\n"
    frames: list[Frame] = []
    assert parse_frames(frame, frames) == len(frame)
    assert frames[0].payload == body and frames[0].reply == b""


def test_parse_frames_separates_headers_from_payload() -> None:
    frames: list[Frame] = []
    parse_frames(HMSG, frames)
    assert frames[0].op == b"HMSG"
    assert frames[0].reply == b""
    assert status_code(frames[0].headers) == 408
    assert frames[0].payload == b""


@pytest.mark.parametrize(
    ("reply", "sequence"),
    [
        # The pre-2.9 form: stream, consumer, delivered, stream seq, consumer seq...
        (b"$JS.ACK.S.c.1.42.40.1700000000.0", 42),
        # The newer form adds domain and account hash, and a trailing token.
        (b"$JS.ACK._.ACCHASH.S.c.2.43.41.1700000000.0.tok", 43),
    ],
)
def test_stream_sequence_reads_both_reply_forms(reply: bytes, sequence: int) -> None:
    assert stream_sequence(reply) == sequence


def test_stream_sequence_rejects_other_subjects() -> None:
    with pytest.raises(SourceError):
        stream_sequence(b"_INBOX.abc")


def test_ack_frames_acknowledges_each_reply() -> None:
    assert ack_frames([b"r.1", b"r.2"]) == b"PUB r.1 4\r\n+ACK\r\nPUB r.2 4\r\n+ACK\r\n"
    assert status_code(b"plain") is None


@pytest.mark.parametrize(
    ("reply", "pending"),
    [
        (b"$JS.ACK.S.c.1.42.40.1700000000.17", 17),
        (b"$JS.ACK._.ACCHASH.S.c.2.43.41.1700000000.250000.tok", 250_000),
        (b"_INBOX.abc", 0),
    ],
)
def test_stream_pending_reads_the_backlog_after_a_message(
    reply: bytes, pending: int
) -> None:
    assert stream_pending(reply) == pending

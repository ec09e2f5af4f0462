"""``scamlens stream --replay``: a file onto JetStream, in order, at N x real time."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from pathlib import Path

import nats
import nats.js.errors
import pytest

from .conftest import records_json

pytestmark = pytest.mark.services

URL = "nats://127.0.0.1:4222"


async def _messages(stream: str) -> list[bytes]:
    nc = await nats.connect(URL)
    js = nc.jetstream()
    try:
        info = await js.stream_info(stream)
        return [
            (await js.get_msg(stream, seq)).data or b""
            for seq in range(info.state.first_seq, info.state.last_seq + 1)
        ]
    finally:
        await js.delete_stream(stream)
        await nc.close()


def test_replay_publishes_the_file_in_order_at_the_asked_speed(
    tmp_path: Path, cli
) -> None:
    token = uuid.uuid4().hex[:10]
    subject, stream = f"sltest.{token}", f"SLTEST_REPLAY_{token}"
    lines = [
        records_json(outreach_id=f"OR-{i}", initiated_at=f"2025-03-03T10:0{i}:00+08:00")
        for i in range(4)
    ]
    lines.insert(2, "garbage 13800138000")
    lines.insert(
        3, records_json(outreach_id="OR-late", initiated_at="2025-03-03T09:00:00+08:00")
    )
    path = tmp_path / "day.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    started = time.monotonic()
    # Three minutes of records at 100x: about 1.8 s; the late record waits for nothing.
    result = cli(
        "stream",
        "--source",
        URL,
        "--subject",
        subject,
        "--stream",
        stream,
        "--replay",
        str(path),
        "--speed",
        "100",
    )
    elapsed = time.monotonic() - started
    assert result.exit_code == 0, result.stderr
    assert "published 6 records" in result.stderr
    assert 1.7 <= elapsed < 10
    bodies = asyncio.run(_messages(stream))
    assert len(bodies) == 6
    ids = [json.loads(b)["outreach_id"] if b.startswith(b"{") else None for b in bodies]
    assert ids == ["OR-0", "OR-1", None, "OR-late", "OR-2", "OR-3"]
    assert b"13800138000" not in bodies[2] and b"<phone:" in bodies[2]
    assert json.loads(bodies[0]) == json.loads(lines[0])


@pytest.mark.parametrize("replay", [False, True])
def test_an_unreachable_nats_server_is_one_line_not_a_hang(
    tmp_path: Path, cli, replay: bool
) -> None:
    # Nothing listens on port 1: nats-py would retry such a first connection
    # forever unless told otherwise.
    path = tmp_path / "day.jsonl"
    path.write_text(records_json(outreach_id="OR-1") + "\n", encoding="utf-8")
    args = ["--replay", str(path)] if replay else ["--until-idle", "1"]
    started = time.monotonic()
    result = cli(
        "stream", "--source", "nats://127.0.0.1:1", "--subject", "sltest.x", *args
    )
    assert time.monotonic() - started < 15
    assert result.exit_code == 1, result.stderr
    assert "Traceback" not in result.stderr
    errors = [x for x in result.stderr.splitlines() if x.startswith("error:")]
    assert len(errors) == 1
    assert errors[0].startswith("error: cannot connect to NATS at nats://127.0.0.1:1")


async def _drop_streams_of(subject: str) -> None:
    """Delete the stream a test made for ``subject``, if the server made one."""
    nc = await nats.connect(URL)
    js = nc.jetstream()
    try:
        name = await js.find_stream_name_by_subject(subject)
        await js.delete_stream(name)
    except (nats.js.errors.NotFoundError, nats.js.errors.BadRequestError):
        pass
    finally:
        await nc.close()


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (
            ["--subject", "sl test"],
            "JetStream refused subject `sl test`: invalid subject",
        ),
        (
            ["--subject", "sltest.badname", "--stream", "bad name!"],
            "or stream `bad name!`",
        ),
        (
            ["--subject", "sltest.baddurable", "--durable", "a.b"],
            "JetStream refused durable consumer `a.b`",
        ),
    ],
)
def test_names_jetstream_refuses_are_usage_errors(
    tmp_path: Path, cli, args: list[str], needle: str
) -> None:
    result = cli("stream", "--source", URL, *args, "--until-idle", "1")
    asyncio.run(_drop_streams_of(args[1]))
    assert result.exit_code == 2, result.stderr
    assert "Traceback" not in result.stderr
    errors = [x for x in result.stderr.splitlines() if x.startswith("error:")]
    assert len(errors) == 1 and needle in errors[0], result.stderr

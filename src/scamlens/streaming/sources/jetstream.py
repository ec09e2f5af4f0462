"""NATS JetStream: a durable pull consumer with explicit acks, read in order.

The warehouse, not the consumer, is the source of truth of how far the stream was
read: ``stream_positions`` holds the last stream sequence committed, and at start the
durable consumer is made to deliver from the next one (:mod:`.jsadmin`). Messages at
or below the committed sequence that arrive anyway are
acknowledged and skipped; a redelivery of a message already handed out in this run is
skipped (its first delivery is acknowledged after its commit).

A reader thread keeps one pull request outstanding while the buffer has room, so the
server streams the next messages while the engine commits the previous micro-batch;
its socket protocol is in :mod:`scamlens.streaming.natsio`. Decoding JSON happens on
the reader thread too, on its own in-memory DuckDB connection, in parallel with the
engine's transaction on the warehouse.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from scamlens.errors import SourceError, UsageError
from scamlens.privacy.redact import Redactor
from scamlens.streaming.decode import decode_json_messages, payload_texts
from scamlens.streaming.natsio import (
    Frame,
    NatsSocket,
    ack_frames,
    status_code,
    stream_sequence,
)
from scamlens.streaming.sources.base import Pulled, StreamSource
from scamlens.streaming.sources.jsadmin import ACK_POLICIES, prepare_consumer

__all__ = ["JetStreamSource"]

logger = logging.getLogger(__name__)


@dataclass
class _Chunk:
    """Messages decoded together: stream sequences, reply subjects, text batch."""

    seqs: list[int]
    replies: list[bytes]
    records: pa.Table
    received: float
    """``time.monotonic()`` when the messages arrived."""

    def split(self, n: int) -> tuple[_Chunk, _Chunk]:
        head = self.records.slice(0, n)
        tail = self.records.slice(n)
        return (
            _Chunk(self.seqs[:n], self.replies[:n], head, self.received),
            _Chunk(self.seqs[n:], self.replies[n:], tail, self.received),
        )


class JetStreamSource(StreamSource):
    """Records as JSON messages on a JetStream subject."""

    kind = "nats"

    def __init__(
        self,
        url: str,
        subject: str,
        *,
        redactor: Redactor,
        stream: str | None = None,
        durable: str = "scamlens",
        ack: str = "explicit",
        pull_batch: int = 10_000,
        buffer_limit: int = 200_000,
        expires_seconds: float = 1.0,
    ) -> None:
        if ack not in ACK_POLICIES:
            raise UsageError(f"--ack `{ack}` is unknown; expected explicit or all")
        self.url = url
        self.subject = subject
        self.stream = stream
        self.durable = durable
        self.ack = ack
        self.redactor = redactor
        self.pull_batch = pull_batch
        self.buffer_limit = buffer_limit
        self.expires_ns = int(expires_seconds * 1e9)
        self._conn: NatsSocket | None = None
        self._reader: threading.Thread | None = None
        self._cond = threading.Condition()
        self._queue: deque[_Chunk] = deque()
        self._buffered = 0
        self._error: BaseException | None = None
        self._stopping = False
        self._last = 0
        self._decoder = duckdb.connect()
        self._decoder.execute("SET threads = 1")

    @property
    def key(self) -> str:
        # The subject, not the stream: the stream may only be known after open().
        host = self.url.split("@")[-1]
        return f"{host}/{self.subject}"

    def describe(self) -> str:
        return f"JetStream subject {self.subject} at {self.url.split('@')[-1]}"

    # -- set-up ------------------------------------------------------------------

    def open(self, position: dict[str, Any] | None) -> None:
        committed = int(position["seq"]) if position else 0
        setup = asyncio.run(
            prepare_consumer(
                self.url, self.subject, self.stream, self.durable, self.ack, committed
            )
        )
        if position and position.get("stream") != setup.stream:
            raise SourceError(
                f"the warehouse read subject `{self.subject}` from stream "
                f"`{position.get('stream')}`, but it is now captured by "
                f"`{setup.stream}`;"
                " stream sequences differ, so use a fresh warehouse for the new stream"
            )
        self.stream = setup.stream
        if committed > setup.last_seq:
            raise SourceError(
                f"the warehouse read stream `{setup.stream}` up to sequence "
                f"{committed} but the stream ends at {setup.last_seq}; it was "
                "recreated, so use a fresh warehouse for it"
            )
        if committed and setup.first_seq > committed + 1:
            logger.error(
                "stream %s starts at sequence %d but the warehouse has read up to %d: "
                "messages %d..%d were removed before they were read",
                setup.stream,
                setup.first_seq,
                committed,
                committed + 1,
                setup.first_seq - 1,
            )
        self._last = committed
        self._conn = NatsSocket(self.url)
        self._conn.subscribe(self._conn.inbox_prefix + b".*")
        self._reader = threading.Thread(
            target=self._read_loop, name="jetstream-reader", daemon=True
        )
        self._reader.start()
        logger.info(
            "reading stream %s subject %s from sequence %d (last in stream %d)",
            setup.stream,
            self.subject,
            committed + 1,
            setup.last_seq,
        )

    # -- the reader thread ---------------------------------------------------------

    def _request(self, conn: NatsSocket, inbox: bytes, batch: int) -> None:
        request = json.dumps({"batch": batch, "expires": self.expires_ns})
        conn.publish(
            f"$JS.API.CONSUMER.MSG.NEXT.{self.stream}.{self.durable}".encode(),
            request.encode(),
            inbox,
        )

    def _read_loop(self) -> None:
        conn = self._conn
        assert conn is not None
        counter = 0
        inbox: bytes | None = None
        remaining = 0
        deadline = 0.0
        try:
            while not self._stopping:
                with self._cond:
                    room = self.buffer_limit - self._buffered
                if inbox is not None and time.monotonic() > deadline:
                    # The server normally ends an expired request with a 408, but
                    # not always; never wait on a request it no longer holds.
                    logger.debug("pull request %d passed its expiry", counter)
                    inbox = None
                if inbox is None and room > 0:
                    counter += 1
                    inbox = conn.inbox_prefix + b"." + str(counter).encode()
                    remaining = min(self.pull_batch, room)
                    self._request(conn, inbox, remaining)
                    deadline = time.monotonic() + self.expires_ns / 1e9 + 0.25
                    logger.debug("pull request %d for %d messages", counter, remaining)
                got: list[Frame] = []
                for frame in conn.read_frames():
                    if frame.reply:
                        # Delivered messages keep their own subject; only status
                        # messages come on the request's inbox.
                        got.append(frame)
                        remaining -= 1
                        if remaining == 0:
                            inbox = None
                    elif frame.op == b"-ERR":
                        raise SourceError(
                            f"NATS error: {frame.payload.decode(errors='replace')}"
                        )
                    elif frame.subject == inbox and status_code(frame.headers) in (
                        404,
                        408,
                        409,
                    ):
                        logger.debug(
                            "pull request %d ended: %r", counter, frame.headers
                        )
                        inbox = None
                    else:
                        logger.debug("ignored frame %r %r", frame.op, frame.headers)
                if got:
                    self._push(self._decode(got))
        except BaseException as exc:  # handed to the main thread, which raises it
            with self._cond:
                self._error = exc
                self._cond.notify_all()

    def _decode(self, frames: list[Frame]) -> _Chunk:
        """Decode on the reader thread, in parallel with the engine's commit."""
        received = time.monotonic()
        texts = payload_texts([f.payload for f in frames])
        return _Chunk(
            [stream_sequence(f.reply) for f in frames],
            [f.reply for f in frames],
            decode_json_messages(self._decoder, texts, self.redactor),
            received,
        )

    def _push(self, chunk: _Chunk) -> None:
        with self._cond:
            self._queue.append(chunk)
            self._buffered += len(chunk.seqs)
            self._cond.notify_all()

    # -- polling -------------------------------------------------------------------

    def _take(self, max_records: int, max_seconds: float) -> list[_Chunk]:
        with self._cond:
            if not self._queue and self._error is None:
                self._cond.wait(0.25)
            if self._error is not None:
                raise self._error
            if not self._queue:
                return []
            # The micro-batch closes max_seconds after its oldest message arrived.
            deadline = self._queue[0].received + max_seconds
            while self._buffered < max_records and self._error is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            taken: list[_Chunk] = []
            wanted = max_records
            while self._queue and wanted > 0:
                chunk = self._queue.popleft()
                if len(chunk.seqs) > wanted:
                    chunk, rest = chunk.split(wanted)
                    self._queue.appendleft(rest)
                taken.append(chunk)
                wanted -= len(chunk.seqs)
                self._buffered -= len(chunk.seqs)
            return taken

    def poll(self, max_records: int, max_seconds: float) -> Pulled | None:
        taken = self._take(max_records, max_seconds)
        if not taken:
            return None
        seqs = np.concatenate([np.asarray(c.seqs, dtype=np.int64) for c in taken])
        replies = [r for c in taken for r in c.replies]
        fresh = seqs > self._last
        stale = [r for r, keep in zip(replies, fresh, strict=True) if not keep]
        if stale and self._conn is not None:
            # At or below what is committed or handed out: acknowledge, skip.
            self._conn.write(ack_frames(stale))
        if not fresh.any():
            return None
        records = pa.concat_tables([c.records for c in taken])
        if not fresh.all():
            records = records.filter(pa.array(fresh))
            replies = [r for r, keep in zip(replies, fresh, strict=True) if keep]
        self._last = int(seqs[fresh].max())
        return Pulled(
            records=records,
            position={"stream": self.stream, "seq": self._last},
            items=len(replies),
            token=replies,
            last_item=self._last,
        )

    def committed(self, pulled: Pulled) -> None:
        if self._conn is None or not pulled.token:
            return
        replies: list[bytes] = pulled.token
        self._conn.write(
            ack_frames(replies if self.ack == "explicit" else replies[-1:])
        )

    def close(self) -> None:
        self._stopping = True
        if self._reader is not None:
            self._reader.join(timeout=2)
        if self._conn is not None:
            self._conn.close()
        self._decoder.close()

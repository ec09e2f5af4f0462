"""NATS JetStream: a durable pull consumer with explicit acks, read in order.

The warehouse, not the consumer, is the source of truth of how far the stream was
read: ``stream_positions`` holds the last stream sequence committed, and at start the
durable consumer is made to deliver from the next one (:mod:`.jsadmin`). Messages at
or below the committed sequence that arrive anyway are
acknowledged and skipped; a redelivery of a message already handed out in this run is
skipped (its first delivery is acknowledged after its commit). A message may carry
many records (a JSON array or JSON Lines); they are never parted between
micro-batches, so a message's records are committed, and it is acknowledged, at once.

A reader thread keeps one pull request outstanding while the buffer has room, so the
server streams the next messages while the engine commits the previous micro-batch;
its socket protocol is in :mod:`scamlens.streaming.natsio`. Decoding JSON (and, for
big chunks, landing and parsing) happens on a decoder thread (two while catching up
with a backlog), each on its own in-memory DuckDB connection, in parallel with the
engine's transaction on the warehouse; chunks are handed to the engine in read
order. While the stream holds a
backlog (the pending count in the reply subjects), a poll waits for a full
micro-batch rather than closing it after ``max_seconds``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import queue
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
from scamlens.streaming.decode import (
    decode_json_messages,
    payload_texts,
    split_messages,
)
from scamlens.streaming.natsio import (
    Frame,
    NatsSocket,
    ack_frames,
    status_code,
    stream_pending,
    stream_sequence,
)
from scamlens.streaming.prepare import Prepared, decoder_connection, prepare_records
from scamlens.streaming.sources.base import Pulled, StreamSource
from scamlens.streaming.sources.jsadmin import ACK_POLICIES, prepare_consumer

__all__ = ["JetStreamSource"]

logger = logging.getLogger(__name__)

_PULL_BYTES = 8 << 20
"""Bytes one pull request may deliver (the server's pending limit is 64 MB)."""
_CATCH_UP_WAIT_SECONDS = 5.0
"""How long a micro-batch may wait to be full while the stream has a backlog."""
_DECODERS = 2
"""Decoder threads (each with its own DuckDB connection; DuckDB releases the GIL).
All but the first work only while catching up (see ``_decode_loop``)."""
_CATCH_UP_PENDING_RECORDS = 20_000
"""Records still pending in the stream from which the consumer is catching up."""
_PREPARE_MIN_RECORDS = 2048
"""Decoders also prepare (land and parse) the records of a chunk this big (catching
up: decoding then takes ~0.1 s of reading at once). A live trickle comes in small
chunks and is left to the engine, which lands and parses a whole micro-batch at
once: preparing a chunk has a fixed cost (planning the parse SQL) of tens of ms."""
_DECODE_BYTES = 16 << 20
_DECODE_WAIT_SECONDS = 0.1
"""Messages are decoded together up to this many bytes or this long after the first
of them arrived; at once when the engine waits for records or none are waiting on
the socket."""


@dataclass
class _Chunk:
    """Messages decoded together: per message its stream sequence, reply subject and
    number of records; the records of all of them in one text batch."""

    seqs: list[int]
    replies: list[bytes]
    counts: np.ndarray
    records: pa.Table
    prepared: Prepared | None
    received: float
    """``time.monotonic()`` when the messages arrived."""
    pending: int = 0
    """Messages the stream held for the consumer after the last of these."""

    @property
    def size(self) -> int:
        """Records in the chunk."""
        return self.records.num_rows

    def split(self, n: int) -> tuple[_Chunk, _Chunk]:
        """The first messages holding at most ``n`` records (at least one message),
        and the rest: a message's records are never parted."""
        ends = np.cumsum(self.counts)
        k = max(1, int(np.searchsorted(ends, n, side="right")))
        rows = int(ends[k - 1])
        return (
            _Chunk(
                self.seqs[:k],
                self.replies[:k],
                self.counts[:k],
                self.records.slice(0, rows),
                self.prepared.slice(0, rows) if self.prepared else None,
                self.received,
                self.pending + len(self.seqs) - k,
            ),
            _Chunk(
                self.seqs[k:],
                self.replies[k:],
                self.counts[k:],
                self.records.slice(rows),
                self.prepared.slice(rows) if self.prepared else None,
                self.received,
                self.pending,
            ),
        )


class JetStreamSource(StreamSource):
    """Records as JSON messages on a JetStream subject, one or many per message
    (see :func:`scamlens.streaming.decode.split_messages`).

    Given the pseudonymisation ``key``, the decoder threads also land and parse the
    records of big chunks (:mod:`scamlens.streaming.prepare`); otherwise the engine
    does, in its transaction.
    """

    kind = "nats"

    def __init__(
        self,
        url: str,
        subject: str,
        *,
        redactor: Redactor,
        key: bytes | None = None,
        stream: str | None = None,
        durable: str = "scamlens",
        ack: str = "explicit",
        pull_batch: int = 10_000,
        buffer_limit: int = 250_000,
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
        self._hmac_key = key
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
        self._per_message = 1
        """Records per message in the last decoded messages (rounded, at least 1)."""
        self._decoders = [decoder_connection() for _ in range(_DECODERS)]
        self._jobs: queue.Queue[tuple[int, list[Frame]] | None] = queue.Queue(
            maxsize=2 * _DECODERS
        )
        self._decoded: dict[int, _Chunk] = {}
        self._submitted = 0
        self._delivered = 0
        self._workers: list[threading.Thread] = []
        self._catching_up = False

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
        for n, con in enumerate(self._decoders):
            worker = threading.Thread(
                target=self._decode_loop,
                args=(con, n > 0),
                name=f"jetstream-decoder-{n}",
                daemon=True,
            )
            worker.start()
            self._workers.append(worker)
        logger.info(
            "reading stream %s subject %s from sequence %d (last in stream %d)",
            setup.stream,
            self.subject,
            committed + 1,
            setup.last_seq,
        )

    # -- the reader thread ---------------------------------------------------------

    def _request(self, conn: NatsSocket, inbox: bytes, batch: int) -> None:
        # max_bytes keeps a pull of big (many-record) messages within what the
        # server lets one client have pending; it then ends the request with a 409.
        request = json.dumps(
            {"batch": batch, "expires": self.expires_ns, "max_bytes": _PULL_BYTES}
        )
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
        got: list[Frame] = []
        got_bytes = 0
        since = 0.0
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
                    # The buffer counts records; a pull asks for messages.
                    remaining = min(self.pull_batch, max(1, room // self._per_message))
                    self._request(conn, inbox, remaining)
                    deadline = time.monotonic() + self.expires_ns / 1e9 + 0.25
                    logger.debug("pull request %d for %d messages", counter, remaining)
                for frame in conn.read_frames():
                    if frame.reply:
                        # Delivered messages keep their own subject; only status
                        # messages come on the request's inbox.
                        if not got:
                            since = time.monotonic()
                        got.append(frame)
                        got_bytes += len(frame.payload)
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
                # Decoding has a fixed cost per call (planning its SQL), so messages
                # are decoded together while the engine is busy and more arrive.
                # Nothing is handed over while a job already waits for a decoder.
                if got and (
                    got_bytes >= _DECODE_BYTES
                    or (
                        self._jobs.empty()
                        and (
                            time.monotonic() - since >= _DECODE_WAIT_SECONDS
                            or not (self._queue and conn.readable())
                        )
                    )
                ):
                    self._submit(got)
                    got, got_bytes = [], 0
        except BaseException as exc:  # handed to the main thread, which raises it
            with self._cond:
                self._error = exc
                self._cond.notify_all()

    def _submit(self, frames: list[Frame]) -> None:
        """Hand ``frames`` to the decoders (waits while they are all busy)."""
        job = (self._submitted, frames)
        while not self._stopping:
            try:
                self._jobs.put(job, timeout=0.25)
            except queue.Full:
                continue
            self._submitted += 1
            return

    def _decode_loop(self, con: duckdb.DuckDBPyConnection, helper: bool) -> None:
        """A decoder thread: decode jobs, deliver the chunks in read order.

        A ``helper`` only decodes while catching up with a backlog: live, a second
        decoder competes with the engine for the cores and the GIL, and latency
        suffers for no gain.
        """
        try:
            while True:
                if helper and not self._catching_up:
                    if self._stopping:
                        return
                    time.sleep(0.05)
                    continue
                try:
                    job = self._jobs.get(timeout=0.25)
                except queue.Empty:
                    if self._stopping:
                        return
                    continue
                if job is None:
                    return
                index, frames = job
                chunk = self._decode(con, frames)
                self._catching_up = (
                    chunk.pending * self._per_message >= _CATCH_UP_PENDING_RECORDS
                )
                with self._cond:
                    self._decoded[index] = chunk
                    while self._delivered in self._decoded:
                        ready = self._decoded.pop(self._delivered)
                        self._delivered += 1
                        self._queue.append(ready)
                        self._buffered += ready.size
                    self._cond.notify_all()
        except BaseException as exc:  # handed to the main thread, which raises it
            with self._cond:
                self._error = exc
                self._cond.notify_all()

    def _decode(self, con: duckdb.DuckDBPyConnection, frames: list[Frame]) -> _Chunk:
        """Decode and prepare, in parallel with the engine's commit."""
        received = time.monotonic()
        texts, counts = split_messages(con, payload_texts([f.payload for f in frames]))
        self._per_message = max(1, round(len(texts) / len(frames)))
        records = decode_json_messages(con, texts, self.redactor)
        return _Chunk(
            [stream_sequence(f.reply) for f in frames],
            [f.reply for f in frames],
            counts,
            records,
            None
            if self._hmac_key is None or len(records) < _PREPARE_MIN_RECORDS
            else prepare_records(
                con, records, key=self._hmac_key, redactor=self.redactor
            ),
            received,
            stream_pending(frames[-1].reply),
        )

    # -- polling -------------------------------------------------------------------

    def _take(self, max_records: int, max_seconds: float) -> list[_Chunk]:
        with self._cond:
            if not self._queue and self._error is None:
                self._cond.wait(0.25)
            if self._error is not None:
                raise self._error
            if not self._queue:
                return []
            # The micro-batch closes max_seconds after its oldest message arrived;
            # while the stream still holds enough to fill it (a backlog), it waits
            # for a full micro-batch instead, up to _CATCH_UP_WAIT_SECONDS: the
            # records are on their way, and full micro-batches share out the fixed
            # cost of a transaction.
            deadline = self._queue[0].received + max_seconds
            catch_up = time.monotonic() + _CATCH_UP_WAIT_SECONDS
            while self._buffered < max_records and self._error is None:
                waiting = self._queue[-1].pending if self._queue else 0
                backlog = waiting * self._per_message >= max_records - self._buffered
                left = (catch_up if backlog else deadline) - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(min(left, 0.25))
            taken: list[_Chunk] = []
            wanted = max_records
            while self._queue and wanted > 0:
                chunk = self._queue.popleft()
                if chunk.size > wanted:
                    chunk, rest = chunk.split(wanted)
                    if rest.seqs:
                        self._queue.appendleft(rest)
                taken.append(chunk)
                wanted -= chunk.size
                self._buffered -= chunk.size
            return taken

    def poll(self, max_records: int, max_seconds: float) -> Pulled | None:
        taken = self._take(max_records, max_seconds)
        if not taken:
            return None
        seqs = np.concatenate([np.asarray(c.seqs, dtype=np.int64) for c in taken])
        counts = np.concatenate([c.counts for c in taken])
        replies = [r for c in taken for r in c.replies]
        fresh = seqs > self._last
        stale = [r for r, keep in zip(replies, fresh, strict=True) if not keep]
        if stale and self._conn is not None:
            # At or below what is committed or handed out: acknowledge, skip.
            self._conn.write(ack_frames(stale))
        if not fresh.any():
            return None
        records = pa.concat_tables([c.records for c in taken])
        parts = [c.prepared for c in taken if c.prepared is not None]
        prepared = Prepared.concat(parts) if len(parts) == len(taken) else None
        if not fresh.all():
            keep = np.repeat(fresh, counts)
            records = records.filter(pa.array(keep))
            prepared = prepared.filter(keep) if prepared is not None else None
            replies = [r for r, keep in zip(replies, fresh, strict=True) if keep]
        self._last = int(seqs[fresh].max())
        return Pulled(
            records=records,
            position={"stream": self.stream, "seq": self._last},
            items=len(replies),
            token=replies,
            last_item=self._last,
            prepared=prepared,
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
        for _worker in self._workers:
            try:
                self._jobs.put(None, timeout=1)
            except queue.Full:
                break
        for worker in self._workers:
            worker.join(timeout=5)
        if self._conn is not None:
            self._conn.close()
        for con in self._decoders:
            con.close()

"""Replay a file of records onto a JetStream subject, at N times real time.

The file (CSV, JSON Lines or Parquet, typically a simulated day from ``scamlens
simulate``, sorted by event time) is read with the batch layer's file readers and each
record is published as one JSON message, in file order, with the record's contract
fields and extra columns; a row the reader could not split into fields is published as
its (redacted) raw text, so the consumer quarantines it as ``malformed_record``.

Pacing follows ``initiated_at``: the message of a record whose time is ``t`` goes out
``(t - t0) / speed`` seconds after the first one; records without a readable time, or
earlier than one already sent (late records), go out at once. ``speed`` 0 publishes as
fast as possible. The stream is created if no stream captures the subject.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa

from scamlens.contract import COLUMN_NAMES
from scamlens.errors import SourceError, UsageError
from scamlens.privacy.redact import Redactor
from scamlens.settings import TIMEZONE
from scamlens.sources import file_source
from scamlens.streaming.sources.jsadmin import connect_nats, ensure_stream

__all__ = ["ReplayResult", "message_bodies", "replay_file"]

logger = logging.getLogger(__name__)

_ZONE = ZoneInfo(TIMEZONE)
_FLUSH_EVERY = 5_000


@dataclass(frozen=True)
class ReplayResult:
    """What a replay published."""

    stream: str
    messages: int
    seconds: float
    first_seq: int
    last_seq: int


def _event_time(text: object) -> float | None:
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=_ZONE)
    return value.timestamp()


def message_bodies(batch: pa.Table) -> Iterator[tuple[bytes, float | None]]:
    """(JSON body, event time) of each row of a text batch."""
    names = [c for c in COLUMN_NAMES if c in batch.column_names]
    columns = {c: batch.column(c).to_pylist() for c in names}
    extras = (
        batch.column("extras").to_pylist() if "extras" in batch.column_names else None
    )
    malformed = (
        batch.column("_malformed").to_pylist()
        if "_malformed" in batch.column_names
        else None
    )
    for i in range(batch.num_rows):
        if malformed is not None and malformed[i] is not None:
            yield str(malformed[i]).encode("utf-8"), None
            continue
        record: dict[str, Any] = {
            c: columns[c][i] for c in names if columns[c][i] is not None
        }
        if extras is not None and extras[i]:
            record.update(json.loads(extras[i]))
        body = json.dumps(record, ensure_ascii=False).encode("utf-8")
        yield body, _event_time(record.get("initiated_at"))


async def _publish(
    url: str,
    subject: str,
    stream: str | None,
    batches: Iterator[pa.Table],
    speed: float,
) -> ReplayResult:
    nc = await connect_nats(url)
    try:
        js = nc.jetstream()
        name = await ensure_stream(js, subject, stream)
        before = (await js.stream_info(name)).state.last_seq
        started = time.monotonic()
        first_event: float | None = None
        sent = 0
        for batch in batches:
            for body, event in message_bodies(batch):
                if speed > 0 and event is not None:
                    if first_event is None:
                        first_event = event
                    wait = started + (event - first_event) / speed - time.monotonic()
                    if wait > 0.002:
                        await nc.flush()
                        await asyncio.sleep(wait)
                await nc.publish(subject, body)
                sent += 1
                if sent % _FLUSH_EVERY == 0:
                    await nc.flush()
        await nc.flush()
        last = await _settled(js, name, int(before) + sent)
        return ReplayResult(
            name, sent, time.monotonic() - started, int(before) + 1, last
        )
    finally:
        await nc.close()


async def _settled(js: Any, stream: str, expected: int, timeout: float = 10.0) -> int:
    """Wait until the stream stored every published message; return its last seq."""
    deadline = time.monotonic() + timeout
    while True:
        last = int((await js.stream_info(stream)).state.last_seq)
        if last >= expected or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.05)
    if last < expected:
        logger.error(
            "stream %s holds messages up to %d, %d fewer than published",
            stream,
            last,
            expected - last,
        )
    return last


def replay_file(
    path: Path,
    url: str,
    subject: str,
    *,
    key: bytes,
    stream: str | None = None,
    speed: float = 1.0,
    chunk_rows: int = 50_000,
) -> ReplayResult:
    """Publish the records of ``path`` onto ``subject`` at ``speed`` × real time."""
    if speed < 0:
        raise UsageError(f"--speed `{speed}` must be 0 (as fast as possible) or above")
    source = file_source(Path(path), chunk_rows=chunk_rows, redactor=Redactor(key))
    try:
        return asyncio.run(_publish(url, subject, stream, source.batches(None), speed))
    except SourceError:
        raise
    except OSError as exc:
        raise SourceError(f"replay to {url} failed: {exc}") from None

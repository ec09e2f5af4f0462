"""The consumer loop: poll, commit the micro-batch, then acknowledge; until stopped.

A micro-batch closes at ``commit_every_records`` records or ``commit_every_seconds``
after its first record, whichever comes first. After a micro-batch that reached the
record bound (a backlog: the source had more), the bound is ``catch_up_records``
until a micro-batch comes out smaller again, so catching up takes fewer, bigger
transactions while live batches stay small. The loop stops when ``stop`` is set
(SIGTERM, Ctrl-C: the micro-batch in hand is committed first) or, with
``until_idle``, once no new record arrived for that many seconds. A ``kill -9`` may
stop it anywhere: whatever was not committed is read again on restart.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from scamlens.logs import kv
from scamlens.streaming.engine import BatchResult, MicroBatch, StreamEngine
from scamlens.streaming.snapshot import LiveSnapshots
from scamlens.streaming.sources.base import StreamSource

__all__ = ["RunReport", "run_stream"]

logger = logging.getLogger(__name__)

_LIVE_TICK_SECONDS = 60.0


@dataclass
class RunReport:
    """Totals of one run of the consumer."""

    batches: int = 0
    records: int = 0
    repeats: int = 0
    late: int = 0
    versions: int = 0
    alerts: int = 0
    seconds: float = 0.0
    batch_seconds: list[float] = field(default_factory=list)

    def add(self, result: BatchResult) -> None:
        self.batches += 1
        self.records += result.records
        self.repeats += result.repeats
        self.late += result.late
        self.versions += result.versions
        self.alerts += result.alerts.num_rows
        self.batch_seconds.append(result.seconds)


def run_stream(
    engine: StreamEngine,
    source: StreamSource,
    *,
    until_idle: float | None = None,
    stop: threading.Event | None = None,
    snapshots: LiveSnapshots | None = None,
) -> RunReport:
    """Consume ``source`` into ``engine`` until stopped or idle, publishing live
    snapshots of the day windows after commits when ``snapshots`` is given."""
    stop = stop or threading.Event()
    report = RunReport()
    started = time.monotonic()
    source.open(engine.position(source.key))
    config = engine.config
    idle_since = time.monotonic()
    last_tick = time.monotonic()
    bound = config.commit_every_records
    watermark = engine.state().watermark if snapshots is not None else None
    try:
        while not stop.is_set():
            pulled = source.poll(bound, config.commit_every_seconds)
            if pulled is None:
                if snapshots is not None:
                    # Quiet now: publish the last commits if not done yet.
                    snapshots.maybe_publish(engine.con, watermark)
                now = time.monotonic()
                if until_idle is not None and now - idle_since >= until_idle:
                    logger.info("source idle for %.1f s; stopping", now - idle_since)
                    break
                if config.as_of is None and now - last_tick >= _LIVE_TICK_SECONDS:
                    # Live clock: let records whose future has come be counted.
                    last_tick = now
                    ticked = engine.tick(source.key, source.kind)
                    if snapshots is not None and ticked is not None:
                        watermark = ticked.watermark
                        snapshots.committed()
                continue
            batch = MicroBatch(
                source.key,
                source.kind,
                pulled.position,
                pulled.records,
                pulled.dedup,
                pulled.prepared,
            )
            result = engine.process(batch)
            source.committed(pulled)
            got = pulled.records.num_rows if pulled.records is not None else 0
            bound = (
                config.catch_up_records
                if got >= config.commit_every_records
                else config.commit_every_records
            )
            report.add(result)
            _log_batch(result, pulled.last_item)
            if snapshots is not None:
                watermark = result.watermark
                snapshots.committed()
                snapshots.maybe_publish(engine.con, watermark)
            if result.records - result.repeats > 0 or pulled.records is None:
                idle_since = time.monotonic()
        if snapshots is not None and report.batches:
            # The last state, for readers that still find the warehouse busy.
            snapshots.publish(engine.con, watermark)
    finally:
        source.close()
        report.seconds = time.monotonic() - started
    return report


def _log_batch(result: BatchResult, last_item: int | None) -> None:
    logger.info(
        "committed micro-batch %s",
        kv(
            records=result.records,
            versions=result.versions,
            repeats=result.repeats,
            late=result.late,
            changed=result.changed,
            alerts=result.alerts.num_rows,
            watermark=result.watermark.isoformat() if result.watermark else None,
            last_item=last_item,
            seconds=round(result.seconds, 3),
            committed_at=round(time.time(), 3),
        ),
    )

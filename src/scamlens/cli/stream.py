"""``scamlens stream``: keep the live indicators of a stream of records, or replay one.

Consumes NATS JetStream (``--source nats://HOST:PORT --subject S``), a database table
polled incrementally (``--source URL --table T``) or a folder where files land
(``--source DIR``) into the warehouse's window tables, one transaction per
micro-batch, with anomaly alerts as windows close. ``--replay FILE`` instead
publishes a file of records onto the subject at ``--speed`` × real time.
"""

from __future__ import annotations

import logging
import math
import signal
import threading
from dataclasses import replace
from pathlib import Path
from types import FrameType

import click

from scamlens.anomaly import AnomalyEngine, LogSink, NatsSink, WebhookSink
from scamlens.anomaly.sinks.base import AlertSink
from scamlens.cli.common import err_console, parse_as_of
from scamlens.cli.context import Context
from scamlens.errors import UsageError
from scamlens.privacy import resolve_key
from scamlens.privacy.redact import Redactor
from scamlens.settings import Settings
from scamlens.sources import is_database_url
from scamlens.streaming.closing import parse_segment_sets
from scamlens.streaming.config import StreamConfig
from scamlens.streaming.engine import StreamEngine
from scamlens.streaming.replay import replay_file
from scamlens.streaming.runner import RunReport, run_stream
from scamlens.streaming.snapshot import LiveSnapshots, snapshot_folder
from scamlens.streaming.sources.base import StreamSource
from scamlens.streaming.sources.folder import FolderSource
from scamlens.streaming.sources.jetstream import JetStreamSource
from scamlens.streaming.sources.table import TablePollSource
from scamlens.streaming.windows import parse_window_spec
from scamlens.warehouse import connect

__all__ = ["COMMANDS", "stream"]

logger = logging.getLogger(__name__)

_CHECKPOINT_THRESHOLD = "256MB"


def _source(
    settings: Settings,
    source: str,
    *,
    subject: str | None,
    table: str | None,
    stream_name: str | None,
    durable: str,
    ack: str,
    incremental_column: str,
    poll_seconds: float,
) -> StreamSource:
    redactor = Redactor(resolve_key(settings))
    if source.startswith("nats://"):
        if not subject:
            raise UsageError("a nats:// --source needs --subject")
        return JetStreamSource(
            source,
            subject,
            redactor=redactor,
            key=resolve_key(settings),
            stream=stream_name,
            durable=durable,
            ack=ack,
        )
    if subject:
        raise UsageError("--subject goes with a nats:// --source")
    if is_database_url(source):
        if not table:
            raise UsageError("a database --source needs --table")
        return TablePollSource(
            source,
            table,
            incremental_column=incremental_column,
            poll_seconds=poll_seconds,
        )
    if table:
        raise UsageError("--table goes with a database URL --source")
    return FolderSource(
        Path(source),
        redactor=redactor,
        chunk_rows=settings.engine.chunk_rows,
        poll_seconds=poll_seconds,
    )


def _sinks(settings: Settings, source: str) -> list[AlertSink]:
    sinks: list[AlertSink] = [LogSink()]
    if settings.stream.alert_webhook:
        sinks.append(WebhookSink(settings.stream.alert_webhook))
    if settings.stream.alert_subject:
        server = source if source.startswith("nats://") else "nats://127.0.0.1:4222"
        sinks.append(NatsSink(server, settings.stream.alert_subject))
    return sinks


def _config(
    settings: Settings,
    *,
    windows: tuple[str, ...],
    segments: str | None,
    as_of: str | None,
    batch_records: int | None,
    batch_seconds: float | None,
    anomalies: bool,
) -> StreamConfig:
    config = StreamConfig.from_settings(
        settings.stream,
        specs=tuple(parse_window_spec(w) for w in windows) or None,
        segment_sets=parse_segment_sets(segments) if segments else None,
        as_of=parse_as_of(as_of) if as_of else None,
        commit_every_records=batch_records,
        commit_every_seconds=batch_seconds,
    )
    return config if anomalies else replace(config, detection=None)


def _install_stop() -> threading.Event:
    stop = threading.Event()

    def handler(signum: int, frame: FrameType | None) -> None:
        logger.warning("signal %d: stopping after the current micro-batch", signum)
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
    return stop


@click.command("stream")
@click.option(
    "--source",
    "source",
    required=True,
    help="nats://HOST:PORT, a database URL (with --table) or a folder.",
)
@click.option("--subject", help="JetStream subject carrying the records.")
@click.option(
    "--stream",
    "stream_name",
    help="JetStream stream [default: the one "
    "capturing --subject, else created from its name].",
)
@click.option(
    "--durable", default="scamlens", show_default=True, help="Durable consumer name."
)
@click.option(
    "--ack",
    type=click.Choice(["explicit", "all"]),
    default="explicit",
    show_default=True,
    help="JetStream ack policy.",
)
@click.option("--table", help="Table name when --source is a database URL.")
@click.option(
    "--incremental-column",
    default="updated_at",
    show_default=True,
    help="Column whose high-water mark a database poll starts from.",
)
@click.option(
    "--poll-seconds",
    type=float,
    default=1.0,
    show_default=True,
    help="Seconds between polls of a database or folder.",
)
@click.option(
    "--until-idle",
    type=float,
    help="Exit once no new record arrived for this many seconds.",
)
@click.option(
    "--as-of",
    "as_of",
    help="Fixed cut-off for future_time [default: the "
    "wall clock, re-checked as time passes].",
)
@click.option(
    "--batch-records",
    type=int,
    help="Records per micro-batch at most [default: setting].",
)
@click.option(
    "--batch-seconds",
    type=float,
    help="Seconds a micro-batch may wait to fill [default: setting].",
)
@click.option(
    "--window",
    "windows",
    multiple=True,
    metavar="GRAIN:DIMS",
    help="Window table to keep, e.g. 1h:region_code,channel; repeatable "
    "[default: 1m, 1h and 1d tables].",
)
@click.option(
    "--segments",
    help="Segment sets tested for anomalies, e.g. "
    "'region_code;fraud_type;region_code,channel'.",
)
@click.option(
    "--no-anomalies",
    "no_anomalies",
    is_flag=True,
    help="Do not run anomaly detection as windows close.",
)
@click.option(
    "--replay",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Publish this file onto --subject instead of consuming.",
)
@click.option(
    "--speed",
    type=float,
    default=1.0,
    show_default=True,
    help="Replay speed: N times real time; 0 as fast as possible.",
)
@click.pass_obj
def stream(
    ctx: Context,
    source: str,
    subject: str | None,
    stream_name: str | None,
    durable: str,
    ack: str,
    table: str | None,
    incremental_column: str,
    poll_seconds: float,
    until_idle: float | None,
    as_of: str | None,
    batch_records: int | None,
    batch_seconds: float | None,
    windows: tuple[str, ...],
    segments: str | None,
    no_anomalies: bool,
    replay: Path | None,
    speed: float,
) -> None:
    """Keep live windowed indicators of --source in the warehouse, exactly once.

    Each micro-batch (--batch-records / --batch-seconds) is committed with the source
    position in one transaction; JetStream messages are acknowledged after it. A
    record older than the watermark minus the allowed lateness is quarantined as
    too_late. Read the live day indicators with `scamlens metrics --live`.
    """
    settings = ctx.settings
    _finite("--poll-seconds", poll_seconds, above_zero=True)
    _finite("--until-idle", until_idle, above_zero=False)
    _finite("--batch-seconds", batch_seconds, above_zero=True)
    _finite("--speed", speed, above_zero=False)
    if replay is not None:
        if not source.startswith("nats://") or not subject:
            raise UsageError("--replay publishes to a nats:// --source and --subject")
        result = replay_file(
            replay,
            source,
            subject,
            key=resolve_key(settings),
            stream=stream_name,
            speed=speed,
        )
        err_console.print(
            f"published {result.messages:,} records to {result.stream} "
            f"(sequences {result.first_seq}..{result.last_seq}) "
            f"in {result.seconds:.1f} s"
        )
        return
    config = _config(
        settings,
        windows=windows,
        segments=segments,
        as_of=as_of,
        batch_records=batch_records,
        batch_seconds=batch_seconds,
        anomalies=not no_anomalies,
    )
    src = _source(
        settings,
        source,
        subject=subject,
        table=table,
        stream_name=stream_name,
        durable=durable,
        ack=ack,
        incremental_column=incremental_column,
        poll_seconds=poll_seconds,
    )
    report = _consume(settings, config, src, source, until_idle)
    err_console.print(
        f"stream stopped: {report.batches:,} micro-batches, {report.records:,} records "
        f"({report.versions:,} versions, {report.late:,} too late, {report.repeats:,} "
        f"repeats), {report.alerts:,} alerts in {report.seconds:.1f} s"
    )


def _finite(option: str, value: float | None, *, above_zero: bool) -> None:
    """Refuse a seconds or speed option that is negative, zero where that means
    nothing, or not a number (``nan`` would make the comparisons silently false)."""
    if value is None:
        return
    low = "above 0" if above_zero else "0 or more"
    if not math.isfinite(value) or value < 0 or (above_zero and value == 0):
        raise UsageError(f"{option} is `{value}`; it must be a number {low}")


def _consume(
    settings: Settings,
    config: StreamConfig,
    src: StreamSource,
    source: str,
    until_idle: float | None,
) -> RunReport:
    con = connect(settings.warehouse_path, settings.engine)
    anomaly = None
    try:
        con.execute(f"SET checkpoint_threshold = '{_CHECKPOINT_THRESHOLD}'")
        if config.detection is not None:
            anomaly = AnomalyEngine(config.detection, sinks=_sinks(settings, source))
        engine = StreamEngine(
            con, config, settings.cleaning, key=resolve_key(settings), anomaly=anomaly
        )
        stop = _install_stop()
        err_console.print(f"streaming {src.describe()} into {settings.warehouse_path}")
        snapshots = LiveSnapshots(
            snapshot_folder(settings.warehouse_path),
            every_seconds=settings.stream.live_snapshot_seconds,
        )
        report = run_stream(
            engine, src, until_idle=until_idle, stop=stop, snapshots=snapshots
        )
        con.execute("CHECKPOINT")
        return report
    finally:
        if anomaly is not None:
            anomaly.close()
        con.close()


COMMANDS = (stream,)

"""``scamlens simulate``: write simulated outreach records and their ground truth.

A thin layer over :mod:`scamlens.simulate`: it turns options into a
:class:`~scamlens.simulate.SimConfig`, shows a progress bar for big outputs and
prints what a correct cleaning run must find. The cleaning thresholds the truth
depends on (daily cap, longest plausible talk) come from the settings, so the truth
matches the ``run`` that will be tested against it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import fields
from datetime import datetime
from pathlib import Path

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from scamlens.cli.common import distinct_paths
from scamlens.cli.context import Context
from scamlens.errors import UsageError
from scamlens.simulate import (
    FORMATS,
    MessRates,
    SimConfig,
    WriteResult,
    write,
    write_db,
)
from scamlens.simulate.writers import DEFAULT_TABLE

__all__ = ["COMMANDS", "simulate_command"]

logger = logging.getLogger(__name__)

_PROGRESS_FROM_ROWS = 200_000
_DEFAULTS = SimConfig()


@click.command("simulate")
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Output file; its extension names the format unless --format.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    help="csv, jsonl, parquet or sqlite [default: from the extension].",
)
@click.option(
    "--db",
    "db_url",
    metavar="URL",
    help="SQLAlchemy URL of a database to fill instead of a file.",
)
@click.option(
    "--table",
    default=DEFAULT_TABLE,
    show_default=True,
    help="Table to create in the database.",
)
@click.option(
    "--truth",
    "truth_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Ground-truth JSON path [default: <out>.truth.json].",
)
@click.option("--days", type=int, default=_DEFAULTS.days, show_default=True)
@click.option(
    "--start",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help=f"First day, YYYY-MM-DD [default: {_DEFAULTS.start.isoformat()}].",
)
@click.option(
    "--per-day",
    type=int,
    default=_DEFAULTS.per_day,
    show_default=True,
    help="Records per day (anomaly spike rows come on top).",
)
@click.option("--seed", type=int, default=_DEFAULTS.seed, show_default=True)
@click.option(
    "--region",
    "regions",
    multiple=True,
    metavar="CODE",
    help="County, city or province code to simulate; repeatable "
    "[default: five cities of Zhejiang].",
)
@click.option(
    "--typed",
    is_flag=True,
    help="Typed Parquet columns (timestamps, booleans, doubles).",
)
@click.option(
    "--anomalies",
    is_flag=True,
    help="Plant the streaming anomalies (on the last day by default).",
)
@click.option("--anomaly-day", type=int, help="0-based day of the anomalies.")
@click.option(
    "--mess-scale",
    type=float,
    default=1.0,
    show_default=True,
    help="Multiply every default mess rate.",
)
@click.option(
    "--mess",
    "mess_rates",
    multiple=True,
    metavar="KIND=RATE",
    help="Set one mess rate, e.g. --mess bad_value=0.01; repeatable.",
)
@click.option("--no-mess", is_flag=True, help="No defects at all.")
@click.option(
    "--chunk-rows",
    type=int,
    default=_DEFAULTS.chunk_rows,
    show_default=True,
    help="Rows per generated chunk (part of the determinism key).",
)
@click.option("--replace", is_flag=True, help="Drop an existing database table first.")
@click.option("--quiet", is_flag=True, help="No progress bar and no summary.")
@click.pass_obj
def simulate_command(
    obj: Context,
    out: Path | None,
    fmt: str | None,
    db_url: str | None,
    table: str,
    truth_path: Path | None,
    days: int,
    start: datetime | None,
    per_day: int,
    seed: int,
    regions: tuple[str, ...],
    typed: bool,
    anomalies: bool,
    anomaly_day: int | None,
    mess_scale: float,
    mess_rates: tuple[str, ...],
    no_mess: bool,
    chunk_rows: int,
    replace: bool,
    quiet: bool,
) -> None:
    """Write simulated outreach records and the ground truth a clean run must find."""
    if (out is None) == (db_url is None):
        raise UsageError("give exactly one of --out PATH or --db URL")
    if db_url is not None and fmt not in (None, "sqlite"):
        raise UsageError(f"--format `{fmt}` is for files; drop it when using --db")
    distinct_paths({"--out": out, "--truth": truth_path})
    cleaning = obj.settings.cleaning
    if cleaning.disabled_rules:
        logger.warning(
            "the ground truth assumes every cleaning rule; disabled here: %s",
            ", ".join(cleaning.disabled_rules),
        )
    config = SimConfig(
        start=start.date() if start else _DEFAULTS.start,
        days=days,
        per_day=per_day,
        seed=seed,
        regions=regions or None,
        typed=typed,
        anomalies=anomalies,
        anomaly_day=anomaly_day,
        mess=_mess(mess_scale, mess_rates, no_mess),
        chunk_rows=chunk_rows,
        daily_cap=cleaning.daily_cap,
        max_talk_seconds=cleaning.max_talk_seconds,
    ).validated()
    console = Console(stderr=True)
    show = not quiet and config.days * config.per_day >= _PROGRESS_FROM_ROWS
    with _ProgressBar(console, config.days * config.per_day, show) as advance:
        if db_url is not None:
            result = write_db(
                config,
                db_url,
                table=table,
                truth_path=truth_path,
                replace=replace,
                progress=advance,
            )
        else:
            assert out is not None
            result = write(
                config,
                out,
                fmt,
                truth_path=truth_path,
                table=table,
                replace=replace,
                progress=advance,
            )
    if not quiet:
        _summary(Console(), result)


def _mess(scale: float, rates: tuple[str, ...], none: bool) -> MessRates:
    if none:
        return MessRates.none()
    values = {f.name: getattr(MessRates(), f.name) * scale for f in fields(MessRates)}
    for item in rates:
        kind, sep, raw = item.partition("=")
        if not sep or kind not in values:
            raise UsageError(
                f"--mess `{item}` is not KIND=RATE with KIND one of {', '.join(values)}"
            )
        try:
            values[kind] = float(raw)
        except ValueError:
            raise UsageError(
                f"--mess `{item}` has rate `{raw}`, not a number"
            ) from None
    return MessRates(**values)


class _ProgressBar:
    """A rich progress bar over rows written, or a no-op for small outputs."""

    def __init__(self, console: Console, total: int, show: bool) -> None:
        self.bar = (
            Progress(
                TextColumn("simulating"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=console,
                transient=True,
            )
            if show
            else None
        )
        self.total = total

    def __enter__(self) -> Callable[[int], None] | None:
        if self.bar is None:
            return None
        self.bar.start()
        task = self.bar.add_task("rows", total=self.total)
        bar = self.bar

        def advance(rows: int) -> None:
            bar.advance(task, rows)

        return advance

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


def _summary(console: Console, result: WriteResult) -> None:
    data = result.truth.data
    counts, indicators = data["counts"], data["indicators"]
    table = Table(title=f"simulated {result.rows:,} records → {result.target}")
    table.add_column("expected after cleaning")
    table.add_column("count", justify="right")
    table.add_row("read", f"{counts['read']:,}")
    table.add_row("superseded", f"{counts['superseded']:,}")
    table.add_row("  of which identical re-reads", f"{counts['unchanged_rereads']:,}")
    for reason, value in counts["quarantined"].items():
        table.add_row(f"quarantined: {reason}", f"{value:,}")
    table.add_row("counted", f"{counts['counted']:,}", end_section=True)
    for name, value in indicators.items():
        table.add_row(name, f"{value:,}")
    table.add_row("as-of time", data["as_of"], end_section=True)
    for anomaly in data["anomalies"]:
        table.add_row(
            f"anomaly: {anomaly['kind']}",
            f"{anomaly['start'][:16]} → {anomaly['end'][11:16]}",
        )
    console.print(table)
    rate = result.rows / result.seconds if result.seconds else 0.0
    console.print(
        f"ground truth: {result.truth_path}  ({result.seconds:.1f} s, "
        f"{rate:,.0f} rows/s)"
    )


COMMANDS = (simulate_command,)

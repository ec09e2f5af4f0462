"""``scamlens metrics``: the nine indicators of a file or table, by any breakdown."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from scamlens.cli.common import (
    check_output_format,
    distinct_paths,
    err_console,
    out_console,
    parse_as_of,
    progress_bar,
    report_table,
    source_from_args,
)
from scamlens.cli.context import Context
from scamlens.errors import UsageError
from scamlens.indicators import parse_dimensions
from scamlens.jobs.metrics import compute_metrics
from scamlens.reports.writers import write_indicators, write_table
from scamlens.settings import TIMEZONE

__all__ = ["COMMANDS", "metrics"]

logger = logging.getLogger(__name__)


@click.command()
@click.argument("source", required=False)
@click.option("--by", "by", required=True, help="Dimensions, e.g. day,region_code.")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(path_type=Path),
    help="Output file: .csv, .parquet, .xlsx or .json.",
)
@click.option("--as-of", "as_of", help="Cut-off time for future_time [default: now].")
@click.option(
    "--quarantine",
    type=click.Path(path_type=Path),
    help="Also write the quarantined records here.",
)
@click.option("--table", help="Table name when SOURCE is a database URL.")
@click.option("--encoding", help="Text encoding of a CSV/JSONL file [default: guess].")
@click.option("--delimiter", help="CSV delimiter [default: guess from the header].")
@click.option(
    "--live",
    is_flag=True,
    help="Read the live day windows kept by `scamlens stream` (no SOURCE).",
)
@click.pass_obj
def metrics(
    ctx: Context,
    source: str | None,
    by: str,
    out: Path,
    as_of: str | None,
    quarantine: Path | None,
    table: str | None,
    encoding: str | None,
    delimiter: str | None,
    live: bool,
) -> None:
    """Compute the nine indicators of SOURCE (a file or a database URL) by --by.

    Records are cleaned first: older versions are superseded and records that fail a
    cleaning rule are quarantined with their reason; the counts always add up.
    """
    settings = ctx.settings
    dims = parse_dimensions(by)
    check_output_format(out)
    check_output_format(quarantine, "--quarantine")
    distinct_paths({"SOURCE": source, "--out": out, "--quarantine": quarantine})
    if live:
        if source is not None:
            raise UsageError("--live reads the warehouse; drop SOURCE")
        from scamlens.streaming.live import live_metrics

        live_result = live_metrics(settings, dims)
        written = write_indicators(live_result.counts, out, dims)
        err_console.print(f"wrote {written.num_rows:,} live groups to {out}")
        if live_result.snapshot is not None:
            snapshot = live_result.snapshot
            err_console.print(
                "the warehouse is in use by `scamlens stream`: these come from its "
                f"live snapshot taken {snapshot.age_seconds():.0f} s ago "
                f"({_local(snapshot.taken_at)})"
            )
        return
    if source is None:
        raise UsageError("name a SOURCE file or database URL (with --table)")
    cutoff = parse_as_of(as_of)
    src = source_from_args(
        source, settings, table=table, encoding=encoding, delimiter=delimiter
    )
    with progress_bar(f"reading {src.describe()}", src.size_hint()) as advance:
        result = compute_metrics(
            src,
            dims,
            settings,
            cutoff,
            with_quarantine=quarantine is not None,
            progress=advance,
        )
    written = write_indicators(result.counts, out, dims)
    if quarantine is not None and result.quarantine is not None:
        write_table(result.quarantine, quarantine)
    out_console.print(report_table(result.report, title=f"scamlens metrics: {source}"))
    err_console.print(
        f"wrote {written.num_rows:,} groups to {out}"
        + (f"; quarantine to {quarantine}" if quarantine else "")
    )


def _local(moment: datetime) -> str:
    """``moment`` in the contract's local time, to the second."""
    return moment.astimezone(ZoneInfo(TIMEZONE)).isoformat(timespec="seconds")


COMMANDS = (metrics,)

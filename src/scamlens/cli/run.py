"""``scamlens run``: ingest, clean and publish on the embedded default."""

from __future__ import annotations

import logging

import click
from rich.table import Table

from scamlens.cleaning.report import CleaningReport
from scamlens.cli.common import (
    err_console,
    out_console,
    parse_as_of,
    progress_bar,
    report_table,
    source_from_args,
)
from scamlens.cli.context import Context
from scamlens.jobs.run import bootstrap_platform, run_job
from scamlens.settings import Settings

__all__ = ["COMMANDS", "run"]

logger = logging.getLogger(__name__)


def _bootstrap(settings: Settings) -> None:
    """Simulate a platform database in the data folder (first use)."""
    err_console.print(
        f"first run: simulating a platform database in {settings.data_dir} ..."
    )
    bootstrap_platform(settings)


@click.command()
@click.option(
    "--source",
    "source",
    help="Database URL or file [default: the "
    "simulated platform database in the data folder].",
)
@click.option("--table", help="Table name when --source is a database URL.")
@click.option("--as-of", "as_of", help="Cut-off time for future_time [default: now].")
@click.pass_obj
def run(ctx: Context, source: str | None, table: str | None, as_of: str | None) -> None:
    """Ingest new records, rebuild the clean tables, write the daily indicators.

    With no options it uses the data folder: the first run simulates a platform
    database (SQLite); later runs read only what changed since the last one.
    """
    settings = ctx.settings
    cutoff = parse_as_of(as_of)
    src = (
        source_from_args(source, settings, table=table, incremental=True)
        if source
        else None
    )
    with progress_bar("ingesting") as advance:
        report = run_job(
            settings, cutoff, source=src, bootstrap=_bootstrap, progress=advance
        )
    ingest = report.ingest
    summary = Table(title=f"scamlens run {report.run_id}", show_header=False)
    summary.add_row("source", report.source)
    summary.add_row("new versions", f"{ingest['rows_new']:,}")
    summary.add_row("unchanged re-reads", f"{ingest['rows_unchanged']:,}")
    summary.add_row("seconds", f"{report.seconds}")
    out_console.print(summary)
    cleaning = report.cleaning
    out_console.print(
        report_table(
            CleaningReport(
                read=cleaning["read"],
                superseded=cleaning["superseded"],
                counted=cleaning["counted"],
                quarantined=cleaning["quarantined"],
            ),
            title="warehouse records",
        )
    )
    err_console.print(
        f"outputs in {settings.data_dir / 'outputs'}; report in "
        f"{settings.data_dir / 'runs' / report.run_id}"
    )


COMMANDS = (run,)

"""``scamlens export``: the daily indicator dataset as CSV, Parquet and Excel."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import click

from scamlens.cli.common import err_console
from scamlens.cli.context import Context
from scamlens.errors import UsageError
from scamlens.jobs.export import export_day
from scamlens.warehouse import connect

__all__ = ["COMMANDS", "export"]

logger = logging.getLogger(__name__)


@click.command()
@click.option("--day", "day", required=True, help="Local day, YYYY-MM-DD.")
@click.option(
    "--out-dir",
    "out_dir",
    type=click.Path(path_type=Path),
    help="Folder for the files [default: <data-dir>/exports/DAY].",
)
@click.pass_obj
def export(ctx: Context, day: str, out_dir: Path | None) -> None:
    """Export one day's indicators by region × module × channel, with the data
    dictionary."""
    try:
        wanted = date.fromisoformat(day)
    except ValueError:
        raise UsageError(f"--day `{day}` is not a date; expected YYYY-MM-DD") from None
    settings = ctx.settings
    if not settings.warehouse_path.exists():
        raise UsageError(
            f"no warehouse at `{settings.warehouse_path}`; run `scamlens run` first"
        )
    con = connect(settings.warehouse_path, settings.engine, read_only=True)
    try:
        result = export_day(con, wanted, out_dir or settings.data_dir / "exports" / day)
    finally:
        con.close()
    for path in result.files:
        err_console.print(f"wrote {path}")
    click.echo(f"{result.rows} rows exported for {wanted}")


COMMANDS = (export,)

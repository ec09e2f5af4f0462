"""``scamlens spark``: the batch indicators and a folder stream, computed by Spark.

``scamlens spark metrics`` mirrors ``scamlens metrics`` (same arguments, same output
files, same numbers) with Apache Spark doing the work; ``scamlens spark stream`` keeps
indicator files current while files land in a folder. pyspark is an optional extra
and is imported only when one of these commands runs, so the rest of the CLI works
without it; a missing pyspark or Java is reported in one line.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import click

from scamlens.cli.common import (
    check_output_format,
    distinct_paths,
    err_console,
    out_console,
    parse_as_of,
    report_table,
)
from scamlens.cli.context import Context
from scamlens.errors import UsageError
from scamlens.indicators import parse_dimensions
from scamlens.reports.writers import write_indicators, write_table
from scamlens.scaleout import require_spark

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = ["COMMANDS", "spark"]

logger = logging.getLogger(__name__)


def _conf(pairs: tuple[str, ...]) -> dict[str, str]:
    conf = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(
                f"--conf `{pair}` is not KEY=VALUE, e.g. spark.driver.memory=4g"
            )
        conf[key.strip()] = value.strip()
    return conf


def _session(master: str, conf: tuple[str, ...]) -> SparkSession:
    require_spark()
    from scamlens.scaleout.spark.session import local_session

    return local_session(master, conf=_conf(conf))


_master = click.option(
    "--master", default="local[*]", show_default=True, help="Spark master URL."
)
_confs = click.option(
    "--conf",
    "conf",
    multiple=True,
    metavar="KEY=VALUE",
    help="A Spark option; repeatable.",
)


@click.group()
def spark() -> None:
    """Run the indicators on Apache Spark (pip install 'scamlens[spark]')."""


@spark.command()
@click.argument("source")
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
    help="Also write the quarantined records here (.csv, .parquet, .xlsx, .json).",
)
@click.option("--encoding", help="Text encoding of a CSV/JSONL file [default: guess].")
@click.option("--delimiter", help="CSV delimiter [default: guess from the header].")
@_master
@_confs
@click.pass_obj
def metrics(
    ctx: Context,
    source: str,
    by: str,
    out: Path,
    as_of: str | None,
    quarantine: Path | None,
    encoding: str | None,
    delimiter: str | None,
    master: str,
    conf: tuple[str, ...],
) -> None:
    """Compute the nine indicators of SOURCE (CSV, JSON Lines or Parquet) by --by.

    The same cleaning and numbers as `scamlens metrics`, computed by Spark.
    """
    settings = ctx.settings
    dims = parse_dimensions(by)
    check_output_format(out)
    check_output_format(quarantine, "--quarantine")
    distinct_paths({"SOURCE": source, "--out": out, "--quarantine": quarantine})
    cutoff = parse_as_of(as_of)
    session = _session(master, conf)
    from scamlens.scaleout.spark.pipeline import spark_metrics

    result = spark_metrics(
        session,
        source,
        dims,
        settings,
        cutoff,
        encoding=encoding,
        delimiter=delimiter,
        with_quarantine=quarantine is not None,
    )
    written = write_indicators(result.counts, out, dims)
    if quarantine is not None and result.quarantine is not None:
        write_table(result.quarantine, quarantine)
    out_console.print(
        report_table(result.report, title=f"scamlens spark metrics: {source}")
    )
    err_console.print(
        f"wrote {written.num_rows:,} groups to {out}"
        + (f"; quarantine to {quarantine}" if quarantine else "")
    )


@spark.command()
@click.option(
    "--folder",
    required=True,
    type=click.Path(path_type=Path),
    help="Folder where record files land (moved in whole).",
)
@click.option(
    "--checkpoint",
    required=True,
    type=click.Path(path_type=Path),
    help="Spark checkpoint folder: which files were processed.",
)
@click.option(
    "--state",
    type=click.Path(path_type=Path),
    help="Records and count cube [default: <checkpoint>-state].",
)
@click.option("--by", "by", required=True, help="Dimensions, e.g. day,region_code.")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(path_type=Path),
    help="Indicator file rewritten after every micro-batch.",
)
@click.option(
    "--pattern",
    default="*",
    show_default=True,
    help="Glob of file names to read, e.g. '*.jsonl'.",
)
@click.option(
    "--available-now", is_flag=True, help="Process the files present now, then exit."
)
@click.option(
    "--interval",
    default="10 seconds",
    show_default=True,
    help="Trigger interval when running continuously.",
)
@click.option("--max-files", type=int, help="Files per micro-batch at most.")
@click.option(
    "--as-of", "as_of", help="Fixed cut-off for future_time [default: clock]."
)
@click.option("--encoding", help="Text encoding of CSV/JSONL files [default: guess].")
@click.option("--delimiter", help="CSV delimiter [default: guess from the header].")
@_master
@_confs
@click.pass_obj
def stream(
    ctx: Context,
    folder: Path,
    checkpoint: Path,
    state: Path | None,
    by: str,
    out: Path,
    pattern: str,
    available_now: bool,
    interval: str,
    max_files: int | None,
    as_of: str | None,
    encoding: str | None,
    delimiter: str | None,
    master: str,
    conf: tuple[str, ...],
) -> None:
    """Keep the indicators of files landing in --folder current in --out.

    Each micro-batch recomputes the days its records affect, so corrected and late
    records replace what they correct; the checkpoint makes every file count once.
    """
    settings = ctx.settings
    dims = parse_dimensions(by)
    check_output_format(out)
    if not folder.is_dir():
        raise UsageError(
            f"--folder `{folder}` is not a folder; create it or fix the path"
        )
    if max_files is not None and max_files < 1:
        raise UsageError(f"--max-files is `{max_files}`; use 1 or more")
    cutoff = parse_as_of(as_of) if as_of else None
    session = _session(master, conf)
    from scamlens.scaleout.spark.streaming import (
        Output,
        StreamProcessor,
        start_folder_stream,
    )

    processor = StreamProcessor(
        session,
        state or checkpoint.with_name(checkpoint.name + "-state"),
        settings,
        as_of=cutoff,
        outputs=(Output(dims, out),),
        encoding=encoding,
        delimiter=delimiter,
    )
    query = start_folder_stream(
        processor,
        folder,
        checkpoint,
        pattern=pattern,
        available_now=available_now,
        interval=interval,
        max_files=max_files,
    )
    try:
        query.awaitTermination()
    except KeyboardInterrupt:
        query.stop()
        raise
    report = processor.store.report()
    out_console.print(report_table(report, title=f"scamlens spark stream: {folder}"))
    err_console.print(f"indicators in {out}; state in {processor.state}")


COMMANDS = (spark,)

"""``spark_metrics``: the nine indicators of files, computed by Spark.

The Spark counterpart of :func:`scamlens.jobs.metrics.compute_metrics`, with the same
result type: summed counts per group (rates are derived afterwards by
:func:`scamlens.indicators.with_rates`, called by
:func:`scamlens.reports.writers.write_indicators`) and the cleaning report with the
count of every quarantine reason. Only the counts travel back to the driver, as
Arrow; records stay on the executors.

:class:`SparkCleaning` keeps the verdicts of one source cached, so several
breakdowns of the same records cost one read and one cleaning.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from scamlens.cleaning.report import CleaningReport
from scamlens.cleaning.rules import SUPERSEDED
from scamlens.contract import COLUMN_NAMES
from scamlens.jobs.metrics import MetricsResult, redact_originals
from scamlens.privacy import resolve_key
from scamlens.privacy.redact import Redactor
from scamlens.scaleout.spark.cleaning import verdicts
from scamlens.scaleout.spark.compile import (
    arrow_schema,
    count_columns,
    dimension_column,
)
from scamlens.scaleout.spark.parse import parse_landed
from scamlens.scaleout.spark.read import SparkFile, inspect_file, land_files
from scamlens.scaleout.spark.session import prepare, scamlens_conf
from scamlens.settings import Settings

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["SparkCleaning", "count_by", "reason_counts", "spark_metrics", "to_arrow"]

logger = logging.getLogger(__name__)


def to_arrow(frame: DataFrame) -> pa.Table:
    """Collect ``frame`` to the driver as an Arrow table."""
    handle: Any = frame
    if hasattr(handle, "toArrow"):
        return handle.toArrow()
    return pa.Table.from_batches(handle._collect_as_arrow())  # pyspark 3.5


def count_by(clean: DataFrame, dims: Sequence[str], *, cube: bool = False) -> pa.Table:
    """Counts of the counted attempts ``clean`` per group of ``dims``, sorted by them.

    With ``cube`` true, ``clean`` holds cube rows whose counts are summed instead.
    """
    from pyspark.sql import functions as F

    from scamlens.indicators import COUNT_NAMES

    keys = [dimension_column(d, cube=cube).alias(d) for d in dims] or [
        F.lit(0).alias("_all")
    ]
    if cube:
        aggregates = [F.sum(name).cast("long").alias(name) for name in COUNT_NAMES]
    else:
        aggregates = count_columns()
    table = to_arrow(clean.groupBy(*keys).agg(*aggregates).drop("_all"))
    table = table.select([*dims, *COUNT_NAMES]).cast(arrow_schema(dims))
    if dims:
        table = table.sort_by([(d, "ascending") for d in dims])
    return table


def reason_counts(frame: DataFrame, *, weight: str | None = None) -> CleaningReport:
    """The cleaning report of verdict rows (or cube rows, summing ``weight``)."""
    from pyspark.sql import functions as F

    total = F.sum(weight) if weight else F.count(F.lit(1))
    rows = frame.groupBy("reason").agg(total.alias("n")).collect()
    return CleaningReport.from_reasons({row["reason"]: int(row["n"]) for row in rows})


class SparkCleaning:
    """The verdicts of one source, cleaned once and cached for many breakdowns.

    ``verdicts`` is a DataFrame of every record with its ``reason``; run your own
    actions on it inside :func:`~.session.scamlens_conf` to avoid Spark's failed
    whole-stage compilations of the parse step.
    """

    def __init__(
        self,
        spark: SparkSession,
        files: Sequence[SparkFile],
        settings: Settings,
        as_of: datetime,
    ) -> None:
        from pyspark import StorageLevel

        self.spark = prepare(spark)
        self._key = resolve_key(settings)
        landed = land_files(spark, files, self._key)
        self.verdicts = verdicts(parse_landed(landed), settings.cleaning, as_of)
        self.verdicts.persist(StorageLevel.MEMORY_AND_DISK)
        self._report: CleaningReport | None = None

    @property
    def report(self) -> CleaningReport:
        """How many records were read and where each went."""
        if self._report is None:
            with scamlens_conf(self.spark):
                self._report = reason_counts(self.verdicts)
        return self._report

    def counts(self, dims: Sequence[str]) -> pa.Table:
        """Counts per group of ``dims``: the DuckDB engine's table exactly."""
        from pyspark.sql import functions as F

        with scamlens_conf(self.spark):
            return count_by(self.verdicts.where(F.col("reason").isNull()), dims)

    def quarantine(self) -> pa.Table:
        """The quarantined attempts, as ``scamlens metrics --quarantine`` gives them.

        Columns: ``read_order`` (the 0-based position in read order, the batch
        core's ``_seq``), ``outreach_id``, ``reason``, ``detail`` and ``original``:
        the record's parsed values as JSON, the citizen by pseudonym, free text
        redacted. Numbering rows in read order sorts every record once, so ask for
        it only when the quarantine is wanted.
        """
        from pyspark.sql import Window
        from pyspark.sql import functions as F

        kept = [c for c in self.verdicts.columns if c in COLUMN_NAMES]
        original = F.to_json(
            F.struct(*kept, "citizen_key", F.col("_malformed").alias("malformed"))
        )
        position = F.row_number().over(Window.orderBy("_seq")) - 1
        with scamlens_conf(self.spark):
            frame = (
                self.verdicts.select(
                    position.cast("long").alias("read_order"),
                    "outreach_id",
                    "reason",
                    "detail",
                    original.alias("original"),
                )
                .where(F.col("reason").isNotNull() & (F.col("reason") != SUPERSEDED))
                .orderBy("read_order")
            )
            table = to_arrow(frame)
        return redact_originals(table, Redactor(self._key))

    def close(self) -> None:
        """Release the cached verdicts."""
        self.verdicts.unpersist()


def spark_metrics(
    spark: SparkSession,
    source: str | Sequence[str],
    dims: Sequence[str],
    settings: Settings,
    as_of: datetime,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    with_quarantine: bool = False,
) -> MetricsResult:
    """Read ``source`` (a file, or files in read order), clean it, count by ``dims``;
    with ``with_quarantine``, also collect the quarantined attempts."""
    paths = [source] if isinstance(source, str) else list(source)
    files = [inspect_file(p, encoding=encoding, delimiter=delimiter) for p in paths]
    cleaning = SparkCleaning(spark, files, settings, as_of)
    try:
        counts = cleaning.counts(dims)
        report = cleaning.report
        quarantine = cleaning.quarantine() if with_quarantine else None
    finally:
        cleaning.close()
    logger.info(
        "spark counted %d of %d records from %s",
        report.counted,
        report.read,
        ", ".join(paths),
    )
    return MetricsResult(counts, report, quarantine)

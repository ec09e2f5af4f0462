"""``scamlens metrics``: the nine indicators of one source, for any breakdown."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import duckdb
import pyarrow as pa

from scamlens.cleaning.pipeline import Verdicts
from scamlens.cleaning.report import CleaningReport
from scamlens.cleaning.rules import SUPERSEDED
from scamlens.indicators.duckdb_sql import counts_sql, dimension_sql
from scamlens.jobs.engine import Progress, land, scratch_engine
from scamlens.privacy import resolve_key
from scamlens.privacy.redact import Redactor
from scamlens.settings import Settings
from scamlens.sources import Source

__all__ = ["MetricsResult", "aggregate_verdicts", "compute_metrics", "quarantine_rows"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MetricsResult:
    """Summed counts per group (rates not yet derived) and the cleaning report."""

    counts: pa.Table
    report: CleaningReport
    quarantine: pa.Table | None


def aggregate_verdicts(
    con: duckdb.DuckDBPyConnection, verdicts_sql: str, dims: Sequence[str]
) -> tuple[pa.Table, CleaningReport]:
    """Counts per group of counted attempts, and counts per reason, in one pass."""
    dim_cols = [f"CASE WHEN reason IS NULL THEN {dimension_sql(d)} END AS {d}" for d in dims]
    select = ", ".join(["reason", *dim_cols, *counts_sql()])
    table = con.sql(f"SELECT {select} FROM ({verdicts_sql}) GROUP BY ALL").to_arrow_table()
    reasons = table.column("reason").to_pylist()
    initiated = table.column("initiated").to_pylist()
    by_reason: dict[str | None, int] = {}
    for reason, n in zip(reasons, initiated, strict=True):
        by_reason[reason] = by_reason.get(reason, 0) + int(n)
    clean = table.filter(pa.compute.is_null(table.column("reason"))).drop_columns(["reason"])
    if dims:
        clean = clean.sort_by([(d, "ascending") for d in dims])
    return clean, CleaningReport.from_reasons(by_reason)


def quarantine_rows(
    con: duckdb.DuckDBPyConnection, verdicts_sql: str, relation: str, redactor: Redactor
) -> pa.Table:
    """Quarantined attempts with reason, detail and their original values as JSON.

    Free text in the originals (transcripts, extra columns) is redacted again here:
    a Parquet file scanned in place never passed through the landing door.
    """
    table = con.sql(
        "SELECT v._seq AS read_order, v.outreach_id, v.reason, v.detail, "
        "to_json(l) AS original FROM "
        f"(SELECT _seq, outreach_id, reason, detail FROM ({verdicts_sql}) "
        f"WHERE reason IS NOT NULL AND reason <> '{SUPERSEDED}') v "
        f"JOIN {relation} l USING (_seq) ORDER BY v._seq"
    ).to_arrow_table()
    originals = [
        None if text is None else redactor.redact(text)
        for text in table.column("original").to_pylist()
    ]
    return table.set_column(
        table.column_names.index("original"), "original", pa.array(originals, pa.string())
    )


def compute_metrics(
    source: Source,
    dims: Sequence[str],
    settings: Settings,
    as_of: datetime,
    *,
    with_quarantine: bool = False,
    progress: Progress | None = None,
) -> MetricsResult:
    """Read ``source``, clean it and count the indicators by ``dims``."""
    con = scratch_engine(settings)
    try:
        key = resolve_key(settings)
        relation, rows = land(con, source, key, progress=progress)
        logger.info("landed %s rows from %s", rows, source.describe())
        verdicts = Verdicts(con, relation, settings.cleaning, as_of)
        counts, report = aggregate_verdicts(con, verdicts.sql(), dims)
        quarantine = (
            quarantine_rows(con, verdicts.sql(), relation, Redactor(key))
            if with_quarantine
            else None
        )
        verdicts.close()
        return MetricsResult(counts, report, quarantine)
    finally:
        con.close()

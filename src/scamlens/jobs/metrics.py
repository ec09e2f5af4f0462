"""``scamlens metrics``: the nine indicators of one source, for any breakdown.

:func:`compute_metrics` does not group :meth:`Verdicts.sql` row by row: it asks the
verdicts for their counts (:meth:`Verdicts.counts_sql`), one pass over the source
that reads only the columns the rules and the breakdown need. The local day, and the
week and month derived from it, come from the pipeline's ``_day`` (plain UTC+8
arithmetic since 1992) rather than from a time-zone cast per row.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import duckdb
import pyarrow as pa

from scamlens.cleaning.citizens import RAW_PHONE, CitizenKeys
from scamlens.cleaning.parse import quote
from scamlens.cleaning.pipeline import Verdicts, relation_types
from scamlens.cleaning.report import CleaningReport
from scamlens.cleaning.rules import SUPERSEDED
from scamlens.indicators.definitions import COUNTS
from scamlens.indicators.duckdb_sql import count_sql, counts_sql, dimension_sql
from scamlens.jobs.engine import Progress, land, scratch_engine
from scamlens.privacy import resolve_key
from scamlens.privacy.redact import Redactor
from scamlens.settings import Settings
from scamlens.sources import Source

__all__ = [
    "MetricsResult",
    "aggregate_verdicts",
    "compute_metrics",
    "count_verdicts",
    "quarantine_rows",
    "redact_originals",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MetricsResult:
    """Summed counts per group (rates not yet derived) and the cleaning report."""

    counts: pa.Table
    report: CleaningReport
    quarantine: pa.Table | None


# Dimensions the verdicts' ``_day`` (a DATE in local time) gives without a cast.
_FROM_DAY = {
    "day": "_day",
    "week": "strftime(_day, '%G-W%V')",
    "month": "strftime(_day, '%Y-%m')",
}


def _dimension(name: str) -> str:
    return _FROM_DAY.get(name) or dimension_sql(name)


def aggregate_verdicts(
    con: duckdb.DuckDBPyConnection, verdicts_sql: str, dims: Sequence[str]
) -> tuple[pa.Table, CleaningReport]:
    """Counts per group of counted attempts, and counts per reason, in one pass."""
    dim_cols = [
        f"CASE WHEN reason IS NULL THEN {_dimension(d)} END AS {d}" for d in dims
    ]
    select = ", ".join(["reason", *dim_cols, *counts_sql()])
    table = con.sql(
        f"SELECT {select} FROM ({verdicts_sql}) GROUP BY ALL"
    ).to_arrow_table()
    return _split(table, dims)


def count_verdicts(
    verdicts: Verdicts, dims: Sequence[str]
) -> tuple[pa.Table, CleaningReport]:
    """Like :func:`aggregate_verdicts`, by the verdicts' own counting pass."""
    sql = verdicts.counts_sql(
        {d: _dimension(d) for d in dims},
        {c.name: count_sql(c).rsplit(" AS ", 1)[0] for c in COUNTS},
    )
    return _split(verdicts.con.sql(sql).to_arrow_table(), dims)


def _split(table: pa.Table, dims: Sequence[str]) -> tuple[pa.Table, CleaningReport]:
    reasons = table.column("reason").to_pylist()
    initiated = table.column("initiated").to_pylist()
    by_reason: dict[str | None, int] = {}
    for reason, n in zip(reasons, initiated, strict=True):
        by_reason[reason] = by_reason.get(reason, 0) + int(n)
    clean = table.filter(pa.compute.is_null(table.column("reason"))).drop_columns(
        ["reason"]
    )
    if dims:
        clean = clean.sort_by([(d, "ascending") for d in dims])
    return clean, CleaningReport.from_reasons(by_reason)


def _original_json(
    con: duckdb.DuckDBPyConnection, relation: str, key: bytes | None
) -> str:
    """JSON of a relation row ``l``; a raw phone is replaced by its pseudonym.

    The pseudonym is computed after the join, so only for quarantined rows.
    """
    types = relation_types(con, relation)
    if RAW_PHONE not in types:
        return "to_json(l)"
    fields = [
        f"{quote(n)} := l.{quote(n)}" for n in types if n not in (RAW_PHONE, "_seq")
    ]
    fields.append(f"citizen_key := {CitizenKeys.of(types, key).value_sql()}")
    fields.append("_seq := l._seq")
    return f"to_json(struct_pack({', '.join(fields)}))"


def quarantine_rows(
    con: duckdb.DuckDBPyConnection,
    verdicts_sql: str,
    relation: str,
    redactor: Redactor,
    *,
    key: bytes | None = None,
) -> pa.Table:
    """Quarantined attempts with reason, detail and their original values as JSON.

    Free text in the originals (transcripts, extra columns) is redacted again here:
    a Parquet file scanned in place never passed through the landing door. Such a
    scan also defers pseudonyms (``key`` is then needed): the original carries the
    ``citizen_key``, never the raw phone.
    """
    table = con.sql(
        "SELECT v._seq AS read_order, v.outreach_id, v.reason, v.detail, "
        f"{_original_json(con, relation, key)} AS original FROM "
        f"(SELECT _seq, outreach_id, reason, detail FROM ({verdicts_sql}) "
        f"WHERE reason IS NOT NULL AND reason <> '{SUPERSEDED}') v "
        f"JOIN {relation} l USING (_seq) ORDER BY v._seq"
    ).to_arrow_table()
    return redact_originals(table, redactor)


def redact_originals(table: pa.Table, redactor: Redactor) -> pa.Table:
    """``table`` with the phone numbers in its ``original`` column pseudonymised."""
    originals = [
        None if text is None else redactor.redact(text)
        for text in table.column("original").to_pylist()
    ]
    return table.set_column(
        table.column_names.index("original"),
        "original",
        pa.array(originals, pa.string()),
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
        verdicts = Verdicts(con, relation, settings.cleaning, as_of, key=key)
        try:
            counts, report = count_verdicts(verdicts, dims)
            quarantine = (
                quarantine_rows(con, verdicts.sql(), relation, Redactor(key), key=key)
                if with_quarantine
                else None
            )
        finally:
            verdicts.close()
        return MetricsResult(counts, report, quarantine)
    finally:
        con.close()

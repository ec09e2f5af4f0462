"""Rebuild the derived warehouse tables from ``record_versions``.

One cleaning pass over every stored version gives the verdicts; from them, in one
transaction: ``attempts`` (clean facts with every dimension), ``quarantine`` (failed
records with reason and original values) and ``daily_counts`` (the five counts by
day × region × channel × module × fraud type × age band). Rebuilding everything keeps
the three tables consistent with each other and with the rules in force, and lets a
record that was in the future at the last run be counted once its time has come.
"""

from __future__ import annotations

import logging
from datetime import datetime

import duckdb

from scamlens.cleaning.pipeline import Verdicts
from scamlens.cleaning.report import CleaningReport
from scamlens.cleaning.rules import SUPERSEDED
from scamlens.indicators.duckdb_sql import counts_sql, dimensions_sql
from scamlens.settings import CleaningSettings

__all__ = ["DAILY_GRAIN", "FACT_COLUMNS", "refresh"]

logger = logging.getLogger(__name__)

FACT_COLUMNS: tuple[str, ...] = (
    "_seq",
    "outreach_id",
    "lead_id",
    "citizen_key",
    "age",
    "initiated_at",
    "connected",
    "talk_seconds",
    "content_seconds",
    "played_seconds",
    "fully_played",
    "confirmed_accurate",
    "reported_defrauded",
    "transcript",
    "updated_at",
)
DAILY_GRAIN: tuple[str, ...] = (
    "day",
    "region_code",
    "channel",
    "module",
    "fraud_type",
    "age_band",
)


def refresh(
    con: duckdb.DuckDBPyConnection,
    cleaning: CleaningSettings,
    as_of: datetime,
) -> CleaningReport:
    """Rebuild attempts, quarantine and daily_counts; return the cleaning report."""
    verdicts = Verdicts(con, "record_versions", cleaning, as_of)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE _verdicts AS {verdicts.sql()}")
    finally:
        verdicts.close()
    by_reason = dict(
        con.execute("SELECT reason, count(*) FROM _verdicts GROUP BY reason").fetchall()
    )
    report = CleaningReport.from_reasons(by_reason)
    facts = ", ".join([*FACT_COLUMNS, *dimensions_sql()])
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(
            f"CREATE OR REPLACE TABLE attempts AS SELECT {facts} FROM _verdicts "
            "WHERE reason IS NULL"
        )
        con.execute(
            "CREATE OR REPLACE TABLE quarantine AS SELECT v._seq AS read_order, "
            "v.outreach_id, v.reason, v.detail, r._ingest_id AS ingest_id, "
            "to_json(r) AS original FROM _verdicts v JOIN (SELECT * EXCLUDE "
            "(_content_hash) FROM record_versions) r USING (_seq) "
            f"WHERE v.reason IS NOT NULL AND v.reason <> '{SUPERSEDED}'"
        )
        grain = ", ".join(DAILY_GRAIN)
        con.execute(
            f"CREATE OR REPLACE TABLE daily_counts AS SELECT {grain}, "
            f"{', '.join(counts_sql())} FROM attempts GROUP BY ALL ORDER BY {grain}"
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        con.execute("DROP TABLE IF EXISTS _verdicts")
    logger.info("refreshed warehouse %s", report.as_dict())
    return report

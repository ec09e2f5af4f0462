"""Tables of the warehouse and how they are created.

=================  ==========================================================
meta               schema version; check value of the pseudonymisation key
                   (``warehouse/keycheck.py``)
record_versions    every version of every record ever read, as text, in read
                   order (``_seq``); phone numbers only as pseudonyms
source_positions   how far each source has been read (JSON), per source key
ingest_log         one row per ingestion: source, rows, time
attempts           clean attempts (the facts): typed columns + every dimension
quarantine         records that failed a rule: reason, detail, original values
daily_counts       the five counts by day × region × channel × module ×
                   fraud type × age band (rates are derived at query time)
runs               one row per ``scamlens run`` with its report (JSON)
alerts             signals raised by detectors (see ``warehouse/alerts.py``)
=================  ==========================================================

Derived tables (attempts, quarantine, daily_counts) are rebuilt from
``record_versions`` by every run, so they always agree with one another.
"""

from __future__ import annotations

import logging

import duckdb

from scamlens.cleaning.parse import quote
from scamlens.sources.landing import LANDING_COLUMNS
from scamlens.warehouse.alerts import ensure_alerts_table

__all__ = ["META_DDL", "SCHEMA_VERSION", "ensure_schema"]

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 1


def _landing_columns() -> str:
    return ", ".join(
        f"{quote(c)} BIGINT" if c == "_seq" else f"{quote(c)} VARCHAR"
        for c in LANDING_COLUMNS
    )


META_DDL = "CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)"
"""Schema version and the pseudonymisation key's check value (``keycheck.py``)."""

_DDL = (
    META_DDL,
    f"CREATE TABLE IF NOT EXISTS record_versions ({_landing_columns()}, "
    "_ingest_id BIGINT, _content_hash VARCHAR)",
    "CREATE TABLE IF NOT EXISTS source_positions (source_key VARCHAR PRIMARY KEY, "
    "kind VARCHAR, position VARCHAR, updated_at TIMESTAMPTZ)",
    "CREATE TABLE IF NOT EXISTS ingest_log (ingest_id BIGINT PRIMARY KEY, "
    "source_key VARCHAR, started_at TIMESTAMPTZ, finished_at TIMESTAMPTZ, "
    "rows_read BIGINT, rows_new BIGINT, rows_unchanged BIGINT, first_seq BIGINT, "
    "last_seq BIGINT)",
    "CREATE TABLE IF NOT EXISTS runs (run_id VARCHAR PRIMARY KEY, started_at "
    "TIMESTAMPTZ, finished_at TIMESTAMPTZ, as_of TIMESTAMPTZ, report VARCHAR)",
)


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create every table that does not exist yet and record the schema version."""
    for statement in _DDL:
        con.execute(statement)
    ensure_alerts_table(con)
    con.execute(
        "INSERT INTO meta VALUES ('schema_version', ?) ON CONFLICT (key) DO NOTHING",
        [str(SCHEMA_VERSION)],
    )

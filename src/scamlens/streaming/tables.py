"""The streaming engine's warehouse tables and its small pieces of state.

=======================  ==========================================================
stream_versions          every received version, landing shape (text columns,
                         ``citizen_key`` instead of the phone, ``extras``,
                         ``_malformed``), numbered in read order by ``_seq``;
                         ``_content_hash`` for sources that re-read rows
stream_late              records older than watermark − allowed lateness: kept,
                         never counted (quarantine reason ``too_late``)
stream_verdicts          the current verdict of every stored version (reason NULL
                         = counted) with the typed values its windows need
stream_w<grain>__<dims>  windowed counts, one table per window spec
stream_window_specs      the window specs the tables above were built for
stream_state             read-order counter and watermark (one row)
stream_closed            per grain, the end of the last window handed to detection
stream_positions         how far each source has been read (JSON), per source key
stream_quarantine        view: every quarantined version with reason and original
=======================  ==========================================================

Everything here runs on the caller's connection and never commits: the engine writes
all of it, and the source position, in one transaction per micro-batch.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

from scamlens.cleaning.parse import quote
from scamlens.cleaning.rules import SUPERSEDED
from scamlens.indicators import COUNT_NAMES, FLAGS
from scamlens.sources.landing import LANDING_COLUMNS

__all__ = [
    "LATE_REASON",
    "StreamState",
    "VERDICT_COLUMNS",
    "ensure_stream_schema",
    "load_position",
    "load_state",
    "save_position",
    "save_state",
    "window_table_ddl",
]

logger = logging.getLogger(__name__)

LATE_REASON = "too_late"

VERDICT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("_seq", "BIGINT"),
    ("_idh", "UBIGINT"),
    ("outreach_id", "VARCHAR"),
    ("citizen_key", "VARCHAR"),
    ("_day", "DATE"),
    ("module", "VARCHAR"),
    ("_gh", "UBIGINT"),
    ("initiated_at", "TIMESTAMPTZ"),
    ("reason", "VARCHAR"),
    ("detail", "VARCHAR"),
    ("region_code", "VARCHAR"),
    ("channel", "VARCHAR"),
    ("fraud_type", "VARCHAR"),
    ("age_band", "VARCHAR"),
    ("gender", "VARCHAR"),
    *((flag, "BOOLEAN") for flag in FLAGS),
)
"""Columns of ``stream_verdicts``: identity, cap group, verdict, window values."""


def _landing_ddl() -> str:
    return ", ".join(
        f"{quote(c)} BIGINT" if c == "_seq" else f"{quote(c)} VARCHAR"
        for c in LANDING_COLUMNS
    )


def _quarantine_view() -> str:
    return (
        "CREATE OR REPLACE VIEW stream_quarantine AS "
        "SELECT v._seq AS read_order, v.outreach_id, v.reason, v.detail, "
        "to_json(r) AS original FROM stream_verdicts v "
        "JOIN (SELECT * EXCLUDE (_content_hash) FROM stream_versions) r USING (_seq) "
        f"WHERE v.reason IS NOT NULL AND v.reason <> '{SUPERSEDED}' "
        "UNION ALL BY NAME "
        "SELECT l._seq AS read_order, l.outreach_id, "
        f"'{LATE_REASON}' AS reason, 'initiated_at' AS detail, "
        "to_json(l) AS original FROM stream_late l"
    )


_DDL: tuple[str, ...] = (
    f"CREATE TABLE IF NOT EXISTS stream_versions ({_landing_ddl()}, "
    "_content_hash UHUGEINT)",
    f"CREATE TABLE IF NOT EXISTS stream_late ({_landing_ddl()}, "
    "event_time TIMESTAMPTZ, watermark TIMESTAMPTZ)",
    "CREATE TABLE IF NOT EXISTS stream_verdicts ("
    + ", ".join(f"{name} {kind}" for name, kind in VERDICT_COLUMNS)
    + ")",
    "CREATE TABLE IF NOT EXISTS stream_window_specs (table_name VARCHAR PRIMARY KEY, "
    "grain VARCHAR NOT NULL, dims VARCHAR NOT NULL)",
    "CREATE TABLE IF NOT EXISTS stream_state (id INTEGER PRIMARY KEY, "
    "next_seq BIGINT NOT NULL, watermark TIMESTAMPTZ, updated_at TIMESTAMPTZ)",
    "CREATE TABLE IF NOT EXISTS stream_closed (grain VARCHAR PRIMARY KEY, "
    "closed_until TIMESTAMPTZ NOT NULL)",
    "CREATE TABLE IF NOT EXISTS stream_positions (source_key VARCHAR PRIMARY KEY, "
    "kind VARCHAR, position VARCHAR, updated_at TIMESTAMPTZ)",
)


def window_table_ddl(table: str, dims: tuple[str, ...]) -> str:
    """DDL of a window table: start, dimensions, the five counts."""
    columns = ["window_start TIMESTAMPTZ NOT NULL"]
    columns += [f"{d} VARCHAR NOT NULL" for d in dims]
    columns += [f"{c} BIGINT NOT NULL" for c in COUNT_NAMES]
    return f"CREATE TABLE IF NOT EXISTS {table} ({', '.join(columns)})"


def ensure_stream_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the streaming tables and the quarantine view if missing."""
    for statement in _DDL:
        con.execute(statement)
    con.execute(_quarantine_view())


@dataclass
class StreamState:
    """The read-order counter and the watermark (max event time seen)."""

    next_seq: int
    watermark: datetime | None


def load_state(con: duckdb.DuckDBPyConnection) -> StreamState:
    """The committed state, or a fresh one."""
    rows = con.execute("SELECT next_seq, watermark FROM stream_state WHERE id = 1")
    found = rows.fetchall()
    if not found:
        return StreamState(0, None)
    return StreamState(int(found[0][0]), found[0][1])


def save_state(
    con: duckdb.DuckDBPyConnection, state: StreamState, now: datetime
) -> None:
    """Write ``state`` (inside the caller's transaction)."""
    con.execute(
        "INSERT INTO stream_state VALUES (1, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
        "next_seq = excluded.next_seq, watermark = excluded.watermark, "
        "updated_at = excluded.updated_at",
        [state.next_seq, state.watermark, now],
    ).fetchall()


def load_position(con: duckdb.DuckDBPyConnection, key: str) -> dict[str, Any] | None:
    """The committed position of source ``key``, or None if never read."""
    rows = con.execute(
        "SELECT position FROM stream_positions WHERE source_key = ?", [key]
    ).fetchall()
    return json.loads(rows[0][0]) if rows else None


def save_position(
    con: duckdb.DuckDBPyConnection,
    key: str,
    kind: str,
    position: dict[str, Any],
    now: datetime,
) -> None:
    """Write the position of source ``key`` (inside the caller's transaction)."""
    con.execute(
        "INSERT INTO stream_positions VALUES (?, ?, ?, ?) ON CONFLICT (source_key) "
        "DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at",
        [key, kind, json.dumps(position, default=str, sort_keys=True), now],
    ).fetchall()

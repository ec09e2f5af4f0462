"""Detection state in the warehouse: the closed windows baselines are drawn from.

Baselines are recomputed from earlier windows each time (see
:mod:`scamlens.anomaly.baseline`), so the only state detection keeps is a table of
closed windows per segment set, pruned to the longest lookback. It lives in the
warehouse (``anomaly_history``) and every function here works on the caller's
connection without committing, so the streaming engine can save it in the same
transaction as its source position: after a crash, the state and the position agree.

Dimensions a segment set does not use are stored as empty strings, so that one
primary key covers every segment set and re-saving a window replaces it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

import duckdb
import pyarrow as pa

from scamlens.anomaly.config import COUNT_COLUMNS, DIMENSIONS
from scamlens.anomaly.frame import normalise_windows, segment_dims, segment_set_name

__all__ = [
    "HISTORY_TABLE",
    "ensure_state_tables",
    "load_history",
    "prune_history",
    "save_windows",
]

logger = logging.getLogger(__name__)

HISTORY_TABLE = "anomaly_history"

_DDL = f"""
CREATE TABLE IF NOT EXISTS {HISTORY_TABLE} (
    segment_set VARCHAR NOT NULL,
    grain VARCHAR NOT NULL,
    window_start TIMESTAMPTZ NOT NULL,
    window_end TIMESTAMPTZ NOT NULL,
    {", ".join(f"{d} VARCHAR NOT NULL" for d in DIMENSIONS)},
    {", ".join(f"{c} BIGINT NOT NULL" for c in COUNT_COLUMNS)},
    PRIMARY KEY (segment_set, grain, window_start, {", ".join(DIMENSIONS)})
)
"""


def ensure_state_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the detection state table if it does not exist."""
    con.execute(_DDL)


def _stored_form(windows: pa.Table) -> pa.Table:
    """``windows`` in the stored layout: segment set name, every dimension column."""
    windows = normalise_windows(windows)
    dims = segment_dims(windows)
    n = windows.num_rows
    columns: dict[str, pa.Array | pa.ChunkedArray] = {
        "segment_set": pa.array([segment_set_name(dims)] * n, pa.string()),
        "grain": windows.column("grain"),
        "window_start": windows.column("window_start"),
        "window_end": windows.column("window_end"),
    }
    for d in DIMENSIONS:
        columns[d] = windows.column(d) if d in dims else pa.array([""] * n, pa.string())
    for c in COUNT_COLUMNS:
        columns[c] = windows.column(c)
    return pa.table(columns)


def save_windows(
    con: duckdb.DuckDBPyConnection, windows: pa.Table | Sequence[pa.Table]
) -> int:
    """Save closed windows as history; a re-saved window replaces the saved one.

    ``windows`` is one table or one table per segment set, saved in one statement.
    Returns the number of rows offered. Does not commit.
    """
    ensure_state_tables(con)
    tables = [windows] if isinstance(windows, pa.Table) else list(windows)
    stored = [_stored_form(t) for t in tables]
    stored = [t for t in stored if t.num_rows]
    if not stored:
        return 0
    rows = pa.concat_tables(stored)
    key = ", ".join(("segment_set", "grain", "window_start", *DIMENSIONS))
    con.register("_anomaly_save", rows)
    try:
        con.execute(
            f"""
            INSERT OR REPLACE INTO {HISTORY_TABLE}
            SELECT * FROM _anomaly_save
            QUALIFY row_number() OVER (PARTITION BY {key}) = 1
            """
        )
    finally:
        con.unregister("_anomaly_save")
    logger.debug("saved %d windows", rows.num_rows)
    return rows.num_rows


def load_history(
    con: duckdb.DuckDBPyConnection,
    dims: Sequence[str],
    *,
    grains: Sequence[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    starts: pa.Table | None = None,
) -> pa.Table:
    """Saved windows of the segment set ``dims`` with ``since <= start < until``.

    ``starts`` (columns ``grain``, ``window_start``) restricts the result to those
    windows, e.g. the comparable windows of
    :func:`scamlens.anomaly.baseline.comparable_starts`.
    """
    ensure_state_tables(con)
    clauses = ["segment_set = ?"]
    params: list[object] = [segment_set_name(dims)]
    if grains is not None:
        clauses.append(f"grain IN ({', '.join('?' for _ in grains)})")
        params += list(grains)
    if since is not None:
        clauses.append("window_start >= ?")
        params.append(since)
    if until is not None:
        clauses.append("window_start < ?")
        params.append(until)
    columns = ", ".join(("grain", "window_start", "window_end", *dims, *COUNT_COLUMNS))
    query = f"SELECT {columns} FROM {HISTORY_TABLE} h"
    if starts is not None:
        con.register("_anomaly_starts", starts.select(["grain", "window_start"]))
        query += (
            " SEMI JOIN _anomaly_starts s"
            " ON s.grain = h.grain AND s.window_start = h.window_start"
        )
    try:
        table = con.sql(
            f"{query} WHERE {' AND '.join(clauses)}", params=params
        ).to_arrow_table()
    finally:
        if starts is not None:
            con.unregister("_anomaly_starts")
    return normalise_windows(table, what="history", dims=dims)


def prune_history(con: duckdb.DuckDBPyConnection, grain: str, before: datetime) -> int:
    """Delete saved windows of ``grain`` that start before ``before``; return count."""
    ensure_state_tables(con)
    row = con.execute(
        f"DELETE FROM {HISTORY_TABLE} WHERE grain = ? AND window_start < ? RETURNING 1",
        [grain, before],
    ).fetchall()
    if row:
        logger.debug("pruned %d %s windows before %s", len(row), grain, before)
    return len(row)

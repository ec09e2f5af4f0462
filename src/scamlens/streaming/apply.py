"""Fold signed count deltas into the window tables; build a new window table.

The counts are compiled from the :data:`scamlens.indicators.COUNTS` declarations: a
count adds the delta's sign where every flag it requires is true. A delta row is +1
for a version that became counted and −1 for one that stopped being counted (a
superseded version, a record pushed over the daily cap), so a corrected record is
retracted from every window it touched and added to the windows it now belongs to.

Window rows are merged by key; a row whose ``initiated`` falls to zero is deleted
(every count is at most ``initiated``), so a window table holds exactly the groups
a batch query over the same records would return.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import duckdb

from scamlens.indicators import COUNT_NAMES, COUNTS
from scamlens.indicators.definitions import Count
from scamlens.streaming.tables import window_table_ddl
from scamlens.streaming.windows import WindowSpec, window_start_sql

__all__ = [
    "apply_deltas",
    "build_window_table",
    "ensure_window_tables",
    "stored_specs",
]

logger = logging.getLogger(__name__)


def _signed_count(count: Count, sign: str) -> str:
    if not count.requires:
        return f"sum({sign})"
    condition = " AND ".join(count.requires)
    return f"coalesce(sum({sign}) FILTER (WHERE {condition}), 0)"


def _plain_count(count: Count) -> str:
    if not count.requires:
        return "count(*)"
    return f"count(*) FILTER (WHERE {' AND '.join(count.requires)})"


def _grouped(spec: WindowSpec, relation: str, counts: Sequence[str], where: str) -> str:
    keys = [f"{window_start_sql(spec.grain, 'initiated_at')} AS window_start"]
    keys += list(spec.dims)
    selected = ", ".join(
        [
            *keys,
            *(
                f"CAST({c} AS BIGINT) AS {n}"
                for c, n in zip(counts, COUNT_NAMES, strict=True)
            ),
        ]
    )
    return f"SELECT {selected} FROM {relation} WHERE {where} GROUP BY ALL"


def apply_deltas(con: duckdb.DuckDBPyConnection, spec: WindowSpec, deltas: str) -> None:
    """Merge the signed deltas of relation ``deltas`` into ``spec``'s table."""
    counts = [_signed_count(c, "_sign") for c in COUNTS]
    source = _grouped(spec, deltas, counts, "_sign <> 0")
    nonzero = " OR ".join(f"{n} <> 0" for n in COUNT_NAMES)
    keys = ["window_start", *spec.dims]
    on = " AND ".join(f"w.{k} = d.{k}" for k in keys)
    update = ", ".join(f"{n} = w.{n} + d.{n}" for n in COUNT_NAMES)
    columns = ", ".join([*keys, *COUNT_NAMES])
    values = ", ".join(f"d.{c}" for c in [*keys, *COUNT_NAMES])
    con.execute(
        f"MERGE INTO {spec.table} w USING (SELECT * FROM ({source}) WHERE {nonzero}) d "
        f"ON ({on}) "
        "WHEN MATCHED AND w.initiated + d.initiated = 0 THEN DELETE "
        f"WHEN MATCHED THEN UPDATE SET {update} "
        f"WHEN NOT MATCHED THEN INSERT ({columns}) VALUES ({values})"
    ).fetchall()


def build_window_table(con: duckdb.DuckDBPyConnection, spec: WindowSpec) -> int:
    """(Re)fill ``spec``'s table from the counted verdicts; return its rows."""
    con.execute(f"DROP TABLE IF EXISTS {spec.table}")
    con.execute(window_table_ddl(spec.table, spec.dims))
    counts = [_plain_count(c) for c in COUNTS]
    con.execute(
        f"INSERT INTO {spec.table} "
        f"{_grouped(spec, 'stream_verdicts', counts, 'reason IS NULL')}"
    ).fetchall()
    rows = con.execute(f"SELECT count(*) FROM {spec.table}").fetchall()[0][0]
    con.execute(
        "INSERT INTO stream_window_specs VALUES (?, ?, ?) ON CONFLICT (table_name) "
        "DO UPDATE SET grain = excluded.grain, dims = excluded.dims",
        [spec.table, spec.grain, ",".join(spec.dims)],
    ).fetchall()
    logger.info("built window table %s rows=%d", spec.table, rows)
    return int(rows)


def ensure_window_tables(
    con: duckdb.DuckDBPyConnection, specs: Sequence[WindowSpec]
) -> list[WindowSpec]:
    """Build the tables of ``specs`` not built before; return the ones built.

    Tables of specs no longer configured are dropped: nothing would keep them up
    to date, and ``metrics --live`` must not answer from a stale table.
    """
    known = {
        row[0]
        for row in con.execute("SELECT table_name FROM stream_window_specs").fetchall()
    }
    wanted = {spec.table for spec in specs}
    for table in sorted(known - wanted):
        con.execute(f"DROP TABLE IF EXISTS {table}")
        con.execute(
            "DELETE FROM stream_window_specs WHERE table_name = ?", [table]
        ).fetchall()
        logger.info("dropped window table %s: its spec is no longer configured", table)
    built = []
    for spec in specs:
        if spec.table not in known:
            build_window_table(con, spec)
            built.append(spec)
    return built


def stored_specs(con: duckdb.DuckDBPyConnection) -> list[WindowSpec]:
    """The window specs whose tables the warehouse holds."""
    exists = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'stream_window_specs'"
    ).fetchall()[0][0]
    if not exists:
        return []
    rows = con.execute("SELECT grain, dims FROM stream_window_specs").fetchall()
    return [
        WindowSpec(grain, tuple(d for d in dims.split(",") if d))
        for grain, dims in rows
    ]

"""Hand windows to anomaly detection as the watermark closes them.

A window of a tested grain is closed once the watermark (the latest event time seen)
reaches its end. At each micro-batch the windows closed since the last one are summed
from the window table to every configured segment set and given, all segment sets
of a grain together (one family for the false-discovery control), to
:meth:`AnomalyEngine.record`, which writes alerts and its baseline history on the
engine's connection, inside the micro-batch transaction; the caller notifies the
sinks after the commit. ``stream_closed`` remembers, per grain, up to where windows
were handed over, in the same transaction, so a restart neither skips nor repeats a
window (a repeated alert would in any case keep its id).

Windows are judged on the counts committed when they closed. Records arriving later
but within the allowed lateness still correct the window tables, not past alerts.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

import duckdb
import pyarrow as pa

from scamlens.anomaly import AnomalyEngine
from scamlens.errors import UsageError
from scamlens.indicators import COUNT_NAMES
from scamlens.streaming.windows import WindowSpec, window_bounds
from scamlens.warehouse.alerts import ALERT_SCHEMA

__all__ = ["DEFAULT_SEGMENT_SETS", "WindowCloser", "parse_segment_sets"]

logger = logging.getLogger(__name__)

DEFAULT_SEGMENT_SETS: tuple[tuple[str, ...], ...] = (
    ("region_code",),
    ("fraud_type",),
    ("region_code", "channel"),
    ("region_code", "channel", "module"),
)
"""Segment sets tested by default: a district, a fraud type, a district's channel,
and a district's channel and module (where a runaway task shows)."""


def parse_segment_sets(text: str) -> tuple[tuple[str, ...], ...]:
    """``region_code;fraud_type;region_code,channel`` → segment sets."""
    sets = []
    for part in text.split(";"):
        dims = tuple(d.strip() for d in part.split(",") if d.strip())
        if dims:
            sets.append(dims)
    if not sets:
        raise UsageError(f"segment sets `{text}` name no dimension")
    return tuple(sets)


class WindowCloser:
    """Finds newly closed windows and runs detection on them."""

    def __init__(
        self,
        engine: AnomalyEngine,
        specs: Sequence[WindowSpec],
        segment_sets: Sequence[tuple[str, ...]],
    ) -> None:
        self.engine = engine
        self.plans: list[tuple[str, WindowSpec, tuple[str, ...]]] = []
        for grain in engine.config.grains:
            for dims in segment_sets:
                spec = _smallest_cover(specs, grain, dims)
                if spec is None:
                    logger.warning(
                        "no %s window table keeps %s; that segment set is not tested",
                        grain,
                        ",".join(dims),
                    )
                    continue
                self.plans.append((grain, spec, tuple(dims)))

    def close(
        self, con: duckdb.DuckDBPyConnection, watermark: datetime | None
    ) -> pa.Table:
        """Detect on every window closed by ``watermark``; return the new alerts."""
        if watermark is None:
            return _empty()
        found: list[pa.Table] = []
        rows = con.execute("SELECT grain, closed_until FROM stream_closed").fetchall()
        closed = dict(rows)
        for grain in {plan[0] for plan in self.plans}:
            upto = window_bounds(grain, watermark)[0]
            since = closed.get(grain)
            if since is not None and upto <= since:
                continue
            # Every segment set of the grain together: one family for the FDR.
            tables = [
                _closed_windows(con, spec, dims, since, upto)
                for plan_grain, spec, dims in self.plans
                if plan_grain == grain
            ]
            tables = [t for t in tables if t.num_rows]
            if tables:
                found.append(self.engine.record(con, tables))
            con.execute(
                "INSERT INTO stream_closed VALUES (?, ?) ON CONFLICT (grain) DO UPDATE "
                "SET closed_until = excluded.closed_until",
                [grain, upto],
            ).fetchall()
            logger.info("windows closed grain=%s until=%s", grain, upto.isoformat())
        found = [t for t in found if t.num_rows]
        return pa.concat_tables(found) if found else _empty()


def _empty() -> pa.Table:
    return ALERT_SCHEMA.empty_table()


def _smallest_cover(
    specs: Sequence[WindowSpec], grain: str, dims: Sequence[str]
) -> WindowSpec | None:
    fitting = [s for s in specs if s.grain == grain and set(dims) <= set(s.dims)]
    return min(fitting, key=lambda s: len(s.dims)) if fitting else None


def _closed_windows(
    con: duckdb.DuckDBPyConnection,
    spec: WindowSpec,
    dims: tuple[str, ...],
    since: datetime | None,
    upto: datetime,
) -> pa.Table:
    length = timedelta(seconds=spec.seconds)
    clauses = ["window_start + ? <= ?"]
    params: list[object] = [length, upto]
    if since is not None:
        clauses.append("window_start >= ?")
        params.append(since)
    sums = ", ".join(f"CAST(sum({c}) AS BIGINT) AS {c}" for c in COUNT_NAMES)
    keys = ", ".join(("window_start", *dims))
    return con.sql(
        f"SELECT '{spec.grain}' AS grain, window_start, "
        "window_start + ? AS window_end, "
        f"{', '.join(dims)}, {sums} FROM {spec.table} WHERE {' AND '.join(clauses)} "
        f"GROUP BY {keys} HAVING sum(initiated) > 0 ORDER BY {keys}",
        params=[length, *params],
    ).to_arrow_table()

"""The live indicators: window counts summed to any breakdown, as the batch layer does.

``scamlens metrics --live --by DIMS`` answers from the window tables the streaming
engine keeps: the coarsest window table that can give every asked dimension (day
windows unless ``hour`` is asked), summed by the dimensions. The time dimensions
come from the window start in Asia/Shanghai, ``province`` and ``city`` from the
region code, each with the batch layer's own expression, so the output has the same
columns, types and order as ``scamlens metrics`` over the same records.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import duckdb
import pyarrow as pa

from scamlens.errors import UsageError
from scamlens.indicators import COUNT_NAMES
from scamlens.indicators.duckdb_sql import dimension_sql
from scamlens.settings import Settings
from scamlens.streaming.windows import WindowSpec
from scamlens.warehouse import connect

__all__ = ["live_counts", "live_metrics", "stored_specs"]

logger = logging.getLogger(__name__)

_TIME_DIMS = ("day", "week", "month")
_FINE_GRAINS = ("1h", "1m")
_GRAIN_ORDER = {"1d": 0, "1h": 1, "1m": 2}


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


def _serves(spec: WindowSpec, dim: str) -> bool:
    if dim == "hour":
        return spec.grain in _FINE_GRAINS
    if dim in _TIME_DIMS:
        return True
    if dim in ("province", "city"):
        return "region_code" in spec.dims
    return dim in spec.dims


def _expression(spec: WindowSpec, dim: str) -> str:
    if dim in spec.dims:
        return dim
    if dim in (*_TIME_DIMS, "hour"):
        return dimension_sql(dim, ts="window_start")
    return dimension_sql(dim)


def _choose(specs: Sequence[WindowSpec], dims: Sequence[str]) -> WindowSpec:
    fitting = [s for s in specs if all(_serves(s, d) for d in dims)]
    if not fitting:
        kept = "; ".join(s.label() for s in specs) or "none"
        raise UsageError(
            f"no live window table can give `{','.join(dims)}` (kept: {kept}); "
            "restart `scamlens stream` with a --window that keeps those dimensions"
        )
    return min(fitting, key=lambda s: (_GRAIN_ORDER[s.grain], len(s.dims)))


def live_counts(con: duckdb.DuckDBPyConnection, dims: Sequence[str]) -> pa.Table:
    """Summed counts by ``dims`` from the live window tables (rates not derived)."""
    specs = stored_specs(con)
    if not specs:
        raise UsageError(
            "the warehouse holds no live windows; run `scamlens stream` into it first"
        )
    spec = _choose(specs, dims)
    keys = [f"{_expression(spec, d)} AS {d}" for d in dims]
    sums = [f"CAST(sum({c}) AS BIGINT) AS {c}" for c in COUNT_NAMES]
    table = con.sql(
        f"SELECT {', '.join([*keys, *sums])} FROM {spec.table} "
        "GROUP BY ALL HAVING sum(initiated) > 0"
    ).to_arrow_table()
    logger.info("live indicators from %s: %d groups", spec.table, table.num_rows)
    if dims:
        table = table.sort_by([(d, "ascending") for d in dims])
    return table


def live_metrics(
    settings: Settings, dims: Sequence[str], warehouse: Path | None = None
) -> pa.Table:
    """Open the warehouse read-only and return :func:`live_counts` of ``dims``."""
    path = warehouse or settings.warehouse_path
    if not Path(path).exists():
        raise UsageError(
            f"warehouse `{path}` does not exist; run `scamlens stream` to fill it"
        )
    con = connect(path, settings.engine, read_only=True)
    try:
        return live_counts(con, dims)
    finally:
        con.close()

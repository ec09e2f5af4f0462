"""The live indicators: window counts summed to any breakdown, as the batch layer does.

``scamlens metrics --live --by DIMS`` answers from the window tables the streaming
engine keeps: the coarsest window table that can give every asked dimension (day
windows unless ``hour`` is asked), summed by the dimensions. The time dimensions
come from the window start in Asia/Shanghai, ``province`` and ``city`` from the
region code, each with the batch layer's own expression, so the output has the same
columns, types and order as ``scamlens metrics`` over the same records.

While ``scamlens stream`` runs it holds the warehouse file, which no other process
may then open; the answer then comes from the stream's latest live snapshot of its
day windows (:mod:`scamlens.streaming.snapshot`), a few seconds old.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from scamlens.errors import UsageError, WarehouseLocked
from scamlens.indicators import COUNT_NAMES
from scamlens.indicators.duckdb_sql import dimension_sql
from scamlens.settings import Settings
from scamlens.streaming.apply import stored_specs
from scamlens.streaming.snapshot import Snapshot, read_snapshot, snapshot_folder
from scamlens.streaming.windows import WindowSpec
from scamlens.warehouse import connect

__all__ = [
    "LiveResult",
    "live_counts",
    "live_metrics",
    "snapshot_counts",
    "stored_specs",
]

logger = logging.getLogger(__name__)

_TIME_DIMS = ("day", "week", "month")
_FINE_GRAINS = ("1h", "1m")
_GRAIN_ORDER = {"1d": 0, "1h": 1, "1m": 2}


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


def live_counts(
    con: duckdb.DuckDBPyConnection,
    dims: Sequence[str],
    specs: Sequence[WindowSpec] | None = None,
) -> pa.Table:
    """Summed counts by ``dims`` from the live window tables (rates not derived).

    ``specs`` are the window tables ``con`` can read (default: those the warehouse
    records as built).
    """
    specs = stored_specs(con) if specs is None else specs
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


@dataclass(frozen=True)
class LiveResult:
    """Live counts, and the snapshot they come from when the warehouse was busy."""

    counts: pa.Table
    snapshot: Snapshot | None = None


def live_metrics(
    settings: Settings, dims: Sequence[str], warehouse: Path | None = None
) -> LiveResult:
    """:func:`live_counts` of ``dims`` from the warehouse, opened read-only; from its
    latest live snapshot (:mod:`scamlens.streaming.snapshot`) while ``scamlens
    stream`` holds it."""
    path = Path(warehouse or settings.warehouse_path)
    if not path.exists():
        raise UsageError(
            f"warehouse `{path}` does not exist; run `scamlens stream` to fill it"
        )
    try:
        con = connect(path, settings.engine, read_only=True)
    except WarehouseLocked:
        logger.info("warehouse %s is in use; reading its live snapshot", path)
        return snapshot_counts(settings, snapshot_folder(path), dims)
    try:
        return LiveResult(live_counts(con, dims))
    finally:
        con.close()


def snapshot_counts(
    settings: Settings, folder: Path, dims: Sequence[str]
) -> LiveResult:
    """:func:`live_counts` of ``dims`` from the current live snapshot in ``folder``
    (day windows only)."""
    snapshot = read_snapshot(folder)
    if "hour" in dims:
        raise UsageError(
            "`hour` needs the hour or minute windows, which `scamlens stream` keeps "
            "in the warehouse only; it is in use now: ask again once the stream "
            "stops, or ask by day"
        )
    con = connect(None, settings.engine)
    try:
        for spec in snapshot.specs:
            path = str(snapshot.path(spec)).replace("'", "''")
            con.execute(
                f"CREATE VIEW {spec.table} AS SELECT * FROM read_parquet('{path}')"
            )
        return LiveResult(live_counts(con, dims, snapshot.specs), snapshot)
    except duckdb.IOException:
        # Only the two newest snapshots are kept: a reader slower than two
        # publishing intervals finds its files gone.
        raise UsageError(
            f"live snapshot `{snapshot.folder}` was replaced while it was read; "
            "run the command again"
        ) from None
    finally:
        con.close()

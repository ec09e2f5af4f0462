"""The shape of a table of closed windows, checked once at the door of detection.

The streaming engine and the batch layer hand detection one Arrow table per segment
set: ``grain``, ``window_start``, ``window_end``, some of the dimension columns and
the five indicator counts. The dimension columns present *are* the segment set, so a
table of ``region_code, channel`` windows is never mixed with a table of
``fraud_type`` windows. Everything downstream relies on the normalised form built
here: timestamps in microseconds UTC, counts as int64, dimensions as strings.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence

import pyarrow as pa
import pyarrow.compute as pc

from scamlens.anomaly.config import COUNT_COLUMNS, DIMENSIONS
from scamlens.errors import SchemaMismatch

__all__ = [
    "TIME_TYPE",
    "normalise_windows",
    "segment_json",
    "segment_dims",
    "segment_set_name",
]

logger = logging.getLogger(__name__)

TIME_TYPE = pa.timestamp("us", tz="UTC")
_BASE_COLUMNS = ("grain", "window_start", "window_end")


def segment_dims(table: pa.Table | pa.Schema) -> tuple[str, ...]:
    """The dimension columns present in ``table``, in the canonical order."""
    names = set(table.schema.names if isinstance(table, pa.Table) else table.names)
    return tuple(d for d in DIMENSIONS if d in names)


def segment_set_name(dims: Sequence[str]) -> str:
    """The name of a segment set: its dimensions joined by commas (``all`` if none)."""
    return ",".join(dims) if dims else "all"


def normalise_windows(
    table: pa.Table,
    *,
    what: str = "windows",
    dims: Sequence[str] | None = None,
) -> pa.Table:
    """Check ``table`` against the window contract and return it in canonical form.

    Only the contract's columns are kept, in the order grain, window_start,
    window_end, dimensions, counts. ``dims`` forces the segment set (used for the
    history, which must match the windows it serves).
    """
    names = set(table.schema.names)
    wanted = tuple(dims) if dims is not None else segment_dims(table)
    required = (*_BASE_COLUMNS, *wanted, *COUNT_COLUMNS)
    missing = [c for c in required if c not in names]
    if missing:
        raise SchemaMismatch(
            f"{what} table lacks columns `{', '.join(missing)}`; expected grain, "
            "window_start, window_end, the segment dimensions and the counts "
            f"{', '.join(COUNT_COLUMNS)}"
        )
    columns: list[pa.Array | pa.ChunkedArray] = [
        _cast(table, "grain", pa.string(), what),
        _cast(table, "window_start", TIME_TYPE, what),
        _cast(table, "window_end", TIME_TYPE, what),
    ]
    columns += [_dimension(table, d, what) for d in wanted]
    columns += [_counts(table, c, what) for c in COUNT_COLUMNS]
    return pa.table(columns, names=list(required))


def _cast(
    table: pa.Table, name: str, target: pa.DataType, what: str
) -> pa.ChunkedArray:
    column = table.column(name)
    if column.type == target:
        return column
    try:
        return column.cast(target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        raise SchemaMismatch(
            f"{what} column `{name}` has type `{column.type}`; expected `{target}`"
        ) from None


def _dimension(table: pa.Table, name: str, what: str) -> pa.ChunkedArray:
    # An empty dimension value is its own segment; "" keeps it joinable and storable.
    column = _cast(table, name, pa.string(), what)
    return pc.fill_null(column, "") if column.null_count else column


def _counts(table: pa.Table, name: str, what: str) -> pa.ChunkedArray:
    column = _cast(table, name, pa.int64(), what)
    if column.null_count:
        column = pc.fill_null(column, 0)
    if len(column) and pc.min(column).as_py() < 0:
        raise SchemaMismatch(
            f"{what} column `{name}` holds negative counts; counts must be 0 or more"
        )
    return column


def segment_json(values: dict[str, str | None]) -> str:
    """The canonical JSON of a segment: dimensions in canonical order, no spaces."""
    ordered = {d: values[d] for d in DIMENSIONS if d in values}
    return json.dumps(ordered, ensure_ascii=False, separators=(",", ":"))

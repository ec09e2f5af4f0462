"""Render dimensions and counts in DuckDB SQL."""

from __future__ import annotations

from collections.abc import Sequence

from scamlens.contract import AGE_BANDS, AgeBand
from scamlens.indicators.definitions import COUNTS, Count
from scamlens.indicators.dimensions import DIMENSIONS, Dimension

__all__ = ["count_sql", "counts_sql", "dimension_sql", "dimensions_sql"]

_BY_NAME = {d.name: d for d in DIMENSIONS}


def _age_band(age: str) -> str:
    branches = []
    for lower, band in reversed(AGE_BANDS):
        branches.append(f"WHEN {age} >= {lower} THEN '{band.value}'")
    return f"(CASE {' '.join(branches)} ELSE '{AgeBand.UNKNOWN.value}' END)"


def dimension_sql(dim: Dimension | str, *, ts: str = "initiated_at") -> str:
    """The DuckDB expression of ``dim`` over a typed attempt."""
    if isinstance(dim, str):
        dim = _BY_NAME[dim]
    match dim.derivation:
        case "local_date":
            return f"CAST({ts} AS DATE)"
        case "local_hour":
            return f"CAST(hour({ts}) AS INTEGER)"
        case "iso_week":
            return f"strftime({ts}, '%G-W%V')"
        case "local_month":
            return f"strftime({ts}, '%Y-%m')"
        case "province":
            return "(substr(region_code, 1, 2) || '0000')"
        case "city":
            return "(substr(region_code, 1, 4) || '00')"
        case "age_band":
            return _age_band("age")
        case "column":
            return dim.name
    raise AssertionError(f"unhandled derivation {dim.derivation!r} of {dim.name}")


def dimensions_sql(names: Sequence[str] | None = None) -> list[str]:
    """``expr AS name`` for each dimension (all of them by default)."""
    chosen = names if names is not None else [d.name for d in DIMENSIONS]
    return [f"{dimension_sql(n)} AS {n}" for n in chosen]


def count_sql(count: Count) -> str:
    """The aggregate of one count over boolean flag columns."""
    if not count.requires:
        return f"count(*) AS {count.name}"
    condition = " AND ".join(count.requires)
    return f"count(*) FILTER (WHERE {condition}) AS {count.name}"


def counts_sql() -> list[str]:
    """The aggregates of every count, in declaration order."""
    return [count_sql(c) for c in COUNTS]

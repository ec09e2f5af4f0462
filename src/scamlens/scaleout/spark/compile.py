"""The indicator declarations compiled to Spark column expressions.

:data:`scamlens.indicators.COUNTS` and :data:`scamlens.indicators.DIMENSIONS` are the
only definitions; this module renders each ``Count`` as a conditional count and each
dimension ``derivation`` as a column, the way :mod:`scamlens.indicators.duckdb_sql`
renders them for DuckDB. Rates are never computed here: they come from the summed
counts through :func:`scamlens.indicators.with_rates`, whatever the engine.

Dimensions can be derived from a clean attempt (``initiated_at``, ``region_code``,
``age``...) or, for the streaming cube, from the cube's stored columns (``day``,
``hour``, ``age_band``), which give the same values.

Text formats follow DuckDB's ``strftime``: years are written with at least four
digits (``0025``, ``12025``) and negative years plainly (``-5``); weeks are
``%G-W%V`` (ISO year and week).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

import pyarrow as pa

from scamlens.contract import AGE_BANDS, AgeBand
from scamlens.indicators import COUNTS, DIMENSIONS, Count, Dimension

if TYPE_CHECKING:
    from pyspark.sql import Column

__all__ = [
    "CUBE_DIMENSIONS",
    "arrow_schema",
    "count_column",
    "count_columns",
    "dimension_column",
]

logger = logging.getLogger(__name__)

_BY_NAME = {d.name: d for d in DIMENSIONS}
CUBE_DIMENSIONS: tuple[str, ...] = (
    "day",
    "hour",
    "region_code",
    "channel",
    "module",
    "fraud_type",
    "age_band",
    "gender",
)
"""The finest breakdown kept by the streaming cube; every dimension derives from it."""


def _year_text(year: Column) -> Column:
    from pyspark.sql import functions as F

    return F.when(year >= 0, F.format_string("%04d", year)).otherwise(
        year.cast("string")
    )


def _age_band(age: Column) -> Column:
    from pyspark.sql import functions as F

    band = None
    for lower, name in reversed(AGE_BANDS):
        band = (
            F.when(age >= lower, F.lit(name.value))
            if band is None
            else band.when(age >= lower, F.lit(name.value))
        )
    assert band is not None
    return band.otherwise(F.lit(AgeBand.UNKNOWN.value))


def _iso_week(day: Column) -> Column:
    from pyspark.sql import functions as F

    thursday = F.date_add(day, 3 - F.weekday(day))
    week = F.lpad(F.weekofyear(day).cast("string"), 2, "0")
    return F.concat(_year_text(F.year(thursday)), F.lit("-W"), week)


def _month(day: Column) -> Column:
    from pyspark.sql import functions as F

    month = F.lpad(F.month(day).cast("string"), 2, "0")
    return F.concat(_year_text(F.year(day)), F.lit("-"), month)


def dimension_column(dim: Dimension | str, *, cube: bool = False) -> Column:
    """The Spark expression of ``dim``, over a clean attempt or a cube row."""
    from pyspark.sql import functions as F

    if isinstance(dim, str):
        dim = _BY_NAME[dim]
    day = F.col("day") if cube else F.to_date("initiated_at")
    match dim.derivation:
        case "local_date":
            return day
        case "local_hour":
            return F.col("hour") if cube else F.hour("initiated_at")
        case "iso_week":
            return _iso_week(day)
        case "local_month":
            return _month(day)
        case "province":
            return F.concat(F.substring("region_code", 1, 2), F.lit("0000"))
        case "city":
            return F.concat(F.substring("region_code", 1, 4), F.lit("00"))
        case "age_band":
            return F.col("age_band") if cube else _age_band(F.col("age"))
        case "column":
            return F.col(dim.name)
    raise AssertionError(f"unhandled derivation {dim.derivation!r} of {dim.name}")


def count_column(count: Count) -> Column:
    """The aggregate of one count: attempts whose ``requires`` flags are all true."""
    from pyspark.sql import functions as F

    if not count.requires:
        return F.count(F.lit(1)).alias(count.name)
    condition = F.col(count.requires[0])
    for flag in count.requires[1:]:
        condition = condition & F.col(flag)
    return F.count(F.when(condition, F.lit(1))).alias(count.name)


def count_columns() -> list[Column]:
    """The aggregates of every count, in declaration order."""
    return [count_column(c) for c in COUNTS]


def _arrow_type(name: str) -> pa.DataType:
    derivation = _BY_NAME[name].derivation
    if derivation == "local_date":
        return pa.date32()
    if derivation == "local_hour":
        return pa.int32()
    return pa.string()


def arrow_schema(dims: Sequence[str]) -> pa.Schema:
    """The schema of a counts table by ``dims`` (as the DuckDB engine returns it)."""
    fields = [pa.field(d, _arrow_type(d)) for d in dims]
    fields += [pa.field(c.name, pa.int64()) for c in COUNTS]
    return pa.schema(fields)

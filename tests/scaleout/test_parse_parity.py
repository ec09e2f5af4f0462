"""Spark reads every raw value the way DuckDB's parse step does.

Each test sends one list of raw strings through both engines: DuckDB through the
batch core's own SQL (``scamlens.cleaning.parse.value_sql``), Spark through
``typed_value``; the typed results must be equal, value by value. The lists hold the
spellings platforms export, the quirks of DuckDB's readers, and a seeded random
corpus assembled from timestamp and number fragments.
"""

from __future__ import annotations

import math

import pyarrow as pa
import pytest

from scamlens.cleaning.parse import value_sql
from scamlens.warehouse import connect

from . import corpus

pytestmark = pytest.mark.spark


def _duck(
    column: str, values: list[str | None], *, micros: bool = False
) -> list[object]:
    con = connect(None)
    try:
        con.register("raw", pa.table({column: pa.array(values, pa.string())}))
        expr = value_sql(column, {column: "VARCHAR"})
        if micros:
            expr = f"epoch_us({expr})"
        return [row[0] for row in con.execute(f"SELECT {expr} FROM raw").fetchall()]
    finally:
        con.close()


def _spark(spark, column: str, values: list[str | None], *, micros: bool = False):
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    from scamlens.scaleout.spark.parse import typed_columns

    rows = [(i, v) for i, v in enumerate(values)]
    schema = T.StructType(
        [T.StructField("i", T.LongType()), T.StructField(column, T.StringType())]
    )
    frame = typed_columns(spark.createDataFrame(rows, schema), [column])
    value = F.unix_micros(column) if micros else F.col(column)
    result = frame.select("i", value.alias("v")).toArrow().sort_by("i")
    return result.column("v").to_pylist()


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    return a == b and type(a) is type(b)


def _mismatches(values, duck, sparked):
    return [
        (v, d, s)
        for v, d, s in zip(values, duck, sparked, strict=True)
        if not _same(d, s)
    ]


def test_timestamps_parse_like_duckdb(spark) -> None:
    values = corpus.TIMESTAMPS + corpus.random_timestamps(1500)
    duck = _duck("initiated_at", values, micros=True)
    sparked = _spark(spark, "initiated_at", values, micros=True)
    assert _mismatches(values, duck, sparked) == []
    parsed = sum(v is not None for v in duck)
    # The corpus exercises both outcomes (most random years are out of range).
    assert 250 < parsed < len(values) - 250


def test_numbers_parse_like_duckdb(spark) -> None:
    values = corpus.NUMBERS + corpus.random_numbers(1500)
    assert _mismatches(values, _duck("age", values), _spark(spark, "age", values)) == []


@pytest.mark.parametrize(
    ("column", "values"),
    [
        ("connected", corpus.BOOLS),
        ("channel", corpus.ENUMS),
        ("region_code", corpus.REGIONS),
        ("outreach_id", corpus.TEXTS),
        ("gender", ["M", "m", "男", "female", "X", "9", None]),
    ],
)
def test_other_kinds_parse_like_duckdb(spark, column: str, values: list) -> None:
    duck = _duck(column, values)
    assert _mismatches(values, duck, _spark(spark, column, values)) == []
    assert any(v is not None for v in duck) and any(v is None for v in duck)


def test_unusable_times_parse_to_nothing_in_both_engines(spark) -> None:
    """Infinities, years outside 1901..9999 and zone names only ICU knows (``CST``:
    US Central to DuckDB, China to a Chinese platform) are no usable time in either
    engine; the edges of the range and IANA names are."""
    unusable = [
        "infinity",
        "-INFINITY",
        "1900-12-31 23:59:59",
        "0001-01-01",
        "10000-01-01",
        "2025-03-01 08:00:00 CST",
        "2025-03-01T08:00:00 cst",
        "2025-03-01 08:00 CTT",
        "2025-03-01 08:00 SystemV/CST6",
        "2025-03-01 08:00 EST",
    ]
    usable = [
        "1901-01-01 00:00:00",
        "9999-12-31 23:59:59.999999",
        "2025-03-01 08:00:00 UTC",
        "2025-03-01 08:00 PRC",
        "2025-03-01T08:00:00 Asia/Shanghai",
        "2025-03-01 08:00 Europe/Berlin",
    ]
    values = unusable + usable
    for column in ("initiated_at", "updated_at"):
        duck = _duck(column, values, micros=True)
        assert duck[: len(unusable)] == [None] * len(unusable)
        assert None not in duck[len(unusable) :]
        sparked = _spark(spark, column, values, micros=True)
        assert _mismatches(values, duck, sparked) == []

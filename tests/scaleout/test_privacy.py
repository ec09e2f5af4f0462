"""Spark's HMAC pseudonyms are the batch core's, and raw numbers go nowhere."""

from __future__ import annotations

import pytest

from scamlens.privacy import pseudonym

pytestmark = pytest.mark.spark

PHONES = [
    "13800138000",
    "+86 138-0013-8000",
    "0086 13800138000",
    "138 0013 8000",
    "8613800138000",
    "12345",
    "１３８００１３８０００",
    "tel:139-1234-5678",
]
KEYS = [b"test-key-0123456789abcdef-not-secret", b"k" * 100]  # short and hashed keys


def test_spark_pseudonyms_equal_the_reference(spark) -> None:
    from scamlens.scaleout.spark.privacy import citizen_key_sql

    frame = spark.createDataFrame([(p,) for p in PHONES], "phone string")
    exprs = [
        f"{citizen_key_sql(key, 'phone', 'CAST(NULL AS STRING)')} AS k{i}"
        for i, key in enumerate(KEYS)
    ]
    rows = frame.selectExpr("phone", *exprs).collect()
    for row in rows:
        for i, key in enumerate(KEYS):
            assert row[f"k{i}"] == _door(key, row["phone"]), (row["phone"], i)
            if any("0" <= ch <= "9" for ch in row["phone"]):
                assert row[f"k{i}"] == pseudonym(key, row["phone"])
    assert len({row["k0"] for row in rows[:5]}) == 1  # spellings of one number agree
    assert rows[6]["k0"] is None  # no ASCII digits: no pseudonym, as at the door


def _door(key: bytes, phone: str) -> str | None:
    """The citizen key DuckDB's landing door gives ``phone``."""
    from scamlens.sources.landing import citizen_key_sql as duck_key
    from scamlens.warehouse import connect

    con = connect(None)
    try:
        sql = duck_key(key, "?", "CAST(NULL AS VARCHAR)").replace("?", "$1")
        return con.execute(f"SELECT {sql}", [phone]).fetchone()[0]
    finally:
        con.close()


def test_landed_records_hold_no_phone_number(spark, settings, tmp_path) -> None:
    from scamlens.privacy import resolve_key
    from scamlens.scaleout.spark.read import inspect_file, land_files

    from . import messy

    rows = messy.records(300, seed=3)
    path = messy.write_csv(rows, tmp_path / "r.csv")
    landed = land_files(spark, [inspect_file(str(path))], resolve_key(settings))
    assert "phone" not in landed.columns and "citizen_id" not in landed.columns
    keys = {r[0] for r in landed.select("citizen_key").collect()}
    digits = {"".join(ch for ch in (r["phone"] or "") if ch.isdigit()) for r in rows}
    assert not any(d and d in (k or "") for d in digits for k in keys)

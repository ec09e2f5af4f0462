"""Spark local mode gives DuckDB's numbers on the same records, to the last count.

The records are deliberately messy (see :mod:`tests.scaleout.messy`): every bad-row
kind, versions tied on ``updated_at`` or without one, runaway citizens, and file-level
mess in CSV, JSON Lines and typed Parquet. For each format and several breakdowns the
Spark counts table must equal the DuckDB engine's table exactly (every group, every
count, same types and order), and the quarantine counts per reason must be equal.
CSV is checked for every breakdown, the other formats (JSON Lines, typed Parquet, a
GB18030 tab-separated file) for some of them each.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from scamlens.cleaning.rules import RULES
from scamlens.jobs.metrics import compute_metrics
from scamlens.privacy import normalise_phone
from scamlens.sources import file_source

from . import messy

pytestmark = pytest.mark.spark

BREAKDOWNS = [
    ("day", "region_code"),
    ("channel", "module"),
    ("fraud_type", "age_band", "gender"),
    ("hour",),
    ("week",),
    ("month",),
    ("province", "city"),
    (),
]
WRITERS = {
    "tsv": messy.write_gb18030_tsv,
    "csv": messy.write_csv,
    "jsonl": messy.write_jsonl,
    "parquet": messy.write_parquet,
}


@pytest.fixture(scope="module")
def sources(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("messy")
    rows = messy.records()
    return {
        kind: write(rows, folder / f"records.{kind}") for kind, write in WRITERS.items()
    }


@pytest.mark.parametrize(
    ("kind", "breakdowns"),
    [
        ("csv", BREAKDOWNS),
        ("jsonl", BREAKDOWNS[::2]),
        ("parquet", BREAKDOWNS[1::2]),
        ("tsv", BREAKDOWNS[:2]),
    ],
)
def test_spark_counts_equal_duckdb(
    spark, sources, settings, kind: str, breakdowns
) -> None:
    from scamlens.scaleout.spark.pipeline import SparkCleaning
    from scamlens.scaleout.spark.read import inspect_file

    path = sources[kind]
    cleaning = SparkCleaning(spark, [inspect_file(str(path))], settings, messy.AS_OF)
    try:
        for dims in breakdowns:
            duck = compute_metrics(file_source(path), dims, settings, messy.AS_OF)
            sparked = cleaning.counts(dims)
            assert sparked.schema == duck.counts.schema, dims
            assert sparked.to_pylist() == duck.counts.to_pylist(), dims
        report = cleaning.report
    finally:
        cleaning.close()
    assert report.as_dict() == duck.report.as_dict()
    # the data exercises every path, so equal reports are not equal by emptiness
    assert report.superseded > 100 and report.counted > 1000
    for rule in RULES:
        assert report.quarantined[rule.code] > 0 or (
            kind in ("parquet", "tsv") and rule.code == "malformed_record"
        ), rule.code


@pytest.mark.parametrize("typed", [False, True], ids=["csv", "typed-parquet"])
def test_spark_counts_equal_duckdb_on_simulated_days(
    spark, settings, tmp_path, typed: bool
) -> None:
    simulate = pytest.importorskip("scamlens.simulate")
    config = simulate.SimConfig(
        days=2, per_day=2500, seed=77, typed=typed, mess=simulate.MessRates().scaled(4)
    )
    path = tmp_path / ("day.parquet" if typed else "day.csv")
    simulate.write(config, path)
    from scamlens.scaleout.spark.pipeline import SparkCleaning
    from scamlens.scaleout.spark.read import inspect_file

    cleaning = SparkCleaning(spark, [inspect_file(str(path))], settings, config.as_of)
    try:
        for dims in [("day", "region_code"), ("fraud_type", "age_band", "gender")]:
            duck = compute_metrics(file_source(path), dims, settings, config.as_of)
            assert cleaning.counts(dims).to_pylist() == duck.counts.to_pylist(), dims
        assert cleaning.report.as_dict() == duck.report.as_dict()
    finally:
        cleaning.close()
    assert duck.report.superseded > 0 and duck.report.quarantined["runaway_dialing"] > 0


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_spark_quarantine_equals_duckdb(spark, sources, settings, kind: str) -> None:
    """Same quarantined attempts, in the same read order, with the same reason and
    detail; originals carry the pseudonym, never the raw phone.

    A malformed CSV row has no fields, so its place in read order changes nothing;
    the DuckDB path numbers it after the well-formed rows of its chunk, Spark at its
    line. Those rows are compared by count, the others row by row.
    """
    from scamlens.scaleout.spark.pipeline import spark_metrics

    path = sources[kind]
    duck = compute_metrics(
        file_source(path), ["day"], settings, messy.AS_OF, with_quarantine=True
    )
    sparked = spark_metrics(
        spark, str(path), ["day"], settings, messy.AS_OF, with_quarantine=True
    )
    assert duck.quarantine is not None and sparked.quarantine is not None

    def attempts(table) -> tuple[list[tuple], int]:
        rows = table.select(["read_order", "outreach_id", "reason", "detail"])
        kept = [r for r in rows.to_pylist() if r["reason"] != "malformed_record"]
        # Without malformed rows (Parquet), positions are the file's: compare them.
        fields = ["outreach_id", "reason", "detail"]
        if kind == "parquet":
            fields.insert(0, "read_order")
        listed = [tuple(r[f] for f in fields) for r in kept]
        return listed, rows.num_rows - len(kept)

    expected, malformed = attempts(duck.quarantine)
    assert attempts(sparked.quarantine) == (expected, malformed)
    assert len(expected) + malformed == sum(duck.report.quarantined.values())
    assert {row[-2] for row in expected} >= {"bad_value", "runaway_dialing"}
    assert malformed == (22 if kind == "csv" else 0)
    originals = " ".join(sparked.quarantine.column("original").to_pylist())
    assert '"citizen_key":' in originals
    numbers = {normalise_phone(r["phone"] or "") for r in messy.records()}
    numbers = {n for n in numbers if len(n) == 11}
    assert numbers and not any(number in originals for number in numbers)

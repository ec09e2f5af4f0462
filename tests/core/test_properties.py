"""Properties of the batch core on random messy inputs.

The indicators from ``scamlens metrics`` must equal a plain row-by-row recount of the
contract (tests/core/reference.py); read = superseded + quarantined + counted; and the
warehouse gives the same tables whether a source is ingested once, twice, or in two
increments.
"""

from __future__ import annotations

import itertools
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scamlens.jobs.ingest import ingest
from scamlens.jobs.metrics import compute_metrics
from scamlens.jobs.refresh import refresh
from scamlens.settings import load_settings
from scamlens.sources import CsvSource
from scamlens.warehouse import connect
from tests.conftest import TEST_KEY, invoke
from tests.core import reference
from tests.core.strategies import read_csv, records, write_csv

AS_OF = "2026-12-03T00:00:00+08:00"
AS_OF_DT = datetime(2026, 12, 3, tzinfo=ZoneInfo("Asia/Shanghai"))
KEY = TEST_KEY.encode()
DIM_SETS = [
    ["day"],
    ["day", "region_code"],
    ["channel", "module"],
    ["hour"],
    ["week", "month"],
    ["province", "city"],
    ["fraud_type", "age_band", "gender"],
    [],
]
SLOW = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _as_counts(rows: list[dict[str, str]], dims: list[str]) -> dict[tuple, tuple]:
    names = ["initiated", "succeeded", "accurate", "victims", "publicity"]
    return {tuple(r[d] for d in dims): tuple(int(r[n]) for n in names) for r in rows}


@SLOW
@given(rows=records(), dims=st.sampled_from(DIM_SETS), cap=st.sampled_from([1, 2, 20]))
def test_metrics_equal_a_plain_recount(tmp_path_factory, rows, dims, cap) -> None:
    tmp = tmp_path_factory.mktemp("prop")
    source = write_csv(rows, tmp / "in.csv")
    out = tmp / "out.csv"
    args = ["metrics", str(source), "--out", str(out), "--as-of", AS_OF]
    args += ["--by", ",".join(dims)] if dims else ["--by", "channel"]
    dims = dims or ["channel"]
    env = {
        "SCAMLENS_HMAC_KEY": TEST_KEY,
        "SCAMLENS_DATA_DIR": str(tmp / "data"),
        "SCAMLENS_DAILY_CAP": str(cap),
    }
    result = invoke(args, env=env)
    assert result.exit_code == 0, result.stderr
    written = read_csv(out)
    counted, _ = reference.clean(rows, KEY, AS_OF_DT, daily_cap=cap)
    assert _as_counts(written, dims) == reference.recount(counted, dims)
    for row in written:
        initiated, succeeded = int(row["initiated"]), int(row["succeeded"])
        assert row["success_rate"] == f"{succeeded / initiated:.6f}"
        if succeeded == 0:
            assert row["accuracy_rate"] == row["victim_rate"] == ""
            assert row["publicity_rate"] == ""
        else:
            assert row["victim_rate"] == f"{int(row['victims']) / succeeded:.6f}"
    assert list(written[0].keys())[: len(dims)] == dims if written else True


@SLOW
@given(rows=records(), cap=st.sampled_from([1, 3, 20]))
def test_counts_add_up_and_match_reference(tmp_path_factory, rows, cap) -> None:
    tmp = tmp_path_factory.mktemp("sum")
    source = CsvSource(write_csv(rows, tmp / "in.csv"))
    cfg = load_settings(
        env={"SCAMLENS_HMAC_KEY": TEST_KEY, "SCAMLENS_DAILY_CAP": str(cap)},
        data_dir=tmp / "data",
    )
    result = compute_metrics(source, ["day"], cfg, AS_OF_DT)
    report = result.report
    assert report.read == len(rows)
    assert report.read == report.superseded + report.quarantined_total + report.counted
    _, expected = reference.clean(rows, KEY, AS_OF_DT, daily_cap=cap)
    got = {"superseded": report.superseded, None: report.counted}
    got.update({k: v for k, v in report.quarantined.items() if v})
    assert {k: v for k, v in got.items() if v} == {
        k: v for k, v in expected.items() if v
    }


def _tables(warehouse: Path) -> tuple[list, list]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        daily = con.execute("SELECT * FROM daily_counts ORDER BY ALL").fetchall()
        quarantine = con.execute(
            "SELECT outreach_id, reason, detail FROM quarantine ORDER BY ALL"
        ).fetchall()
    finally:
        con.close()
    return daily, quarantine


def _run(data: Path, *files: Path) -> tuple[list, list]:
    cfg = load_settings(env={"SCAMLENS_HMAC_KEY": TEST_KEY}, data_dir=data)
    con = connect(cfg.warehouse_path)
    try:
        for path in files:
            ingest(con, CsvSource(path), KEY)
            refresh(con, cfg.cleaning, AS_OF_DT)
    finally:
        con.close()
    return _tables(cfg.warehouse_path)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(rows=records(min_size=1), split=st.integers(min_value=0, max_value=40))
def test_ingesting_twice_or_in_increments_gives_the_same_tables(
    tmp_path_factory, rows, split
) -> None:
    tmp = tmp_path_factory.mktemp("inc")
    whole = write_csv(rows, tmp / "whole.csv")
    copy = write_csv(rows, tmp / "copy.csv")
    first = write_csv(rows[:split], tmp / "first.csv")
    second = write_csv(rows[split:], tmp / "second.csv")
    once = _run(tmp / "once", whole)
    assert _run(tmp / "twice", whole, copy) == once
    assert _run(tmp / "same-file-twice", whole, whole) == once
    assert _run(tmp / "increments", first, second) == once


def test_dimension_sets_cover_every_dimension() -> None:
    from scamlens.indicators import DIMENSION_NAMES

    assert set(itertools.chain.from_iterable(DIM_SETS)) == set(DIMENSION_NAMES)

"""``scamlens simulate`` writes records and truth, and refuses misuse with exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import sqlalchemy as sa


def test_simulate_csv_with_summary(cli, tmp_path: Path) -> None:
    out = tmp_path / "records.csv"
    result = cli(
        "simulate",
        "--out",
        str(out),
        "--days",
        "2",
        "--per-day",
        "600",
        "--seed",
        "3",
        "--anomalies",
    )
    assert result.exit_code == 0, result.stderr
    truth = json.loads((tmp_path / "records.csv.truth.json").read_text("utf-8"))
    assert truth["config"]["seed"] == 3 and truth["config"]["anomalies"] is True
    lines = out.read_text("utf-8").splitlines()
    assert len(lines) - 1 == truth["counts"]["read"]
    assert (
        "counted" in result.stdout
        and f"{truth['counts']['counted']:,}" in result.stdout
    )
    assert len(truth["anomalies"]) == 3


def test_simulate_typed_parquet_and_regions(cli, tmp_path: Path) -> None:
    out = tmp_path / "typed.parquet"
    result = cli(
        "simulate",
        "--out",
        str(out),
        "--days",
        "1",
        "--per-day",
        "400",
        "--typed",
        "--region",
        "330300",
        "--quiet",
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    regions = set(pq.read_table(out).column("region_code").to_pylist())
    assert {r for r in regions if r and r.startswith("3303")} and all(
        r is None or r.startswith("3303") or len(r) != 6 or not r.isdigit()
        for r in regions
    )


def test_simulate_sqlite_format(cli, tmp_path: Path) -> None:
    out = tmp_path / "platform.data"
    result = cli(
        "simulate",
        "--out",
        str(out),
        "--format",
        "sqlite",
        "--days",
        "1",
        "--per-day",
        "300",
        "--table",
        "records",
        "--quiet",
    )
    assert result.exit_code == 0, result.stderr
    engine = sa.create_engine(f"sqlite:///{out}")
    with engine.connect() as conn:
        count = conn.execute(sa.text("SELECT count(*) FROM records")).scalar()
    engine.dispose()
    truth = json.loads((tmp_path / "platform.data.truth.json").read_text("utf-8"))
    assert count == truth["counts"]["read"]


def test_simulate_mess_options(cli, tmp_path: Path) -> None:
    out = tmp_path / "m.jsonl"
    result = cli(
        "simulate",
        "--out",
        str(out),
        "--days",
        "1",
        "--per-day",
        "1000",
        "--no-mess",
        "--quiet",
    )
    assert result.exit_code == 0, result.stderr
    truth = json.loads((tmp_path / "m.jsonl.truth.json").read_text("utf-8"))
    assert truth["counts"]["counted"] == 1000
    result = cli(
        "simulate",
        "--out",
        str(out),
        "--days",
        "1",
        "--per-day",
        "1000",
        "--mess-scale",
        "0",
        "--mess",
        "duration_outlier=0.01",
        "--quiet",
    )
    truth = json.loads((tmp_path / "m.jsonl.truth.json").read_text("utf-8"))
    assert truth["counts"]["quarantined"]["duration_outlier"] == 10
    assert truth["counts"]["quarantined_total"] == 10


def test_simulate_misuse_exits_2(cli, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    cases = [
        ("simulate", "--days", "1"),
        ("simulate", "--out", str(tmp_path / "a.csv"), "--db", "sqlite:///x.db"),
        ("simulate", "--out", str(tmp_path / "a.csv"), "--typed"),
        ("simulate", "--out", str(tmp_path / "a.txt")),
        ("simulate", "--out", str(tmp_path / "a.csv"), "--mess", "nonsense=1"),
        ("simulate", "--db", "postgresql+psycopg://postgres@127.0.0.1/test"),
        ("simulate", "--out", str(tmp_path / "a.csv"), "--truth", "a.csv"),
    ]
    for args in cases:
        result = cli(*args)
        assert result.exit_code == 2, (args, result.stderr)
        assert result.stderr.startswith("error: "), result.stderr
        assert "\n" not in result.stderr.strip()


def test_simulate_bad_config_exits_1(cli, tmp_path: Path) -> None:
    result = cli("simulate", "--out", str(tmp_path / "a.csv"), "--days", "0")
    assert result.exit_code == 1
    assert "days is `0`" in result.stderr
    result = cli("simulate", "--out", str(tmp_path / "a.csv"), "--region", "110101")
    assert result.exit_code == 1
    assert "`110101`" in result.stderr


def test_simulate_big_output_shows_progress_and_summary(cli, tmp_path: Path) -> None:
    out = tmp_path / "big.parquet"
    result = cli(
        "simulate",
        "--out",
        str(out),
        "--typed",
        "--days",
        "1",
        "--per-day",
        "200000",
        "--no-mess",
    )
    assert result.exit_code == 0, result.stderr
    assert pq.read_metadata(out).num_rows == 200_000
    assert "identical re-reads" in result.stdout
    assert "200,000" in result.stdout

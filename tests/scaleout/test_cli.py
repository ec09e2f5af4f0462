"""``scamlens spark``: the same files and numbers as the DuckDB commands.

Run in-process through the real entry point; the Spark commands reuse the session
the suite already started.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from scamlens.scaleout import SPARK_MISSING

from . import messy

AS_OF = messy.AS_OF.isoformat()


def test_spark_metrics_writes_the_metrics_file(spark, cli, tmp_path: Path) -> None:
    source = messy.write_csv(messy.records(700, seed=2), tmp_path / "records.csv")
    duck = cli(
        "metrics",
        str(source),
        "--by",
        "week,province",
        "--out",
        str(tmp_path / "duck.csv"),
        "--as-of",
        AS_OF,
    )
    assert duck.exit_code == 0, duck.stderr
    result = cli(
        "spark",
        "metrics",
        str(source),
        "--by",
        "week,province",
        "--out",
        str(tmp_path / "spark.csv"),
        "--as-of",
        AS_OF,
        "--master",
        "local[2]",
        "--quarantine",
        str(tmp_path / "quarantine.parquet"),
    )
    assert result.exit_code == 0, result.stderr
    expected = (tmp_path / "duck.csv").read_bytes()
    assert (tmp_path / "spark.csv").read_bytes() == expected
    assert expected.count(b"\n") > 3
    assert "counted" in result.stdout and "runaway_dialing" in result.stdout
    quarantined = pq.read_table(tmp_path / "quarantine.parquet")
    assert quarantined.column_names == [
        "read_order",
        "outreach_id",
        "reason",
        "detail",
        "original",
    ]
    reasons = quarantined.column("reason").to_pylist()
    assert "runaway_dialing" in reasons and "superseded" not in reasons


def test_spark_metrics_refuses_an_unknown_quarantine_format(
    spark, cli, tmp_path
) -> None:
    source = messy.write_csv(messy.records(50, seed=3), tmp_path / "records.csv")
    result = cli(
        "spark",
        "metrics",
        str(source),
        "--by",
        "day",
        "--out",
        str(tmp_path / "out.csv"),
        "--quarantine",
        str(tmp_path / "q.txt"),
    )
    assert result.exit_code == 2
    assert "--quarantine" in result.stderr and ".txt" in result.stderr


def test_spark_stream_available_now(spark, cli, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    rows = messy.records(500, seed=12)
    messy.write_jsonl(rows[:300], inbox / "a.jsonl")
    messy.write_jsonl(rows[300:], inbox / "b.jsonl")
    joined = tmp_path / "joined.jsonl"
    joined.write_bytes(
        (inbox / "a.jsonl").read_bytes() + (inbox / "b.jsonl").read_bytes()
    )
    duck = cli(
        "metrics",
        str(joined),
        "--by",
        "day,channel",
        "--out",
        str(tmp_path / "duck.csv"),
        "--as-of",
        AS_OF,
    )
    assert duck.exit_code == 0, duck.stderr
    result = cli(
        "spark",
        "stream",
        "--folder",
        str(inbox),
        "--checkpoint",
        str(tmp_path / "ck"),
        "--by",
        "day,channel",
        "--out",
        str(tmp_path / "live.csv"),
        "--pattern",
        "*.jsonl",
        "--available-now",
        "--as-of",
        AS_OF,
        "--max-files",
        "5",
    )
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "live.csv").read_bytes() == (tmp_path / "duck.csv").read_bytes()
    assert (tmp_path / "ck-state" / "commits" / "0.json").is_file()


def test_without_pyspark_the_message_is_one_line(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pyspark", None)  # as if it were not installed
    source = messy.write_csv(messy.records(20, seed=1), tmp_path / "r.csv")
    result = cli(
        "spark", "metrics", str(source), "--by", "day", "--out", str(tmp_path / "o.csv")
    )
    assert result.exit_code == 1
    assert result.stderr.strip() == f"error: {SPARK_MISSING}"
    assert cli("spark", "--help").exit_code == 0


def test_spark_metrics_rejects_bad_options(cli, tmp_path: Path) -> None:
    result = cli("spark", "metrics", "x.csv", "--by", "nope", "--out", "o.csv")
    assert result.exit_code == 2 and "unknown dimension `nope`" in result.stderr
    result = cli("spark", "metrics", "x.csv", "--by", "day", "--out", "o.txt")
    assert result.exit_code == 2 and "o.txt" in result.stderr

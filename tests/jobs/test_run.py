"""``scamlens run`` on the embedded default, and ``scamlens export``."""

from __future__ import annotations

import csv
import json
import re
import sqlite3
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest

from scamlens import simulate
from scamlens.jobs.run import PLATFORM_DB, PLATFORM_TABLE, bootstrap_platform, run_job
from scamlens.settings import Settings

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 11, 25)
AS_OF = datetime(2026, 11, 25, tzinfo=SHANGHAI)


def _boot(settings: Settings) -> None:
    bootstrap_platform(settings, days=2, per_day=1_500, today=TODAY)


def _phones(db: Path) -> set[str]:
    with sqlite3.connect(db) as con:
        rows = con.execute(f"SELECT phone FROM {PLATFORM_TABLE}").fetchall()
    return {r[0] for r in rows if r[0] and re.fullmatch(r"1[3-9]\d{9}", r[0])}


@pytest.fixture
def first_run(settings: Settings):
    return run_job(settings, AS_OF, bootstrap=_boot)


def test_first_run_simulates_ingests_and_publishes(first_run, settings) -> None:
    report = first_run
    assert report.simulated
    truth = json.loads((settings.data_dir / f"{PLATFORM_DB}.truth.json").read_text())
    counts = truth["counts"]
    assert report.cleaning["counted"] == counts["counted"]
    assert report.cleaning["quarantined_total"] == counts["quarantined_total"]
    # Identical re-sent versions are stored once; the rest are superseded versions.
    assert (
        report.cleaning["superseded"] + report.ingest["rows_unchanged"]
        == (counts["superseded"])
    )
    outputs = settings.data_dir / "outputs"
    for dim in ("region_code", "channel", "module", "fraud_type", "age_band"):
        with (outputs / f"daily_by_{dim}.csv").open() as handle:
            rows = list(csv.DictReader(handle))
        assert sum(int(r["initiated"]) for r in rows) == counts["counted"]
        assert list(rows[0])[:2] == ["day", dim]
    assert (settings.data_dir / "runs" / report.run_id / "report.json").is_file()


def test_second_run_is_incremental(first_run, settings) -> None:
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    before = con.execute("SELECT * FROM daily_counts ORDER BY ALL").fetchall()
    con.close()
    again = run_job(settings, AS_OF, bootstrap=_boot)
    assert not again.simulated
    assert again.ingest["rows_new"] == 0
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    assert con.execute("SELECT * FROM daily_counts ORDER BY ALL").fetchall() == before
    con.close()


def test_new_platform_rows_are_read_once(first_run, settings) -> None:
    db = settings.data_dir / PLATFORM_DB
    more = simulate.SimConfig(start=TODAY, days=1, per_day=500, seed=99)
    rows = [r for chunk in simulate.generate(more) for r in chunk.to_pylist()]
    with sqlite3.connect(db) as con:
        names = list(rows[0])
        con.executemany(
            f"INSERT INTO {PLATFORM_TABLE} ({', '.join(names)}) VALUES "
            f"({', '.join('?' for _ in names)})",
            [tuple(r[n] for n in names) for r in rows],
        )
    later = run_job(settings, AS_OF + timedelta(days=2), bootstrap=_boot)
    # Rows without updated_at are read again every time, but recognised by rowid.
    assert len(rows) <= later.ingest["rows_read"] < len(rows) + 200
    assert later.ingest["rows_new"] == len(rows)
    assert later.cleaning["read"] == first_run.cleaning["read"] + len(rows)


def test_raw_phones_reach_neither_warehouse_nor_outputs(first_run, settings) -> None:
    phones = _phones(settings.data_dir / PLATFORM_DB)
    assert len(phones) > 100
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    tables = [r[0] for r in con.execute("SHOW TABLES").fetchall()]
    for table in tables:
        columns = con.execute(f"DESCRIBE {table}").fetchall()
        texts = [c[0] for c in columns if c[1] == "VARCHAR"]
        for column in texts:
            hits = con.execute(
                f'SELECT count(*) FROM {table} WHERE regexp_matches("{column}", '
                "'1[3-9][0-9]{9}')"
            ).fetchall()[0][0]
            if hits:
                values = con.execute(
                    f'SELECT "{column}" FROM {table} WHERE regexp_matches("{column}", '
                    "'1[3-9][0-9]{9}')"
                ).fetchall()
                found = {m for (v,) in values for m in re.findall(r"1[3-9]\d{9}", v)}
                assert not found & phones, (table, column)
    con.close()
    for path in settings.data_dir.rglob("*"):
        if path.is_file() and path.suffix in {".csv", ".json", ".parquet", ".md"}:
            if path.name.endswith(".truth.json"):
                continue
            text = path.read_bytes().decode("utf-8", errors="ignore")
            assert not {p for p in phones if p in text}, path


def test_export_day(first_run, settings, cli) -> None:
    day = (TODAY - timedelta(days=1)).isoformat()
    result = cli("export", "--day", day)
    assert result.exit_code == 0, result.stderr
    folder = settings.data_dir / "exports" / day
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted(
        [
            f"indicators_{day}.csv",
            f"indicators_{day}.parquet",
            f"indicators_{day}.xlsx",
            "data-dictionary.md",
        ]
    )
    with (folder / f"indicators_{day}.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0])[:4] == ["day", "region_code", "module", "channel"]
    keys = [(r["region_code"], r["module"], r["channel"]) for r in rows]
    assert len(keys) == len(set(keys))
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    total = con.execute(
        f"SELECT count(*) FROM attempts WHERE day = DATE '{day}'"
    ).fetchall()[0][0]
    con.close()
    assert sum(int(r["initiated"]) for r in rows) == total > 0
    import openpyxl

    book = openpyxl.load_workbook(folder / f"indicators_{day}.xlsx", read_only=True)
    assert book.sheetnames == ["indicators", "data dictionary"]
    header = next(book["indicators"].iter_rows(max_row=1, values_only=True))
    assert "success_rate_lower" in header


def test_export_day_without_data(first_run, cli) -> None:
    result = cli("export", "--day", "2020-01-01")
    assert result.exit_code == 1
    assert "no clean attempts on `2020-01-01`" in result.stderr


def test_another_pseudonymisation_key_is_refused(first_run, settings, cli) -> None:
    """Citizen keys made with another key would split every citizen in two."""
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    before = con.execute("SELECT count(*) FROM record_versions").fetchall()
    con.close()
    other = {"SCAMLENS_HMAC_KEY": "another-key-0123456789abcdef"}
    for args in (
        ("run",),
        ("stream", "--source", str(settings.data_dir), "--until-idle", "0"),
    ):
        result = cli(*args, env=other)
        assert result.exit_code == 1, result.stderr
        assert "filled with another pseudonymisation key" in result.stderr
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    assert con.execute("SELECT count(*) FROM record_versions").fetchall() == before
    con.close()
    # The right key still works.
    assert cli("run").exit_code == 0

"""The same records read from CSV, JSON Lines, Parquet, SQLite, MariaDB and
PostgreSQL give identical indicators and identical quarantine counts."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from scamlens.contract import COLUMN_NAMES, COLUMNS, Kind
from scamlens.indicators import COUNT_NAMES
from scamlens.jobs.ingest import ingest
from scamlens.jobs.metrics import compute_metrics
from scamlens.jobs.refresh import refresh
from scamlens.settings import Settings
from scamlens.sources import CsvSource, DatabaseSource, JsonLinesSource, ParquetSource
from scamlens.warehouse import connect
from tests.core.reference import _time
from tests.core.samples import messy_rows, typed
from tests.core.strategies import write_csv

AS_OF = datetime(2026, 12, 3, tzinfo=ZoneInfo("Asia/Shanghai"))
BREAKDOWNS = [["day", "region_code"], ["channel", "module"], ["fraud_type", "age_band"]]
SERVERS = {
    "mariadb": "mysql+pymysql://root@127.0.0.1:3306/test",
    "postgresql": "postgresql+psycopg://postgres@127.0.0.1:5432/test",
}


def _results(source, settings: Settings) -> dict[str, object]:
    out: dict[str, object] = {}
    for dims in BREAKDOWNS:
        result = compute_metrics(source, dims, settings, AS_OF)
        out[",".join(dims)] = result.counts.to_pylist()
        out["report"] = result.report.as_dict()
    return out


def _fill_table(url: str, table: str, rows: list[dict[str, str | None]]) -> None:
    engine = sa.create_engine(url)
    meta = sa.MetaData()
    columns = [sa.Column("row_id", sa.Integer, primary_key=True, autoincrement=True)]
    columns += [sa.Column(name, sa.Text) for name in COLUMN_NAMES]
    target = sa.Table(table, meta, *columns)
    meta.drop_all(engine, [target], checkfirst=True)
    meta.create_all(engine)
    with engine.begin() as con:
        con.execute(target.insert(), rows)
    engine.dispose()


def _drop(url: str, table: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as con:
        con.execute(sa.text(f"DROP TABLE IF EXISTS {table}"))
    engine.dispose()


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str | None]]:
    return messy_rows(1500)


@pytest.fixture
def expected(rows, tmp_path: Path, settings: Settings) -> dict[str, object]:
    return _results(CsvSource(write_csv(rows, tmp_path / "r.csv")), settings)


def test_sample_exercises_every_rule(expected) -> None:
    report = expected["report"]
    assert report["superseded"] > 0
    assert all(
        n > 0 for code, n in report["quarantined"].items() if code != "malformed_record"
    ), report


def test_jsonl_and_text_parquet_equal_csv(rows, tmp_path, settings, expected) -> None:
    jsonl = tmp_path / "r.jsonl"
    jsonl.write_text(
        "".join(
            json.dumps(
                {k: v for k, v in r.items() if v is not None}, ensure_ascii=False
            )
            + "\n"
            for r in rows
        ),
        encoding="utf-8",
    )
    assert _results(JsonLinesSource(jsonl), settings) == expected
    parquet = tmp_path / "r.parquet"
    pq.write_table(
        pa.table(
            {c: pa.array([r[c] for r in rows], pa.string()) for c in COLUMN_NAMES}
        ),
        parquet,
    )
    assert _results(ParquetSource(parquet), settings) == expected


def test_typed_parquet_equals_csv(tmp_path, settings) -> None:
    kinds = {c.name: c.kind for c in COLUMNS}

    def parses(row: dict[str, str | None]) -> bool:
        for name, kind in kinds.items():
            value = row[name]
            if value in (None, "") or kind not in (
                Kind.BOOL,
                Kind.NUMBER,
                Kind.TIMESTAMP,
            ):
                continue
            if typed(value, kind.value) is None:
                return False
        return True

    rows = [r for r in messy_rows(1500, seed=11) if parses(r)]
    assert len(rows) > 800
    expected = _results(CsvSource(write_csv(rows, tmp_path / "t.csv")), settings)
    arrays = {}
    for name, kind in kinds.items():
        values = [None if r[name] in (None, "") else r[name] for r in rows]
        if kind is Kind.BOOL:
            arrays[name] = pa.array([typed(v, "bool") for v in values], pa.bool_())
        elif kind is Kind.NUMBER:
            arrays[name] = pa.array([typed(v, "number") for v in values], pa.float64())
        elif kind is Kind.TIMESTAMP:
            arrays[name] = pa.array(
                [_time(v) for v in values], pa.timestamp("us", tz="Asia/Shanghai")
            )
        else:
            arrays[name] = pa.array(values, pa.string())
    parquet = tmp_path / "typed.parquet"
    pq.write_table(pa.table(arrays), parquet)
    assert _results(ParquetSource(parquet), settings) == expected
    # The warehouse reads typed Parquet as text batches: same numbers again.
    con = connect(settings.warehouse_path)
    try:
        ingest(con, ParquetSource(parquet), settings.hmac_key.encode())
        report = refresh(con, settings.cleaning, AS_OF)
        sums = ", ".join(f"sum({c}) AS {c}" for c in COUNT_NAMES)
        daily = (
            con.sql(
                f"SELECT day, region_code, {sums} FROM daily_counts "
                "GROUP BY ALL ORDER BY ALL"
            )
            .to_arrow_table()
            .to_pylist()
        )
    finally:
        con.close()
    assert report.as_dict() == expected["report"]
    assert daily == expected["day,region_code"]


def test_sqlite_equals_csv(rows, tmp_path, settings, expected) -> None:
    url = f"sqlite:///{tmp_path / 'platform.db'}"
    _fill_table(url, "outreach_records", rows)
    source = DatabaseSource(url, "outreach_records", incremental=False)
    assert _results(source, settings) == expected


@pytest.mark.services
@pytest.mark.parametrize("server", sorted(SERVERS))
def test_database_servers_equal_csv(server, rows, settings, expected) -> None:
    url = SERVERS[server]
    table = f"scamlens_eq_{uuid.uuid4().hex[:8]}"
    _fill_table(url, table, rows)
    try:
        source = DatabaseSource(url, table, incremental=False)
        assert _results(source, settings) == expected
        # The same table named with its schema (MariaDB: the database).
        schema = {"mariadb": "test", "postgresql": "public"}[server]
        qualified = DatabaseSource(url, f"{schema}.{table}", incremental=False)
        assert _results(qualified, settings) == expected
    finally:
        _drop(url, table)


@pytest.mark.services
def test_incremental_read_of_a_timestamptz_column(settings) -> None:
    """A high-water mark on a typed timestamp column survives the JSON position."""
    url = SERVERS["postgresql"]
    table = f"scamlens_inc_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(url)
    meta = sa.MetaData()
    columns = [sa.Column("row_id", sa.Integer, primary_key=True, autoincrement=True)]
    columns += [
        sa.Column(n, sa.DateTime(timezone=True) if n == "updated_at" else sa.Text)
        for n in COLUMN_NAMES
    ]
    target = sa.Table(table, meta, *columns)
    meta.create_all(engine)
    base = dict(
        messy_rows(1, seed=3)[0],
        outreach_id="x1",
        channel="voice",
        module="warning",
        region_code="330106",
        connected="true",
        initiated_at="2026-12-01 08:00:00",
        phone="13800138000",
    )
    try:
        with engine.begin() as con:
            con.execute(
                target.insert(),
                [
                    {
                        **base,
                        "updated_at": datetime(
                            2026, 12, 1, 9, tzinfo=ZoneInfo("Asia/Shanghai")
                        ),
                    }
                ],
            )
        first = DatabaseSource(url, table)
        assert sum(b.num_rows for b in first.batches(None)) == 1
        position = first.next_position()
        with engine.begin() as con:
            con.execute(
                target.insert(),
                [
                    {
                        **base,
                        "outreach_id": "x2",
                        "updated_at": datetime(
                            2026, 12, 1, 10, tzinfo=ZoneInfo("Asia/Shanghai")
                        ),
                    }
                ],
            )
        second = DatabaseSource(url, table)
        ids = [
            r["outreach_id"] for b in second.batches(position) for r in b.to_pylist()
        ]
        assert "x2" in ids
    finally:
        _drop(url, table)
        engine.dispose()


UNUSABLE_TIME = {
    "sqlite": ("DATETIME", "garbled"),
    "mariadb": ("DATETIME", "0000-00-00 00:00:00"),
    "postgresql": ("TIMESTAMPTZ", "infinity"),
}


@pytest.mark.parametrize(
    "server",
    [
        "sqlite",
        pytest.param("mariadb", marks=pytest.mark.services),
        pytest.param("postgresql", marks=pytest.mark.services),
    ],
)
def test_time_columns_no_driver_can_read(server, tmp_path, settings) -> None:
    """A typed time column holding a value no driver turns into a ``datetime``
    (PostgreSQL's infinity, MariaDB's zero date, garbled text in SQLite) gives a
    quarantined bad value, not a failed read, and never becomes the high-water
    mark of an incremental read."""
    kind, unusable = UNUSABLE_TIME[server]
    url = SERVERS.get(server, f"sqlite:///{tmp_path / 'platform.db'}")
    table = f"scamlens_time_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(url)
    times = ("initiated_at", "updated_at")
    texts = ["outreach_id", "phone", "channel", "module", "region_code"]
    ddl = ", ".join(
        ["row_id INTEGER PRIMARY KEY"]
        + [f"{n} {kind}" for n in times]
        + [f"{n} VARCHAR(40)" for n in (*texts, "connected")]
    )
    names = ["row_id", *times, *texts, "connected"]
    insert = sa.text(
        f"INSERT INTO {table} ({', '.join(names)}) VALUES "
        f"({', '.join(':' + n for n in names)})"
    )

    def row(n: int, initiated: str, updated: str) -> dict[str, object]:
        return {
            "row_id": n,
            "initiated_at": initiated,
            "updated_at": updated,
            "outreach_id": f"x{n}",
            "phone": f"1380013800{n}",
            "channel": "voice",
            "module": "warning",
            "region_code": "330106",
            "connected": "true",
        }

    day = "2026-12-01 08:00:00"
    try:
        with engine.begin() as con:
            if server == "mariadb":
                con.execute(sa.text("SET SESSION sql_mode = ''"))
            con.execute(sa.text(f"CREATE TABLE {table} ({ddl})"))
            con.execute(
                insert,
                [
                    row(1, unusable, "2026-12-01 09:00:00"),
                    row(2, day, unusable),
                    row(3, day, "2026-12-01 08:30:00"),
                ],
            )
        result = compute_metrics(DatabaseSource(url, table), ["day"], settings, AS_OF)
        counts = result.counts.to_pylist()
        assert [(r["day"].isoformat(), r["initiated"]) for r in counts] == [
            ("2026-12-01", 1)
        ]
        assert result.report.as_dict()["quarantined"]["bad_value"] == 2
        first = DatabaseSource(url, table)
        assert sum(b.num_rows for b in first.batches(None)) == 3
        position = first.next_position()
        assert position is not None
        high = datetime.fromisoformat(position.data["high"])
        assert high.replace(tzinfo=None) == datetime(2026, 12, 1, 9)
        with engine.begin() as con:
            con.execute(insert, [row(4, day, "2026-12-01 10:00:00")])
        later = DatabaseSource(url, table)
        ids = {r["outreach_id"] for b in later.batches(position) for r in b.to_pylist()}
        assert "x4" in ids and "x3" not in ids
    finally:
        _drop(url, table)
        engine.dispose()


def _read_ids(url: str, table: str, position) -> tuple[list[str], object]:
    source = DatabaseSource(url, table)
    ids = [r["outreach_id"] for b in source.batches(position) for r in b.to_pylist()]
    return ids, source.next_position()


@pytest.mark.parametrize(
    "server",
    ["sqlite", pytest.param("postgresql", marks=pytest.mark.services)],
)
def test_a_recreated_table_is_read_whole_again(server, tmp_path, caplog) -> None:
    """A platform table recreated with older rows (fewer rows, earlier updated_at)
    would be skipped below the old marks without a word; it is read whole."""
    url = (
        f"sqlite:///{tmp_path / 'platform.db'}"
        if server == "sqlite"
        else SERVERS["postgresql"]
    )
    table = f"scamlens_rw_{uuid.uuid4().hex[:8]}"
    base = messy_rows(1, seed=5)[0]

    def rows(prefix: str, n: int, year: int) -> list[dict[str, str | None]]:
        return [
            dict(
                base, outreach_id=f"{prefix}{i}", updated_at=f"{year}-01-01 0{i % 9}:00"
            )
            for i in range(n)
        ]

    try:
        _fill_table(url, table, rows("old", 30, 2026))
        ids, position = _read_ids(url, table, None)
        assert len(ids) == 30
        # Nothing new: nothing is read again but the rows at the mark.
        again, position = _read_ids(url, table, position)
        assert len(again) < 30
        assert position.data["row_high"] == 30  # the counter never moves back
        _fill_table(url, table, rows("new", 12, 2025))  # dropped and recreated
        with caplog.at_level("WARNING"):
            ids, position = _read_ids(url, table, position)
        assert sorted(ids) == sorted(f"new{i}" for i in range(12))
        assert "looks recreated or restored" in caplog.text
        caplog.clear()
        later, _ = _read_ids(url, table, position)
        assert len(later) < 12 and "looks recreated" not in caplog.text
    finally:
        _drop(url, table)

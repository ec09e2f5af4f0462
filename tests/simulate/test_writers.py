"""Every output format holds exactly the generated records, with the truth beside."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from scamlens.contract.columns import COLUMN_NAMES
from scamlens.errors import UsageError
from scamlens.simulate import (
    TYPED_SCHEMA,
    GroundTruth,
    SimConfig,
    generate,
    write,
    write_db,
)
from scamlens.simulate.writers import _write_jsonl, infer_format

SMALL = SimConfig(days=2, per_day=700, seed=21, anomalies=True, chunk_rows=400)


@pytest.fixture(scope="module")
def expected() -> pa.Table:
    return pa.concat_tables(list(generate(SMALL)))


def _read_csv(path: Path) -> pa.Table:
    options = pacsv.ConvertOptions(
        column_types={name: pa.string() for name in COLUMN_NAMES},
        strings_can_be_null=True,
        quoted_strings_can_be_null=False,
    )
    return pacsv.read_csv(path, convert_options=options)


def test_csv_round_trip(tmp_path: Path, expected: pa.Table) -> None:
    result = write(SMALL, tmp_path / "out.csv")
    assert result.rows == expected.num_rows
    assert _read_csv(tmp_path / "out.csv").equals(expected)
    truth = GroundTruth.load(tmp_path / "out.csv.truth.json")
    assert truth.counts["read"] == expected.num_rows
    assert not (tmp_path / "out.csv.partial").exists()


def test_jsonl_round_trip(tmp_path: Path, expected: pa.Table) -> None:
    write(SMALL, tmp_path / "out.jsonl")
    lines = (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == expected.to_pylist()


def test_jsonl_escapes_quotes_backslashes_and_controls(tmp_path: Path) -> None:
    nasty = ['say "hi"', "back\\slash", "line\nbreak\ttab\x01", None, "中文"]
    tables = [
        pa.table({"a": nasty, "b": ["x"] * 5}),
        pa.table({"a": ["2"], "b": pa.array([None], pa.string())}),
    ]
    assert _write_jsonl(iter(tables), tmp_path / "x.jsonl", None) == 6
    lines = (tmp_path / "x.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [
        {"a": a, "b": "x"} for a in nasty
    ] + [{"a": "2", "b": None}]


def test_parquet_text_and_typed(tmp_path: Path, expected: pa.Table) -> None:
    write(SMALL, tmp_path / "out.parquet")
    assert pq.read_table(tmp_path / "out.parquet").equals(expected)
    typed = SMALL.replace(typed=True)
    result = write(typed, tmp_path / "typed.parquet")
    table = pq.read_table(tmp_path / "typed.parquet")
    assert table.schema.equals(TYPED_SCHEMA)
    assert table.num_rows == result.rows == result.truth.counts["read"]
    assert (
        str(table.schema.field("initiated_at").type)
        == "timestamp[us, tz=Asia/Shanghai]"
    )


def test_format_inference_and_misuse(tmp_path: Path) -> None:
    assert infer_format(Path("a.CSV")) == "csv"
    assert infer_format(Path("a.ndjson")) == "jsonl"
    assert infer_format(Path("a.db")) == "sqlite"
    assert infer_format(Path("a.txt"), "parquet") == "parquet"
    with pytest.raises(UsageError, match="extension"):
        infer_format(Path("a.txt"))
    with pytest.raises(UsageError, match="typed"):
        write(SMALL.replace(typed=True), tmp_path / "x.csv")


def _read_db(url: str, table: str) -> pa.Table:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text(f"SELECT * FROM {table}")).mappings().all()
    finally:
        engine.dispose()
    return pa.Table.from_pylist([dict(r) for r in rows])


def test_sqlite_is_readable_with_sqlalchemy(tmp_path: Path, expected: pa.Table) -> None:
    result = write(SMALL, tmp_path / "platform.sqlite")
    assert result.truth_path == tmp_path / "platform.sqlite.truth.json"
    url = f"sqlite:///{tmp_path / 'platform.sqlite'}"
    table = _read_db(url, "outreach_records")
    assert table.column_names == list(COLUMN_NAMES)
    assert table.to_pylist() == expected.to_pylist()
    with pytest.raises(UsageError, match="already exists"):
        write_db(SMALL, url)
    again = write_db(SMALL, url, replace=True, truth_path=tmp_path / "t.json")
    assert again.rows == expected.num_rows == _read_db(url, "outreach_records").num_rows


def test_non_sqlite_database_needs_a_truth_path() -> None:
    with pytest.raises(UsageError, match="--truth"):
        write_db(SMALL, "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.mark.services
@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://postgres@127.0.0.1:5432/test",
        "mysql+pymysql://root@127.0.0.1:3306/test?charset=utf8mb4",
    ],
)
def test_server_databases(url: str, tmp_path: Path, expected: pa.Table) -> None:
    table = f"sim_{uuid.uuid4().hex[:10]}"
    try:
        write_db(SMALL, url, table=table, truth_path=tmp_path / "truth.json")
        got = _read_db(url, table)
        assert sorted(got.column("outreach_id").to_pylist(), key=str) == sorted(
            expected.column("outreach_id").to_pylist(), key=str
        )
        assert got.num_rows == expected.num_rows
        transcripts = set(got.column("transcript").to_pylist())
        assert transcripts == set(expected.column("transcript").to_pylist())
    finally:
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP TABLE IF EXISTS {table}"))
        engine.dispose()

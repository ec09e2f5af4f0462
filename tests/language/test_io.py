"""Reading messy files: GBK, mixed encodings per line, BOM; writing in order."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from scamlens.errors import SchemaMismatch, SourceNotFound, UsageError
from scamlens.language.io import read_table, require_column, write_table


def test_gbk_and_mixed_encoding_lines_are_decoded(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_bytes("id,text\n1,刷单返利\n".encode() + "2,安全账户\n".encode("gbk"))
    table = read_table(path)
    assert table.column("text").to_pylist() == ["刷单返利", "安全账户"]


def test_bom_and_short_rows(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffid,text,extra\n1,你好\n".encode())
    table = read_table(path)
    assert table.column_names == ["id", "text", "extra"]
    assert table.to_pylist() == [{"id": "1", "text": "你好", "extra": ""}]


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".jsonl"])
def test_round_trip_keeps_rows_in_order(tmp_path: Path, suffix: str) -> None:
    table = pa.table({"id": ["b", "a", "c"], "text": ["二", "一", "三"]})
    path = tmp_path / f"t{suffix}"
    write_table(table, path)
    assert read_table(path).to_pylist() == table.to_pylist()


def test_errors_name_the_problem(tmp_path: Path) -> None:
    with pytest.raises(SourceNotFound):
        read_table(tmp_path / "nope.csv")
    (tmp_path / "x.xls").write_text("x")
    with pytest.raises(UsageError, match="suffix"):
        read_table(tmp_path / "x.xls")
    with pytest.raises(SchemaMismatch, match="it has id"):
        require_column(pa.table({"id": ["1"]}), "text", "text")

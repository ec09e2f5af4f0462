"""The fast cleaning path gives every row the same verdict as the exact reference.

:class:`Verdicts` resolves versions and the daily cap only among candidate rows and
counts in one pass; ``Verdicts(..., exact=True)`` sends every row through the
reference window pipeline (:meth:`CleaningPlan.exact_ctes`). On messy records, as
text (a landing table with stored pseudonyms) and typed (a Parquet file scanned in
place, with stored or deferred pseudonyms), both must agree on every ``_seq``, and
their counts by group must be equal.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from scamlens.cleaning.pipeline import Verdicts
from scamlens.jobs.engine import deferred_scan
from scamlens.jobs.metrics import count_verdicts
from scamlens.settings import CleaningSettings
from scamlens.sources import ParquetSource, create_landing, insert_batch, to_text_batch
from scamlens.warehouse import connect
from tests.cleaning import messy

CAPS = [1, 3, 20]
DIMS = ["day", "region_code", "module"]


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = connect(None)
    yield connection
    connection.close()


def _verdicts(
    con: duckdb.DuckDBPyConnection, relation: str, cap: int, *, exact: bool
) -> Verdicts:
    settings = CleaningSettings(daily_cap=cap)
    return Verdicts(con, relation, settings, messy.AS_OF, key=messy.KEY, exact=exact)


def _per_row(con: duckdb.DuckDBPyConnection, verdicts: Verdicts) -> list[tuple]:
    return con.execute(
        f"SELECT _seq, reason, detail, citizen_key, _day FROM ({verdicts.sql()}) "
        "ORDER BY _seq"
    ).fetchall()


def _counts(verdicts: Verdicts) -> list[tuple]:
    table, report = count_verdicts(verdicts, DIMS)
    return sorted(tuple(r.values()) for r in table.to_pylist()) + [
        tuple(sorted((k, v) for k, v in report.as_dict().items() if k != "quarantined"))
    ]


def _assert_agree(con: duckdb.DuckDBPyConnection, relation: str, cap: int) -> None:
    exact = _verdicts(con, relation, cap, exact=True)
    fast = _verdicts(con, relation, cap, exact=False)
    expected = _per_row(con, exact)
    assert _per_row(con, fast) == expected
    reasons = {row[1] for row in expected}
    assert {"superseded", "runaway_dialing", "bad_value", None} <= reasons
    assert _counts(_verdicts(con, relation, cap, exact=False)) == _counts(exact)
    fast.close()
    exact.close()


def _landing(con: duckdb.DuckDBPyConnection, seed: int) -> str:
    rows = messy.text_rows(messy.records(900, seed), seed)
    create_landing(con, "_landing", temp=True)
    insert_batch(
        con,
        "_landing",
        to_text_batch(rows, [None] * len(rows)),
        key=messy.KEY,
        first_seq=0,
    )
    return "_landing"


@pytest.mark.parametrize("cap", CAPS)
@pytest.mark.parametrize("seed", [1, 2])
def test_text_records(con, cap: int, seed: int) -> None:
    _assert_agree(con, _landing(con, seed), cap)


@pytest.mark.parametrize("cap", CAPS)
@pytest.mark.parametrize("seed", [3, 4])
def test_typed_records_with_deferred_pseudonyms(
    con, tmp_path: Path, cap: int, seed: int
) -> None:
    path = messy.write_parquet(messy.records(900, seed), tmp_path / "records.parquet")
    relation = deferred_scan(ParquetSource(path))
    assert relation is not None and "_raw_phone" in relation
    _assert_agree(con, relation, cap)


@pytest.mark.parametrize("cap", [3])
def test_typed_records_with_stored_pseudonyms(con, tmp_path: Path, cap: int) -> None:
    path = messy.write_parquet(messy.records(900, 5), tmp_path / "records.parquet")
    _assert_agree(con, ParquetSource(path).scan(con, messy.KEY), cap)


def test_the_cap_off_and_no_versions(con, tmp_path: Path) -> None:
    rows = messy.records(300, 6)
    for i, row in enumerate(rows):
        row["outreach_id"] = f"unique-{i}"
    path = messy.write_parquet(rows, tmp_path / "records.parquet")
    relation = deferred_scan(ParquetSource(path))
    settings = CleaningSettings(disabled_rules=("runaway_dialing",))
    exact = Verdicts(con, relation, settings, messy.AS_OF, key=messy.KEY, exact=True)
    fast = Verdicts(con, relation, settings, messy.AS_OF, key=messy.KEY)
    assert _per_row(con, fast) == _per_row(con, exact)
    assert fast.special_count < len(rows)

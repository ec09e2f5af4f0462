"""A polled PostgreSQL table and a landing folder: killed, restarted, still exact."""

from __future__ import annotations

import json
import random
import re
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from scamlens.contract import COLUMN_NAMES
from scamlens.simulate import SimConfig

from .compare import assert_live_equals_batch
from .processes import finish, kill_after_first_commit, start
from .records import simulated_rows, stream_lines

pytestmark = [pytest.mark.services, pytest.mark.slow]

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
CONFIG = SimConfig(days=2, per_day=600, seed=41)
AS_OF = CONFIG.as_of.isoformat()
DIMS = ("day,region_code,channel,module,fraud_type,age_band,gender", "week,city")
_ZONE = ZoneInfo("Asia/Shanghai")


def _updated(text: object) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=_ZONE)


@pytest.fixture
def table() -> Iterator[tuple[sa.Engine, sa.Table]]:
    engine = sa.create_engine(POSTGRES)
    columns = [sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True)]
    columns += [
        sa.Column(c, sa.DateTime(timezone=True) if c == "updated_at" else sa.Text)
        for c in COLUMN_NAMES
    ]
    records = sa.Table(f"sltest_{uuid.uuid4().hex[:10]}", sa.MetaData(), *columns)
    records.create(engine)
    yield engine, records
    records.drop(engine)
    engine.dispose()


def _rounds(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Rows in three rounds, each with ``updated_at`` not before the last round's.

    Rows are written in ``updated_at`` order, those without one at their event time,
    as a platform writes them: read order then roughly follows event time.
    """
    floor = datetime(2000, 1, 1, tzinfo=_ZONE)
    for row in rows:
        row["updated_at"] = _updated(row["updated_at"])
        row["_order"] = row["updated_at"] or _updated(row["initiated_at"]) or floor
    ordered = sorted(rows, key=lambda r: r.pop("_order"))
    third = len(ordered) // 3
    return [ordered[:third], ordered[third : 2 * third], ordered[2 * third :]]


def test_polled_table_killed_mid_read_equals_the_batch(
    table: tuple[sa.Engine, sa.Table], data_dir: Path, tmp_path: Path, cli
) -> None:
    engine, records = table
    rng = random.Random(7)
    rounds = _rounds(simulated_rows(CONFIG))
    consume = [
        "stream",
        "--source",
        POSTGRES,
        "--table",
        records.name,
        "--as-of",
        AS_OF,
        "--batch-records",
        "100",
        "--poll-seconds",
        "0.3",
        "--no-anomalies",
    ]
    with engine.begin() as con:
        con.execute(records.insert(), rounds[0])
    first = start(consume, data_dir)
    assert first.committed.wait(60), first.log()
    with engine.begin() as con:
        con.execute(records.insert(), rounds[1])
    kill_after_first_commit(first, rng)
    with engine.begin() as con:
        con.execute(records.insert(), rounds[2])
        # Corrections in place: a later version of five rows replaces them.
        later = max(r["updated_at"] for r in rounds[2] if r["updated_at"])
        con.execute(
            records.update()
            .where(records.c.id.in_([3, 50, 120, 400, 700]))
            .values(region_code="330106", updated_at=later + timedelta(hours=1))
        )
    last = start([*consume, "--until-idle", "2"], data_dir)
    finish(last)
    # The restart read again from the committed mark: repeats were dropped.
    repeats = [int(n) for n in re.findall(r"repeats=(\d+)", last.log())]
    assert sum(repeats) > 0
    assert_live_equals_batch(
        cli, tmp_path, [POSTGRES, "--table", records.name], DIMS, AS_OF
    )


def _land(folder: Path, name: str, lines: list[str]) -> None:
    partial = folder / f".{name}.tmp"
    partial.write_text("\n".join(lines) + "\n", encoding="utf-8")
    partial.rename(folder / name)


def _split(lines: list[str], parts: int) -> list[list[str]]:
    """Cut ``lines`` into parts that each start with a record (the reader checks)."""
    cuts, size = [0], len(lines) // parts
    for k in range(1, parts):
        at = k * size
        while not _is_object(lines[at]):
            at += 1
        cuts.append(at)
    cuts.append(len(lines))
    return [lines[a:b] for a, b in zip(cuts, cuts[1:], strict=False)]


def _is_object(text: str) -> bool:
    try:
        return isinstance(json.loads(text), dict)
    except json.JSONDecodeError:
        return False


def test_landing_folder_killed_mid_file_equals_the_batch(
    data_dir: Path, tmp_path: Path, cli
) -> None:
    rng = random.Random(11)
    lines = stream_lines(CONFIG, seed=12)
    parts = _split(lines, 3)
    folder = tmp_path / "landing"
    folder.mkdir()
    _land(folder, "part_001.jsonl", parts[0])
    (folder / "part_001.jsonl.truth.json").write_text("{}", encoding="utf-8")
    time.sleep(1.1)  # older than the folder source's settle time
    consume = [
        "stream",
        "--source",
        str(folder),
        "--as-of",
        AS_OF,
        "--batch-records",
        "100",
        "--poll-seconds",
        "0.2",
        "--no-anomalies",
    ]
    first = start(consume, data_dir)
    assert first.committed.wait(60), first.log()
    _land(folder, "part_002.jsonl", parts[1])
    kill_after_first_commit(first, rng)
    _land(folder, "part_003.jsonl", parts[2])
    time.sleep(1.1)
    last = start([*consume, "--until-idle", "2.5"], data_dir)
    finish(last)
    everything = tmp_path / "all.jsonl"
    everything.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert_live_equals_batch(cli, tmp_path, [str(everything)], DIMS, AS_OF)

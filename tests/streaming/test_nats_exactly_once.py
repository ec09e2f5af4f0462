"""Must show: JetStream in, SIGKILL twice, restart, and the batch numbers exactly.

A simulated day (with older versions, every bad row kind, runaway diallers, late and
corrected records, JSON values of the wrong type and messages that are no records)
is published onto a real JetStream stream. The consumer runs as a real process and is
killed with SIGKILL twice at random (seeded) moments, then restarted until the stream
is idle. The live indicators must then equal, group by group, both ``scamlens
metrics`` over the same records and a consumer that was never interrupted.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from scamlens.simulate import MessRates, SimConfig

from .compare import assert_live_equals_batch
from .jetstream import URL, delete_stream, publish
from .processes import finish, kill_after_first_commit, start, window_rows
from .records import stream_lines

pytestmark = [pytest.mark.services, pytest.mark.slow]

CONFIG = SimConfig(days=2, per_day=1_000, seed=31, mess=MessRates().scaled(3))
AS_OF = CONFIG.as_of.isoformat()
BREAKDOWNS = (
    "day,region_code,channel,module,fraud_type,age_band,gender",
    "day,region_code",
    "week,province,fraud_type",
    "month,city,age_band,gender",
    "hour,channel",
)


@pytest.fixture
def published() -> Iterator[tuple[str, str, list[str]]]:
    token = uuid.uuid4().hex[:10]
    subject, stream = f"sltest.{token}.records", f"SLTEST_{token}"
    lines = stream_lines(CONFIG, seed=8)
    asyncio.run(publish(subject, stream, lines))
    yield subject, stream, lines
    asyncio.run(delete_stream(stream))


def test_killed_twice_the_live_indicators_equal_the_batch_ones(
    published: tuple[str, str, list[str]], data_dir: Path, tmp_path: Path, cli
) -> None:
    subject, stream, lines = published
    rng = random.Random(20250303)
    consume = [
        "stream",
        "--source",
        URL,
        "--subject",
        subject,
        "--as-of",
        AS_OF,
        "--batch-records",
        "150",
    ]
    for _ in range(2):
        kill_after_first_commit(start(consume, data_dir), rng)
    last = start([*consume, "--until-idle", "2"], data_dir)
    finish(last)
    assert "recreating consumer" in last.log() or "from sequence" in last.log()

    records = tmp_path / "records.jsonl"
    records.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert_live_equals_batch(cli, tmp_path, [str(records)], BREAKDOWNS, AS_OF)

    warehouse = data_dir / "warehouse.duckdb"
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        position = con.execute("SELECT position FROM stream_positions").fetchall()
        assert f'"seq": {len(lines)}' in position[0][0]
        # Every message stored exactly once: no version twice, none lost.
        next_seq = con.execute("SELECT next_seq FROM stream_state").fetchall()[0][0]
        versions = con.execute("SELECT count(*) FROM stream_versions").fetchall()[0][0]
        late = con.execute("SELECT count(*) FROM stream_late").fetchall()[0][0]
        assert next_seq == versions == len(lines) and late == 0
        malformed = con.execute(
            "SELECT count(*) FROM stream_quarantine WHERE reason = 'malformed_record'"
        ).fetchall()[0][0]
        assert malformed == 6
    finally:
        con.close()

    # One uninterrupted run, on its own consumer and warehouse, keeps the same windows.
    other = tmp_path / "uninterrupted.duckdb"
    once = start(
        ["--warehouse", str(other), *consume, "--durable", "once", "--until-idle", "2"],
        data_dir,
    )
    finish(once)
    assert window_rows(other) == window_rows(warehouse)

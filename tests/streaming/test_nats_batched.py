"""Must show: messages carrying many records (JSON Lines, JSON arrays) keep every
record exactly once through a SIGKILL, and give the batch numbers exactly.

The same troubled stream as ``test_nats_exactly_once`` (older versions, every bad row
kind, runaway diallers, late and corrected records, malformed texts) is published in
messages of 1 to 40 records: JSON Lines, or a JSON array where every record of the
group is valid JSON. The consumer is killed once after its first commit, then run
until idle; the live indicators must equal ``scamlens metrics`` over the records as
one JSON Lines file, every record must be stored once, and the malformed records
inside batch messages must be quarantined with their (redacted) text.
"""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from scamlens.simulate import MessRates, SimConfig

from .compare import assert_live_equals_batch
from .jetstream import URL, delete_stream, publish
from .processes import finish, kill_after_first_commit, start
from .records import MALFORMED, stream_lines

pytestmark = [pytest.mark.services, pytest.mark.slow]

CONFIG = SimConfig(days=2, per_day=800, seed=47, mess=MessRates().scaled(3))
AS_OF = CONFIG.as_of.isoformat()
BREAKDOWNS = (
    "day,region_code,channel,module,fraud_type,age_band,gender",
    "week,province,fraud_type",
    "hour,channel",
)


def _is_json(line: str) -> bool:
    try:
        json.loads(line)
    except json.JSONDecodeError:
        return False
    return True


def batch_bodies(lines: list[str], rng: random.Random) -> list[str]:
    """``lines`` grouped into message bodies of 1 to 40 records, in order."""
    bodies = []
    i = 0
    while i < len(lines):
        group = lines[i : i + rng.randint(1, 40)]
        i += len(group)
        objects = any(line.lstrip().startswith("{") for line in group)
        if (
            len(group) > 1
            and objects
            and rng.random() < 0.4
            and all(_is_json(line) for line in group)
        ):
            bodies.append("[" + ",\n ".join(group) + "]")
        else:
            bodies.append("\n".join(group) + rng.choice(["", "\n"]))
    return bodies


@pytest.fixture
def published() -> Iterator[tuple[str, list[str], list[str]]]:
    token = uuid.uuid4().hex[:10]
    subject, stream = f"sltest.{token}.batched", f"SLTEST_{token}"
    lines = stream_lines(CONFIG, seed=11)
    bodies = batch_bodies(lines, random.Random(5))
    asyncio.run(publish(subject, stream, bodies))
    yield subject, lines, bodies
    asyncio.run(delete_stream(stream))


def test_batch_messages_survive_a_kill_and_equal_the_batch_numbers(
    published: tuple[str, list[str], list[str]], data_dir: Path, tmp_path: Path, cli
) -> None:
    subject, lines, bodies = published
    assert sum(b.startswith("[") for b in bodies) > 5
    assert sum("\n" in b.strip() and not b.startswith("[") for b in bodies) > 5
    consume = [
        "stream",
        "--source",
        URL,
        "--subject",
        subject,
        "--as-of",
        AS_OF,
        "--batch-records",
        "200",
    ]
    kill_after_first_commit(start(consume, data_dir), random.Random(3))
    last = start([*consume, "--until-idle", "2"], data_dir)
    finish(last)

    records = tmp_path / "records.jsonl"
    records.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert_live_equals_batch(cli, tmp_path, [str(records)], BREAKDOWNS, AS_OF)

    con = duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True)
    try:
        position = con.execute("SELECT position FROM stream_positions").fetchall()
        assert f'"seq": {len(bodies)}' in position[0][0]
        # Every record stored exactly once, however its message was cut.
        next_seq = con.execute("SELECT next_seq FROM stream_state").fetchall()[0][0]
        versions = con.execute("SELECT count(*) FROM stream_versions").fetchall()[0][0]
        assert next_seq == versions == len(lines)
        ids = con.execute(
            "SELECT count(DISTINCT outreach_id) FROM stream_versions"
        ).fetchall()[0][0]
        expected_ids = {
            json.loads(line).get("outreach_id")
            for line in lines
            if _is_json(line) and isinstance(json.loads(line), dict)
        }
        assert ids == len({i for i in expected_ids if i is not None})
        quarantined = [
            json.loads(row[0])["_malformed"]
            for row in con.execute(
                "SELECT original FROM stream_quarantine "
                "WHERE reason = 'malformed_record'"
            ).fetchall()
        ]
        raw = con.execute(
            "SELECT count(*) FROM stream_versions WHERE _malformed LIKE '%13812345678%'"
        ).fetchall()[0][0]
    finally:
        con.close()
    assert len(quarantined) == len(MALFORMED)
    assert "{not json at all" in quarantined
    assert any(q.startswith("call me back on <phone:") for q in quarantined)
    assert raw == 0

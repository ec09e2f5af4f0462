"""The Spark stream keeps DuckDB's numbers after every micro-batch.

Files land in a folder in rounds; after each ``availableNow`` run the indicator
outputs must equal ``scamlens metrics`` (DuckDB) over every file so far, read in
stream order. Later rounds carry corrected versions of earlier records and push an
earlier day's citizen over the daily cap, so counts already published must be
retracted. A replayed micro-batch, message values (the Kafka path) and a moving
as-of time are checked the same way.
"""

from __future__ import annotations

import csv
import json
import random
from datetime import timedelta
from pathlib import Path

import pytest

from scamlens.jobs.metrics import compute_metrics
from scamlens.sources import file_source

from . import messy

pytestmark = pytest.mark.spark

DIMS = [("day", "region_code"), ("channel", "module", "age_band")]


def _write(rows: list[dict], path: Path) -> Path:
    """A JSON Lines round file, moved into place atomically as the docs require."""
    tmp = path.with_suffix(".tmp")
    messy.write_jsonl(rows, tmp, seed=len(rows))
    tmp.replace(path)
    return path


def _dialled(count: int, hour: int) -> list[dict]:
    """``count`` clean warning attempts to one citizen on 2025-03-03 from ``hour``."""
    rng = random.Random(hour)
    rows = []
    for k in range(count):
        moment = messy.START + timedelta(hours=hour, minutes=k)
        row = messy.record(rng, f"CAP{hour:02d}-{k:02d}", 0, moment)
        row.update(
            phone="13700000001",
            citizen_id=None,
            module="warning",
            channel="sms",
            region_code="330106",
            age="40",
            gender="F",
            connected="1",
            talk_seconds=None,
            content_seconds=None,
            played_seconds=None,
            initiated_at=moment.isoformat(),
            updated_at=None,
        )
        rows.append(row)
    return rows


def _rounds(rows: list[dict]) -> list[list[dict]]:
    """Three rounds. Round 2 only corrects round 1's records, moving them to a region
    nothing else uses; round 3 adds records and dials round 1's capped citizen 15 more
    times earlier that day, so 7 of round 1's attempts go over the cap."""
    rng = random.Random(3)
    plain = [r for r in rows if not r["outreach_id"].startswith("RUN")]
    corrections = [
        dict(
            row,
            updated_at="2025-03-06T11:30:00+08:00",
            region_code="650102",
            reported_defrauded="true",
        )
        for row in rng.sample(plain[:500], 60)
    ]
    return [
        plain[:500] + _dialled(12, 15),
        corrections,
        plain[500:800] + _dialled(15, 9),
    ]


def _initiated(rows: list[dict]) -> dict[tuple[str, str], int]:
    return {(r["day"], r["region_code"]): int(r["initiated"]) for r in rows}


def _duck(files: list[Path], tmp: Path, settings, as_of, dims):
    joined = tmp / "joined.jsonl"
    joined.write_text(
        "".join(f.read_text(encoding="utf-8") for f in files), encoding="utf-8"
    )
    return compute_metrics(file_source(joined), dims, settings, as_of)


def _read_csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _expected_csv(result, dims, path: Path) -> list[dict]:
    from scamlens.reports.writers import write_indicators

    write_indicators(result.counts, path, dims)
    return _read_csv(path)


def test_folder_stream_equals_duckdb_after_every_round(
    spark, settings, tmp_path
) -> None:
    from scamlens.scaleout.spark.streaming import (
        Output,
        StreamProcessor,
        start_folder_stream,
    )

    inbox, state = tmp_path / "inbox", tmp_path / "state"
    inbox.mkdir()
    outputs = [Output(d, tmp_path / f"out-{i}.csv") for i, d in enumerate(DIMS)]
    processor = StreamProcessor(
        spark, state, settings, as_of=messy.AS_OF, outputs=outputs
    )
    written: list[Path] = []
    published: list[dict[tuple[str, str], int]] = []
    runaway: list[int] = []
    for number, rows in enumerate(_rounds(messy.records(900, seed=21))):
        written.append(_write(rows, inbox / f"round-{number}.jsonl"))
        query = start_folder_stream(
            processor,
            inbox,
            tmp_path / "checkpoint",
            pattern="*.jsonl",
            available_now=True,
        )
        query.awaitTermination()
        assert query.exception() is None
        for output in outputs:
            duck = _duck(written, tmp_path, settings, messy.AS_OF, output.dims)
            expected = _expected_csv(duck, output.dims, tmp_path / "expected.csv")
            assert _read_csv(output.path) == expected, (number, output.dims)
        report = processor.store.report()
        assert report.as_dict() == duck.report.as_dict(), number
        published.append(_initiated(_read_csv(outputs[0].path)))
        runaway.append(report.quarantined["runaway_dialing"])
    # round 2 retracted published counts: corrections moved records out of groups
    assert any(published[1].get(group, 0) < n for group, n in published[0].items())
    # round 3 pushed 7 of round 1's counted attempts over the cap (12 + 15 - 20)
    assert runaway == [0, 0, 7] and report.superseded >= 60
    commits = sorted(p.name for p in (state / "commits").glob("*.json"))
    assert commits == ["0.json", "1.json", "2.json"]  # each file handed over once
    # a crash after the last micro-batch wrote its records: the checkpoint replays it
    processor.process_paths([written[-1].as_uri()], 2)
    for output in outputs:
        duck = _duck(written, tmp_path, settings, messy.AS_OF, output.dims)
        assert _read_csv(output.path) == _expected_csv(
            duck, output.dims, tmp_path / "expected.csv"
        )
    assert processor.store.report().as_dict() == duck.report.as_dict()


def test_message_values_equal_duckdb(spark, settings, tmp_path) -> None:
    """A Kafka-shaped micro-batch: JSON values ordered by partition and offset."""
    from scamlens.scaleout.spark.streaming import StreamProcessor

    source = messy.write_jsonl(messy.records(300, seed=4), tmp_path / "values.jsonl")
    lines = source.read_text(encoding="utf-8").splitlines()
    shuffled = [(i % 3, i // 3, line) for i, line in enumerate(lines)]
    random.Random(1).shuffle(shuffled)
    batch = spark.createDataFrame(shuffled, "partition int, offset long, value string")
    ordered = sorted(shuffled)
    replay = tmp_path / "ordered.jsonl"
    replay.write_text("".join(line + "\n" for *_, line in ordered), encoding="utf-8")
    processor = StreamProcessor(spark, tmp_path / "state", settings, as_of=messy.AS_OF)
    processor.process_json(batch, 0)
    dims = ("hour", "gender")
    duck = compute_metrics(file_source(replay), dims, settings, messy.AS_OF)
    assert processor.store.counts(dims).to_pylist() == duck.counts.to_pylist()
    assert processor.store.report().as_dict() == duck.report.as_dict()


def test_moving_clock_rejudges_future_records(spark, settings, tmp_path) -> None:
    from scamlens.scaleout.spark.streaming import StreamProcessor

    early = messy.AS_OF - timedelta(hours=30)
    rows = messy.records(300, seed=6)
    first = _write(rows, tmp_path / "a.jsonl")
    late = [
        dict(rows[1], outreach_id="NEW-1", initiated_at="2025-03-03T09:00:00+08:00")
    ]
    second = _write(late, tmp_path / "b.jsonl")
    clock = iter([early, messy.AS_OF])
    processor = StreamProcessor(
        spark, tmp_path / "state", settings, clock=lambda: next(clock)
    )
    processor.process_paths([first.as_uri()], 0)
    before = processor.store.report()
    processor.process_paths([second.as_uri()], 1)
    after = processor.store.report()
    duck = _duck([first, second], tmp_path, settings, messy.AS_OF, ("day",))
    assert after.as_dict() == duck.report.as_dict()
    assert processor.store.counts(("day",)).to_pylist() == duck.counts.to_pylist()
    assert before.quarantined["future_time"] > after.quarantined["future_time"]
    stored = json.loads((tmp_path / "state" / "commits" / "1.json").read_text())
    assert stored["as_of"] == messy.AS_OF.isoformat()

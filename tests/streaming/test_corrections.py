"""Corrections retract and re-add; late records are kept but not counted."""

from __future__ import annotations

from datetime import date, datetime

import duckdb

from scamlens.streaming.live import live_counts

from .conftest import EngineFactory, by_group, feed, records_json

AS_OF = datetime.fromisoformat("2025-03-10T00:00:00+08:00")


def _rows(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[object, ...]]:
    return con.execute(
        "SELECT window_start, region_code, initiated, succeeded "
        f"FROM {table} ORDER BY ALL"
    ).fetchall()


def test_correction_moves_an_attempt_to_another_region_and_day(
    make_engine: EngineFactory,
) -> None:
    con, engine = make_engine(as_of=AS_OF)
    first = records_json(
        outreach_id="OR-9",
        region_code="330106",
        initiated_at="2025-03-03T23:30:00+08:00",
    )
    other = records_json(
        outreach_id="OR-10",
        phone="13900139000",
        initiated_at="2025-03-04T08:00:00+08:00",
    )
    feed(engine, [first, other], [2])
    by_day = ("day", "region_code")
    assert by_group(live_counts(con, by_day), by_day) == {
        (date(2025, 3, 3), "330106"): (1, 1, 1, 0, 1),
        (date(2025, 3, 4), "330106"): (1, 1, 1, 0, 1),
    }
    fixed = records_json(
        outreach_id="OR-9",
        region_code="330108",
        initiated_at="2025-03-04T00:15:00+08:00",
        connected="false",
        talk_seconds="0",
        played_seconds="0",
        confirmed_accurate="false",
        updated_at="2025-03-04T09:00:00+08:00",
    )
    feed(engine, [fixed], [1])
    assert by_group(live_counts(con, by_day), by_day) == {
        (date(2025, 3, 4), "330106"): (1, 1, 1, 0, 1),
        (date(2025, 3, 4), "330108"): (1, 0, 0, 0, 0),
    }
    # Retracted from every window it touched: the minute, hour and day tables.
    for table in (
        "stream_w1m__region_code_channel_module",
        "stream_w1h__region_code_channel_module_fraud_type_age_band",
    ):
        rows = _rows(con, table)
        assert len(rows) == 2
        assert all(r[1] != "330106" or r[0].hour == 8 for r in rows)
    reasons = con.execute(
        "SELECT outreach_id, reason FROM stream_verdicts ORDER BY _seq"
    ).fetchall()
    assert reasons == [("OR-9", "superseded"), ("OR-10", None), ("OR-9", None)]


def test_older_version_arriving_after_the_newer_one_does_not_win(
    make_engine: EngineFactory,
) -> None:
    con, engine = make_engine(as_of=AS_OF)
    newer = records_json(
        outreach_id="OR-5", region_code="330108", updated_at="2025-03-03T12:00:00+08:00"
    )
    stale = records_json(
        outreach_id="OR-5", region_code="330106", updated_at="2025-03-03T11:00:00+08:00"
    )
    feed(engine, [newer], [1])
    feed(engine, [stale], [1])
    assert by_group(live_counts(con, ("region_code",)), ("region_code",)) == {
        ("330108",): (1, 1, 1, 0, 1)
    }


def test_record_older_than_the_allowed_lateness_is_quarantined_as_too_late(
    make_engine: EngineFactory,
) -> None:
    con, engine = make_engine(as_of=AS_OF, allowed_lateness_seconds=3600)
    now = records_json(outreach_id="OR-1", initiated_at="2025-03-03T10:00:00+08:00")
    within = records_json(outreach_id="OR-2", initiated_at="2025-03-03T09:10:00+08:00")
    late = records_json(outreach_id="OR-3", initiated_at="2025-03-03T08:59:00+08:00")
    future = records_json(outreach_id="OR-4", initiated_at="2025-03-20T10:00:00+08:00")
    feed(engine, [now, within, late, future], [4])
    assert con.execute(
        "SELECT outreach_id, reason FROM stream_quarantine ORDER BY read_order"
    ).fetchall() == [("OR-3", "too_late"), ("OR-4", "future_time")]
    late_row = con.execute("SELECT event_time, watermark FROM stream_late").fetchall()
    assert late_row[0][1] == datetime.fromisoformat("2025-03-03T10:00:00+08:00")
    # The future record did not move the watermark.
    assert engine.state().watermark == datetime.fromisoformat(
        "2025-03-03T10:00:00+08:00"
    )
    assert by_group(live_counts(con, ()), ()) == {(): (2, 2, 2, 0, 2)}


def test_lateness_does_not_depend_on_micro_batch_boundaries(
    make_engine: EngineFactory,
) -> None:
    lines = [
        records_json(outreach_id="OR-1", initiated_at="2025-03-03T10:00:00+08:00"),
        records_json(outreach_id="OR-2", initiated_at="2025-03-03T12:00:00+08:00"),
        records_json(outreach_id="OR-3", initiated_at="2025-03-03T10:30:00+08:00"),
    ]
    found = []
    for sizes in ([3], [1, 1, 1], [2, 1]):
        con, engine = make_engine(as_of=AS_OF, allowed_lateness_seconds=3600)
        feed(engine, lines, sizes)
        found.append(con.execute("SELECT outreach_id FROM stream_late").fetchall())
    assert found == [[("OR-3",)]] * 3


def test_correction_that_leaves_a_capped_group_lets_the_next_attempt_count(
    make_engine: EngineFactory,
) -> None:
    con, engine = make_engine(as_of=AS_OF)
    attempts = [
        records_json(
            outreach_id=f"OR-{i:02d}",
            initiated_at=f"2025-03-03T{8 + i // 60:02d}:{i % 60:02d}:00+08:00",
        )
        for i in range(21)
    ]
    feed(engine, attempts, [10, 11])
    runaway = con.execute(
        "SELECT outreach_id FROM stream_verdicts WHERE reason = 'runaway_dialing'"
    ).fetchall()
    assert runaway == [("OR-20",)]
    moved = records_json(
        outreach_id="OR-03",
        module="publicity",
        initiated_at="2025-03-03T08:03:00+08:00",
        updated_at="2025-03-03T12:00:00+08:00",
    )
    feed(engine, [moved], [1])
    assert (
        con.execute(
            "SELECT count(*) FROM stream_verdicts WHERE reason = 'runaway_dialing'"
        ).fetchall()[0][0]
        == 0
    )
    assert by_group(live_counts(con, ("module",)), ("module",)) == {
        ("warning",): (20, 20, 20, 0, 20),
        ("publicity",): (1, 1, 1, 0, 1),
    }

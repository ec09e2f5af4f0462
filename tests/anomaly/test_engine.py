"""The engine end to end: alerts, ids, state in the warehouse, idempotent writes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pytest

from scamlens.anomaly import (
    HISTORY_TABLE,
    AnomalyEngine,
    DetectionConfig,
    WarehouseSink,
    alert_id,
    load_history,
    save_windows,
    severity_of,
)
from scamlens.warehouse import ALERT_SCHEMA, connect

from .anomaly_synth import hour_start, hourly_windows, segments

REGIONS = segments(30)
FIXED = datetime(2024, 5, 8, 12, 0, tzinfo=UTC)


def _world(seed: int = 3) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "daily_volume": rng.uniform(2000, 5000, len(REGIONS)),
        "success": rng.uniform(0.4, 0.6, len(REGIONS)),
        "victim": np.full(len(REGIONS), 0.02),
    }


def _drop_region0(day: int, hour: int):
    ones = np.ones(len(REGIONS))
    success = ones.copy()
    if day == 7 and hour >= 10:
        success[0] = 0.1
    return ones, success, ones


@pytest.fixture(scope="module")
def days() -> pa.Table:
    """Eight days of hourly windows; region 0's success rate collapses on day 7."""
    return hourly_windows(
        np.random.default_rng(5), REGIONS, range(8), plant=_drop_region0, **_world()
    )


def _split(days: pa.Table, day: int) -> tuple[pa.Table, pa.Table]:
    start = hour_start(day, 0)
    early = pa.compute.less(days.column("window_start"), pa.scalar(start))
    return days.filter(early), days.filter(pa.compute.invert(early))


def _engine(**kwargs) -> AnomalyEngine:
    return AnomalyEngine(sinks=[], clock=lambda: FIXED, **kwargs)


def test_detect_returns_alert_schema_with_evidence(days: pa.Table) -> None:
    history, today = _split(days, 7)
    alerts = _engine(names={REGIONS[0]: "西湖区"}).detect(today, history)
    assert alerts.schema == ALERT_SCHEMA
    drops = [a for a in alerts.to_pylist() if a["kind"] == "rate_drop"]
    assert drops, "the collapse of region 0 must be found"
    assert {json.loads(a["segment"])["region_code"] for a in drops} == {REGIONS[0]}
    for alert in drops:
        assert alert["lower"] <= alert["observed"] <= alert["upper"]
        details = json.loads(alert["details"])
        assert details["expected_lower"] <= alert["expected"]
        assert alert["expected"] <= details["expected_upper"]
        assert alert["message_zh"].startswith("西湖区 接通率")
        assert alert["raised_at"] == FIXED
        span = alert["window_end"] - alert["window_start"]
        assert (alert["grain"], span) in {
            ("1h", timedelta(hours=1)),
            ("3h", timedelta(hours=3)),
        }
    hourly = [a for a in drops if a["grain"] == "1h"]
    # Every collapsed hour (10:00 to 24:00) with the 50 attempts a test needs.
    rows = today.to_pylist()
    testable = [
        r
        for r in rows
        if r["region_code"] == REGIONS[0]
        and r["window_start"] >= hour_start(7, 10)
        and r["initiated"] >= 50
    ]
    assert len(testable) >= 8
    assert {a["window_start"] for a in hourly} == {r["window_start"] for r in testable}
    for alert in hourly:
        # About 50 % down to 10 %: an 80 % drop is four times the 20 % minimum.
        assert alert["severity"] == "critical"
        assert alert["p_value"] < 1e-6


def test_alert_id_is_deterministic_and_specific() -> None:
    base = ("rate_drop", "success_rate", '{"region_code":"330106"}', "1h", FIXED)
    first = alert_id(*base)
    assert first == alert_id(*base)
    assert len(first) == 32
    variants = {
        alert_id("count_surge", *base[1:]),
        alert_id(base[0], "victim_rate", *base[2:]),
        alert_id(*base[:2], '{"region_code":"330108"}', *base[3:]),
        alert_id(*base[:3], "1d", base[4]),
        alert_id(*base[:4], FIXED + timedelta(hours=1)),
    }
    assert first not in variants
    assert len(variants) == 5


def test_severity_from_strength_and_q_value() -> None:
    config = DetectionConfig(fdr=0.01)
    assert severity_of(3.5, 1e-5, config) == "critical"
    assert severity_of(3.5, 5e-4, config) == "warning"  # strong, q not tiny enough
    assert severity_of(1.6, 1e-9, config) == "warning"
    assert severity_of(1.2, 1e-9, config) == "info"
    assert severity_of(5.0, 0.009, config) == "info"


def test_record_window_by_window_matches_batch_detection(days: pa.Table) -> None:
    history, today = _split(days, 7)
    batch = _engine().detect(today, history)
    con = connect(None)
    engine = _engine()
    save_windows(con, history)  # first use: the history is loaded into state
    starts = sorted(set(today.column("window_start").to_pylist()))
    streamed = []
    for start in starts:
        window = today.filter(pa.compute.equal(today.column("window_start"), start))
        streamed.append(engine.record(con, window))
    ids = sorted(i for t in streamed for i in t.column("alert_id").to_pylist())
    assert ids == sorted(batch.column("alert_id").to_pylist())
    stored = con.execute("SELECT count(*) FROM alerts").fetchall()[0][0]
    assert stored == batch.num_rows


def test_record_is_idempotent_after_a_restart(days: pa.Table) -> None:
    history, today = _split(days, 7)
    con = connect(None)
    first = _engine().record(con, today, history=history)
    assert first.num_rows > 0
    # A restarted engine sees the same windows again: no new alerts, no new rows.
    again = _engine().record(con, today, history=history)
    assert again.num_rows == 0
    stored = con.execute("SELECT count(*) FROM alerts").fetchall()[0][0]
    assert stored == first.num_rows
    # The state holds both, less what fell out of the 7-day (+1 h) lookback.
    cutoff = max(today.column("window_start").to_pylist()) - timedelta(days=7, hours=1)
    recent = pa.compute.greater_equal(history.column("window_start"), cutoff)
    expected = today.num_rows + pa.compute.sum(recent.cast(pa.int64())).as_py()
    saved = con.execute(f"SELECT count(*) FROM {HISTORY_TABLE}").fetchall()[0][0]
    assert saved == expected


def test_warehouse_sink_writes_each_alert_once(days: pa.Table) -> None:
    history, today = _split(days, 7)
    con = connect(None)
    sink = WarehouseSink(con)
    engine = AnomalyEngine(sinks=[sink], clock=lambda: FIXED)
    alerts = engine.process(today, history)
    engine.process(today, history)
    stored = con.execute("SELECT count(*) FROM alerts").fetchall()[0][0]
    assert stored == alerts.num_rows > 0
    assert sink.written == alerts.num_rows


def test_history_is_pruned_to_the_longest_lookback(days: pa.Table) -> None:
    con = connect(None)
    engine = _engine(config=DetectionConfig(grains=("1h",)))
    save_windows(con, days)
    history, today = _split(days, 7)
    engine.record(con, today)
    kept = load_history(con, ["region_code"], grains=["1h"])
    oldest = min(kept.column("window_start").to_pylist())
    newest = max(today.column("window_start").to_pylist())
    assert newest - oldest <= timedelta(days=7, hours=1)
    assert oldest > hour_start(0, 0)


def test_detect_ignores_untested_grains_and_empty_input(days: pa.Table) -> None:
    engine = _engine(config=DetectionConfig(grains=("1d",)))
    history, today = _split(days, 7)
    assert engine.detect(today, history).num_rows == 0
    assert engine.detect(today.slice(0, 0)).schema == ALERT_SCHEMA


def test_broken_sink_does_not_stop_the_others(days: pa.Table, caplog) -> None:
    class Broken(WarehouseSink):
        name = "broken"

        def send(self, alerts: pa.Table) -> None:
            raise RuntimeError("disk on fire")

    con = connect(None)
    good = WarehouseSink(con)
    engine = AnomalyEngine(sinks=[Broken(con), good], clock=lambda: FIXED)
    history, today = _split(days, 7)
    alerts = engine.process(today, history)
    assert good.written == alerts.num_rows > 0
    assert "alert sink broken failed" in caplog.text


def _fold(windows: pa.Table) -> pa.Table:
    """The same windows as the segment set of no dimensions: one total per window."""
    counts = ["initiated", "succeeded", "accurate", "victims", "publicity"]
    folded = windows.group_by(["grain", "window_start", "window_end"]).aggregate(
        [(c, "sum") for c in counts]
    )
    return folded.rename_columns(["grain", "window_start", "window_end", *counts])


def test_segment_sets_closing_together_share_one_family(days: pa.Table) -> None:
    """Two sets tested together: each gets half the budget of the closing hour."""
    history, today = _split(days, 7)
    noon = pa.compute.equal(today.column("window_start"), hour_start(7, 12))
    hour = today.filter(noon)
    config = DetectionConfig(rolling_hours=())
    alone = _engine(config=config).evaluate(hour, history)
    together = _engine(config=config).evaluate(
        [hour, _fold(hour)], [history, _fold(history)]
    )
    assert together[1][1][0].evaluation.tested.all()  # the folded set is tested
    q_alone = alone[0][1][0].q_value  # success-rate drop test of every region
    q_together = together[0][1][0].q_value
    best = int(np.nanargmin(q_alone))
    assert q_alone[best] < 1e-10
    # Alone the regions hold the whole budget; together half of it, so the
    # strongest test's q-value doubles.
    assert q_together[best] == pytest.approx(2 * q_alone[best], rel=1e-9, abs=0)


def test_record_leaves_the_commit_to_the_caller(days: pa.Table) -> None:
    """Rolled back with the caller's transaction: no alert and no state survive."""
    history, today = _split(days, 7)
    con = connect(None)
    con.begin()
    assert _engine().record(con, today, history=history).num_rows > 0
    con.rollback()
    tables = {r[0] for r in con.execute("SHOW TABLES").fetchall()}
    assert "alerts" not in tables and HISTORY_TABLE not in tables
    con.begin()
    alerts = _engine().record(con, today, history=history)
    con.commit()
    stored = con.execute("SELECT count(*) FROM alerts").fetchall()[0][0]
    assert stored == alerts.num_rows > 0

"""The detectors fire on planted shifts and stay quiet on noise.

Each scenario draws 400 regions over eight days of hourly windows (seven baseline
days, then the day under test) with a daily volume curve and per-region rates, so
the figures below are measured on about 9,600 segment-windows per day, 38,400 tests.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from scamlens.anomaly import (
    AnomalyEngine,
    BaselineConfig,
    DetectionConfig,
    SuccessRateDrop,
    VictimRateSurge,
    VolumeSpike,
)

from .anomaly_synth import hour_start, hourly_windows, segments

REGIONS = segments(400)
HOURLY = DetectionConfig(rolling_hours=())  # single-window cases: no trailing spans
PLANTED = 40  # the first 40 regions carry the planted shift in the shift tests
HOURS = range(9, 17)  # planted from 09:00 to 17:00 on the day under test


@pytest.fixture(scope="module")
def world() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    return {
        "volume": rng.uniform(1500, 6000, len(REGIONS)),
        "success": rng.uniform(0.3, 0.7, len(REGIONS)),
        "victim": rng.uniform(0.01, 0.04, len(REGIONS)),
    }


@pytest.fixture(scope="module")
def history(world: dict[str, np.ndarray]) -> pa.Table:
    rng = np.random.default_rng(11)
    return hourly_windows(
        rng,
        REGIONS,
        range(7),
        daily_volume=world["volume"],
        success=world["success"],
        victim=world["victim"],
    )


def _day(world: dict[str, np.ndarray], seed: int, plant=None) -> pa.Table:
    return hourly_windows(
        np.random.default_rng(seed),
        REGIONS,
        [7],
        daily_volume=world["volume"],
        success=world["success"],
        victim=world["victim"],
        plant=plant,
    )


def _planted(factor: float, which: int):
    """A plant function multiplying one of (volume, success, victim) in HOURS."""

    def plant(day: int, hour: int):
        ones = np.ones(len(REGIONS))
        out = [ones, ones, ones]
        if hour in HOURS:
            shifted = ones.copy()
            shifted[:PLANTED] = factor
            out[which] = shifted
        return tuple(out)

    return plant


def _alerted_regions(alerts: pa.Table, metric: str) -> set[str]:
    mine = alerts.filter(pc.equal(alerts.column("metric"), metric))
    return {s.split('"')[3] for s in mine.column("segment").to_pylist()}


def test_noise_p_values_are_calibrated_and_clean_day_is_quiet(
    world: dict[str, np.ndarray], history: pa.Table
) -> None:
    engine = AnomalyEngine(sinks=[])
    day = _day(world, seed=101)
    tested, findings = engine.evaluate(day, history)[0]
    for finding in findings:
        p = finding.evaluation.p_value[finding.evaluation.tested]
        assert p.size > 5_000, finding.detector
        # The share of clean tests below 1 % must not exceed 1 % by more than
        # sampling error: the tests are calibrated or conservative, not liberal.
        share = float(np.mean(p < 0.01))
        print(f"{finding.detector!r}: tests={p.size} share(p<0.01)={share:.4f}")
        assert share <= 0.015
    alerts = engine.detect(day, history)
    print(f"clean day alerts={alerts.num_rows} over {tested.num_rows} windows")
    assert alerts.num_rows <= 1


def test_success_rate_drop_is_found_where_planted(
    world: dict[str, np.ndarray], history: pa.Table
) -> None:
    day = _day(world, seed=102, plant=_planted(0.6, which=1))
    alerts = AnomalyEngine(sinks=[]).detect(day, history)
    found = _alerted_regions(alerts, "success_rate")
    recall = len(found & set(REGIONS[:PLANTED])) / PLANTED
    false = found - set(REGIONS[:PLANTED])
    print(f"success drop recall={recall:.2f} false_regions={len(false)}")
    assert recall >= 0.9
    assert len(false) <= 1
    drops = alerts.filter(pc.equal(alerts.column("kind"), "rate_drop"))
    assert (pc.less(drops.column("observed"), drops.column("expected"))).to_pylist()
    # Every alerted window (hourly or trailing 3 h) overlaps the planted hours.
    planted_from, planted_to = hour_start(7, HOURS[0]), hour_start(7, HOURS[-1] + 1)
    for row in drops.to_pylist():
        assert row["window_start"] < planted_to and row["window_end"] > planted_from
    assert set(drops.column("grain").to_pylist()) <= {"1h", "3h"}


def test_victim_rate_surge_is_found_where_planted(
    world: dict[str, np.ndarray],
) -> None:
    # Victims are rare: a tripled victim rate is only visible in an hour once about
    # ten victims are expected there, so this scenario runs at five times the volume
    # (the 2-3 expected victims per hour of the smaller regions leave p ~ 0.01 per
    # window, which multiple-testing control rightly does not act on).
    big = dict(world, volume=world["volume"] * 5)
    history = hourly_windows(
        np.random.default_rng(12),
        REGIONS,
        range(7),
        daily_volume=big["volume"],
        success=big["success"],
        victim=big["victim"],
    )
    day = _day(big, seed=103, plant=_planted(3.0, which=2))
    alerts = AnomalyEngine(sinks=[]).detect(day, history)
    found = _alerted_regions(alerts, "victim_rate") | _alerted_regions(
        alerts, "victims"
    )
    recall = len(found & set(REGIONS[:PLANTED])) / PLANTED
    print(f"victim surge recall={recall:.2f}")
    assert recall >= 0.9
    assert found <= set(REGIONS[:PLANTED]) | {None}


def test_volume_spike_is_found_where_planted(
    world: dict[str, np.ndarray], history: pa.Table
) -> None:
    day = _day(world, seed=104, plant=_planted(4.0, which=0))
    alerts = AnomalyEngine(sinks=[]).detect(day, history)
    found = _alerted_regions(alerts, "initiated")
    recall = len(found & set(REGIONS[:PLANTED])) / PLANTED
    print(f"volume spike recall={recall:.2f}")
    assert recall >= 0.9
    assert found <= set(REGIONS[:PLANTED])


def test_same_hour_baseline_absorbs_the_daily_curve(
    world: dict[str, np.ndarray], history: pa.Table
) -> None:
    """Morning ramps are no spike against the same hour, but are against last hours."""
    day = _day(world, seed=105)
    same_slot = AnomalyEngine(sinks=[], detectors=[VolumeSpike()])
    assert same_slot.detect(day, history).num_rows == 0
    recent = AnomalyEngine(
        sinks=[],
        detectors=[VolumeSpike()],
        config=DetectionConfig(
            grains=("1h",),
            baselines={"1h": BaselineConfig(mode="recent", windows=3)},
            rolling_hours=(),
        ),
    )
    # At least one morning ramp in a tenth of the 400 regions looks like a spike.
    assert recent.detect(day, history).num_rows > 40


def test_minimum_sample_size_withholds_small_segments(make_windows) -> None:
    rows = [
        {
            "start": hour_start(d, 10),
            "region_code": "330106",
            "initiated": 40,
            "succeeded": 20,
        }
        for d in range(7)
    ]
    # Today: 0 of 40 answered, an obvious collapse, but 40 < the 50 trials needed.
    rows.append(
        {
            "start": hour_start(7, 10),
            "region_code": "330106",
            "initiated": 40,
            "succeeded": 0,
        }
    )
    table = make_windows(rows)
    history, today = table.slice(0, 7), table.slice(7)
    strict = AnomalyEngine(HOURLY, sinks=[], detectors=[SuccessRateDrop()])
    tested, findings = strict.evaluate(today, history)[0]
    assert not findings[0].evaluation.tested[0]
    assert strict.detect(today, history).num_rows == 0
    lenient = AnomalyEngine(
        HOURLY, sinks=[], detectors=[SuccessRateDrop(min_trials=30)]
    )
    alerts = lenient.detect(today, history)
    assert alerts.num_rows == 1
    assert alerts.column("observed")[0].as_py() == 0.0


def test_minimum_effect_size_withholds_tiny_shifts(make_windows) -> None:
    # A huge segment drops from 50.0 % to 49.0 %: p is tiny, the effect is not.
    rows = [
        {
            "start": hour_start(d, 10),
            "region_code": "330106",
            "initiated": 1_000_000,
            "succeeded": 500_000,
        }
        for d in range(7)
    ]
    rows.append(
        {
            "start": hour_start(7, 10),
            "region_code": "330106",
            "initiated": 1_000_000,
            "succeeded": 490_000,
        }
    )
    table = make_windows(rows)
    history, today = table.slice(0, 7), table.slice(7)
    # No over-dispersion floor, so the test is the exact binomial one.
    default = AnomalyEngine(
        HOURLY, sinks=[], detectors=[SuccessRateDrop(rho_floor=0.0)]
    )
    _, findings = default.evaluate(today, history)[0]
    assert findings[0].evaluation.p_value[0] < 1e-20
    assert default.detect(today, history).num_rows == 0
    no_minimum = AnomalyEngine(
        HOURLY,
        sinks=[],
        detectors=[
            SuccessRateDrop(min_abs_effect=0.0, min_rel_effect=0.0, rho_floor=0.0)
        ],
    )
    assert no_minimum.detect(today, history).num_rows == 1


def test_victim_rate_surge_needs_its_own_sample(make_windows) -> None:
    rows = [
        {
            "start": hour_start(d, 20),
            "region_code": "330106",
            "initiated": 400,
            "succeeded": 200,
            "victims": 4,
        }
        for d in range(7)
    ]
    rows.append(
        {
            "start": hour_start(7, 20),
            "region_code": "330106",
            "initiated": 400,
            "succeeded": 200,
            "victims": 20,
        }
    )
    table = make_windows(rows)
    alerts = AnomalyEngine(HOURLY, sinks=[], detectors=[VictimRateSurge()]).detect(
        table.slice(7), table.slice(0, 7)
    )
    assert alerts.num_rows == 1
    row = alerts.to_pylist()[0]
    assert row["kind"] == "rate_surge"
    assert row["observed"] == pytest.approx(0.10)
    assert row["expected"] == pytest.approx(28.5 / 1401)
    assert row["lower"] < 0.10 < row["upper"]

"""Trailing windows: sums of the last hours, now and on the previous days."""

from __future__ import annotations

import pytest

from scamlens.anomaly import AnomalyEngine, DetectionConfig, VictimCountSurge
from scamlens.anomaly.frame import normalise_windows
from scamlens.anomaly.rolling import rolling_grain, rolling_starts, rolling_windows
from scamlens.errors import ConfigError

from .anomaly_synth import hour_start


def _row(day: int, hour: int, region: str, initiated: int, victims: int = 0):
    return {
        "start": hour_start(day, hour),
        "region_code": region,
        "initiated": initiated,
        "succeeded": initiated,
        "victims": victims,
    }


def test_rolling_windows_sum_the_trailing_hours(make_windows) -> None:
    history = make_windows(
        [
            _row(6, 8, "A", 1),
            _row(6, 9, "A", 2),
            _row(6, 10, "A", 4),  # day 6, 08:00-11:00 of A: 7
            _row(6, 7, "A", 100),  # outside the span
            _row(5, 10, "A", 8),  # day 5: only 10:00 -> 8
            _row(7, 8, "A", 16),
            _row(7, 9, "B", 32),
        ]
    )
    today = make_windows([_row(7, 10, "A", 64), _row(7, 10, "B", 128)])
    current, earlier = rolling_windows(
        normalise_windows(today), normalise_windows(history), hours=3, days=2
    )
    now = {r["region_code"]: r for r in current.to_pylist()}
    assert now["A"]["initiated"] == 16 + 64
    assert now["B"]["initiated"] == 32 + 128
    assert now["A"]["grain"] == "3h"
    assert now["A"]["window_start"] == hour_start(7, 8)
    assert now["A"]["window_end"] == hour_start(7, 11)
    before = {
        (r["region_code"], r["window_start"]): r["initiated"]
        for r in earlier.to_pylist()
    }
    assert before == {("A", hour_start(6, 8)): 7, ("A", hour_start(5, 8)): 8}


def test_rolling_starts_name_every_hour_needed(make_windows) -> None:
    today = make_windows([_row(7, 10, "A", 1)])
    needed = rolling_starts(today, hours=3, days=1)
    assert sorted(needed.column("window_start").to_pylist()) == sorted(
        [hour_start(d, h) for d in (6, 7) for h in (8, 9, 10)]
    )
    assert rolling_grain(3) == "3h"


def test_sustained_shift_found_only_over_three_hours(make_windows) -> None:
    """Three hours of 4 victims against 1 expected: no hour alone suffices."""
    rows = [_row(d, h, "A", 200, victims=1) for d in range(7) for h in (9, 10, 11)]
    history = make_windows(rows + [_row(7, 9, "A", 200, 4), _row(7, 10, "A", 200, 4)])
    today = make_windows([_row(7, 11, "A", 200, 4)])
    detectors = [VictimCountSurge(min_count=4, min_excess=2)]
    hourly_only = AnomalyEngine(
        DetectionConfig(rolling_hours=()), sinks=[], detectors=detectors
    )
    assert hourly_only.detect(today, history).num_rows == 0
    alerts = AnomalyEngine(sinks=[], detectors=detectors).detect(today, history)
    assert alerts.column("grain").to_pylist() == ["3h"]
    assert alerts.column("observed").to_pylist() == [12.0]
    assert alerts.column("expected").to_pylist() == [pytest.approx(21.5 / 7)]


def test_rolling_hours_are_validated() -> None:
    with pytest.raises(ConfigError, match="`1`"):
        DetectionConfig(rolling_hours=(1,))
    assert DetectionConfig(grains=("1d",)).rolling == ()

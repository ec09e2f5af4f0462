"""Baseline statistics: which earlier windows count, and how absent ones count."""

from __future__ import annotations

import pyarrow as pa
import pytest

from scamlens.anomaly import BaselineConfig, compute_baselines
from scamlens.anomaly.config import DetectionConfig
from scamlens.errors import ConfigError, SchemaMismatch

from .anomaly_synth import hour_start

SAME_HOUR = {"1h": BaselineConfig(mode="same_slot", days=3)}
RECENT = {"1h": BaselineConfig(mode="recent", windows=2)}


def _row(day: int, hour: int, region: str, initiated: int, succeeded: int = 0):
    return {
        "start": hour_start(day, hour),
        "region_code": region,
        "initiated": initiated,
        "succeeded": succeeded,
    }


def _stats(table: pa.Table, row: int) -> dict[str, float]:
    return {name: table.column(name)[row].as_py() for name in table.schema.names}


def test_same_slot_reads_the_same_hour_of_previous_days(make_windows) -> None:
    history = make_windows(
        [
            _row(0, 10, "A", 100, 50),  # 4 days back: outside the 3-day lookback
            _row(1, 10, "A", 10, 5),
            _row(2, 10, "A", 20, 10),
            _row(3, 10, "A", 30, 12),
            _row(3, 9, "A", 999, 0),  # another hour: ignored
            _row(3, 10, "B", 7, 7),  # another region: ignored for A
        ]
    )
    today = make_windows([_row(4, 10, "A", 40, 10)])
    stats = _stats(compute_baselines(today, history, SAME_HOUR), 0)
    assert stats["base_windows"] == 3
    assert stats["seg_windows"] == 3
    assert stats["s_initiated"] == 60
    assert stats["ss_initiated"] == 10**2 + 20**2 + 30**2
    assert stats["s_succeeded"] == 27
    assert stats["k_initiated"] == 3
    assert stats["q_succeeded_initiated"] == pytest.approx(
        25 / 10 + 100 / 20 + 144 / 30
    )


def test_absent_segment_windows_count_as_zero(make_windows) -> None:
    # Region A was silent at 10:00 on day 2; B was active, so that window exists.
    history = make_windows(
        [_row(1, 10, "A", 10), _row(2, 10, "B", 5), _row(3, 10, "A", 30)]
    )
    today = make_windows([_row(4, 10, "A", 40)])
    stats = _stats(compute_baselines(today, history, SAME_HOUR), 0)
    assert stats["base_windows"] == 3
    assert stats["seg_windows"] == 2
    assert stats["s_initiated"] == 40


def test_recent_mode_reads_the_last_windows(make_windows) -> None:
    history = make_windows([_row(3, 7, "A", 1), _row(3, 8, "A", 2), _row(3, 9, "A", 4)])
    today = make_windows([_row(3, 10, "A", 40)])
    stats = _stats(compute_baselines(today, history, RECENT), 0)
    assert (stats["base_windows"], stats["s_initiated"]) == (2, 6)


def test_windows_under_test_serve_later_windows(make_windows) -> None:
    """A catch-up batch is judged as if its windows had closed one by one."""
    batch = make_windows([_row(3, 8, "A", 2), _row(3, 9, "A", 4), _row(3, 10, "A", 40)])
    stats = compute_baselines(batch, None, RECENT)
    assert stats.column("s_initiated").to_pylist() == [0, 2, 6]
    assert stats.column("base_windows").to_pylist() == [0, 1, 2]
    # History holding an older version of a window under test is overridden.
    stale = make_windows([_row(3, 9, "A", 1000)])
    again = compute_baselines(batch, stale, RECENT)
    assert again.column("s_initiated").to_pylist() == [0, 2, 6]


def test_missing_columns_are_named(make_windows) -> None:
    table = make_windows([_row(3, 8, "A", 2)]).drop_columns(["victims"])
    with pytest.raises(SchemaMismatch, match="`victims`"):
        compute_baselines(table, None, RECENT)


def test_negative_counts_are_refused(make_windows) -> None:
    table = make_windows([_row(3, 8, "A", -2)])
    with pytest.raises(SchemaMismatch, match="negative"):
        compute_baselines(table, None, RECENT)


def test_config_refuses_unknown_modes_and_grains() -> None:
    with pytest.raises(ConfigError, match="`weekly`"):
        BaselineConfig(mode="weekly")
    with pytest.raises(ConfigError, match="`5m`"):
        DetectionConfig(grains=("5m",))
    with pytest.raises(ConfigError, match="fdr"):
        DetectionConfig(fdr=0.0)

"""Configs are validated with named errors; custom anomalies and regions work."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from scamlens.errors import ConfigError, UsageError
from scamlens.simulate import AnomalySpec, MessRates, SimConfig, Simulation, generate

START = SimConfig().period_start


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"days": 0}, "days is `0`"),
        ({"per_day": -5}, "per_day is `-5`"),
        ({"daily_cap": 3}, "daily_cap is `3`"),
        ({"max_talk_seconds": 10.0}, "max_talk_seconds is `10.0`"),
        ({"mess": MessRates(bad_value=0.5)}, "mess rate `bad_value` is `0.5`"),
        ({"anomaly_day": 9}, "anomaly_day is `9`"),
        ({"regions": ("110101",)}, "region `110101` is not simulated"),
        ({"start": date(9999, 12, 31), "days": 1}, "from `9999-12-31` goes outside"),
        ({"start": date(1900, 1, 1)}, "from `1900-01-01` goes outside"),
        ({"days": 10**8}, "`100000000` days from `2025-03-03` goes outside"),
    ],
)
def test_bad_configs_are_named(changes: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Simulation(SimConfig(**changes))


def test_truth_is_not_ready_before_the_tables_are_consumed() -> None:
    sim = Simulation(SimConfig(days=1, per_day=100))
    with pytest.raises(UsageError, match="not ready"):
        _ = sim.truth
    chunks = list(sim.tables())
    assert sum(c.num_rows for c in chunks) == sim.truth.counts["read"]


def test_chunks_stay_near_chunk_rows() -> None:
    config = SimConfig(days=1, per_day=5_000, chunk_rows=1_000, seed=3)
    sizes = [t.num_rows for t in generate(config)]
    assert len(sizes) == 5
    assert all(900 <= n <= 1_000 for n in sizes), sizes


def test_custom_anomaly_on_manual_calls_in_another_city() -> None:
    start = START + timedelta(days=1, hours=9)
    spec = AnomalySpec(
        "connection_drop",
        (("region_code", "330782"), ("channel", "voice")),
        start,
        start + timedelta(hours=8),
        0.0,
    )
    config = SimConfig(
        days=2, per_day=30_000, seed=6, regions=("330700",), anomaly_specs=(spec,)
    )
    truth = Simulation(config).compute_truth().data
    (anomaly,) = truth["anomalies"]
    assert anomaly["segment"] == {"region_code": "330782", "channel": "voice"}
    assert anomaly["measured"]["initiated"] > 100
    assert anomaly["measured"]["succeeded"] == 0
    assert truth["config"]["regions"] == [
        "330702",
        "330703",
        "330723",
        "330726",
        "330727",
        "330781",
        "330782",
        "330783",
        "330784",
    ]
    assert truth["planted_groups"][0]["dimensions"]["city"] == "330700"


def test_anomaly_outside_the_period_is_refused() -> None:
    late = datetime.fromisoformat("2030-01-01T00:00:00+08:00")
    spec = AnomalySpec(
        "victim_surge",
        (("fraud_type", "romance"),),
        late,
        late + timedelta(hours=1),
        3.0,
    )
    with pytest.raises(ConfigError, match="not a window inside"):
        Simulation(SimConfig(anomaly_specs=(spec,)))


def test_the_last_dates_the_simulator_can_write_are_simulated() -> None:
    config = SimConfig(start=date(9998, 12, 24), days=7, per_day=200, seed=5)
    rows = sum(t.num_rows for t in generate(config))
    assert rows >= 7 * 200

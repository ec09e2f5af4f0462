"""Planted risk groups and anomalies are in the data, and only when asked."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from scamlens.contract.enums import age_band_of
from scamlens.simulate import SimConfig, day_table

from .helpers import Generated, run
from .reference import parse_time, recount


@pytest.fixture(scope="module")
def counted(realistic: Generated) -> list[dict[str, Any]]:
    as_of = datetime.fromisoformat(realistic.truth.as_of)
    return recount(realistic.rows, as_of).counted_rows


def _dialogue(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        r for r in rows if r["connected"] and r["module"] in ("warning", "follow_up")
    ]


def _victim_rate(rows: list[dict[str, Any]]) -> float:
    return sum(bool(r["reported_defrauded"]) for r in rows) / len(rows)


def _in_group(row: dict[str, Any], dims: dict[str, str]) -> bool:
    return (
        age_band_of(row["age"]).value == dims["age_band"]
        and row["fraud_type"] == dims["fraud_type"]
        and ("city" not in dims or row["row"]["region_code"][:4] + "00" == dims["city"])
    )


def test_planted_groups_have_higher_victim_rates(
    realistic: Generated, counted: list[dict[str, Any]]
) -> None:
    groups = realistic.truth.data["planted_groups"]
    assert {g["name"] for g in groups} == {
        "elderly_investment_wenzhou",
        "students_order_brushing",
        "students_game_trading",
    }
    talks = _dialogue(counted)
    for group in groups:
        dims = group["dimensions"]
        members = [r for r in talks if _in_group(r, dims)]
        control = [
            r
            for r in talks
            if not _in_group(r, dims) and r["fraud_type"] == dims["fraud_type"]
        ]
        rest = [r for r in talks if not _in_group(r, dims)]
        measured = group["measured"]
        assert len(members) == measured["succeeded"]
        assert (
            sum(bool(r["reported_defrauded"]) for r in members) == measured["victims"]
        )
        assert _victim_rate(members) > 2 * _victim_rate(control), group["name"]
        assert _victim_rate(members) > 2 * _victim_rate(rest), group["name"]


def _window(anomaly: dict[str, Any]) -> tuple[datetime, datetime]:
    return (
        datetime.fromisoformat(anomaly["start"]),
        datetime.fromisoformat(anomaly["end"]),
    )


def _anomaly(generated: Generated, kind: str) -> dict[str, Any]:
    return next(a for a in generated.truth.data["anomalies"] if a["kind"] == kind)


def test_connection_drop_is_in_the_data(
    realistic: Generated, counted: list[dict[str, Any]]
) -> None:
    drop = _anomaly(realistic, "connection_drop")
    start, end = _window(drop)
    seg = [
        r
        for r in counted
        if r["row"]["region_code"] == drop["segment"]["region_code"]
        and r["channel"] == drop["segment"]["channel"]
    ]
    inside = [r for r in seg if start <= r["initiated"] < end]
    before = [r for r in seg if start - (end - start) <= r["initiated"] < start]
    assert len(inside) == drop["measured"]["initiated"] > 50
    assert sum(r["connected"] for r in inside) == drop["measured"]["succeeded"]
    rate = sum(r["connected"] for r in inside) / len(inside)
    assert rate < 0.3 * sum(r["connected"] for r in before) / len(before)
    assert drop["measured"]["expected_success_rate"] > 0.3


def test_victim_surge_is_in_the_data(
    realistic: Generated, counted: list[dict[str, Any]]
) -> None:
    surge = _anomaly(realistic, "victim_surge")
    start, end = _window(surge)
    day = [
        r
        for r in _dialogue(counted)
        if r["fraud_type"] == surge["segment"]["fraud_type"]
        and r["initiated"].date() == start.date()
    ]
    inside = [r for r in day if start <= r["initiated"] < end]
    outside = [r for r in day if not start <= r["initiated"] < end]
    assert len(inside) == surge["measured"]["succeeded"]
    assert _victim_rate(inside) > 3 * _victim_rate(outside)


def test_volume_spike_is_in_the_data(realistic: Generated) -> None:
    spike = _anomaly(realistic, "volume_spike")
    start, end = _window(spike)
    seg = spike["segment"]
    counts = {}
    for row in realistic.rows:
        if (
            row["region_code"] != seg["region_code"]
            or row["module"] != seg["module"]
            or row["channel"] != seg["channel"]
        ):
            continue
        try:
            when = parse_time(row["initiated_at"])
        except (AttributeError, ValueError):
            continue
        if start.time() <= when.astimezone(start.tzinfo).time() < end.time():
            day = when.astimezone(start.tzinfo).date()
            counts[day] = counts.get(day, 0) + 1
    spiked = counts.pop(start.date())
    assert spiked > 5 * max(counts.values(), default=1)
    assert spike["measured"]["spike_rows_quarantined"] > 0


def test_no_anomalies_unless_asked(realistic: Generated) -> None:
    plain = run(realistic.config.replace(anomalies=False, days=4, per_day=20_000))
    assert plain.truth.data["anomalies"] == []
    as_of = datetime.fromisoformat(plain.truth.as_of)
    rows = recount(plain.rows, as_of).counted_rows
    drop = _anomaly(realistic, "connection_drop")
    start, end = _window(drop)
    inside = [
        r
        for r in rows
        if start <= r["initiated"] < end
        and r["row"]["region_code"] == drop["segment"]["region_code"]
        and r["channel"] == "voice"
    ]
    assert sum(r["connected"] for r in inside) / len(inside) > 0.3
    surge = _anomaly(realistic, "victim_surge")
    start, end = _window(surge)
    talks = [
        r
        for r in _dialogue(rows)
        if start <= r["initiated"] < end and r["fraud_type"] == "fake_customer_service"
    ]
    assert _victim_rate(talks) < 0.08


def test_clean_day_has_no_mess_and_no_anomaly() -> None:
    config = SimConfig(days=3, per_day=4_000, seed=9, anomalies=True)
    table = day_table(config.clean(), 2)
    rows = table.to_pylist()
    as_of = config.as_of
    result = recount(rows, as_of)
    assert result.read == len(rows) == 4_000
    assert result.counted == 4_000
    stamps = [parse_time(r["initiated_at"]) for r in rows]
    assert all(a <= b for a, b in zip(stamps, stamps[1:], strict=False))

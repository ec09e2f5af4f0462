"""The ground truth matches an independent recount of the generated rows."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scamlens.simulate import MessRates, SimConfig, ground_truth
from scamlens.simulate.messes import DEFECTS

from .helpers import MESSY, Generated, run
from .reference import (
    REASONS,
    Interpretation,
    parse_time,
    recount,
    typed_row_as_text,
)

READINGS = [
    Interpretation(),
    Interpretation(missing_updated_loses=True),
    Interpretation(infer_fully_for_outcome=True),
    Interpretation(citizen_id_first=True),
    Interpretation(True, True, True),
]


def _assert_matches(
    generated: Generated, rows: list[dict], how: Interpretation
) -> None:
    truth = generated.truth.data
    result = recount(rows, datetime.fromisoformat(truth["as_of"]), how)
    assert result.read == truth["counts"]["read"]
    assert result.superseded == truth["counts"]["superseded"]
    assert result.unchanged == truth["counts"]["unchanged_rereads"]
    assert result.quarantined == truth["counts"]["quarantined"]
    assert result.counted == truth["counts"]["counted"]
    assert result.indicators == truth["indicators"]


@pytest.mark.parametrize("how", READINGS, ids=str)
def test_truth_matches_recount_of_text_rows(
    messy: Generated, how: Interpretation
) -> None:
    _assert_matches(messy, messy.rows, how)


@pytest.mark.parametrize("how", READINGS[:2], ids=str)
def test_truth_matches_recount_of_typed_rows(
    messy_typed: Generated, how: Interpretation
) -> None:
    rows = [typed_row_as_text(r) for r in messy_typed.rows]
    _assert_matches(messy_typed, rows, how)


def test_truth_matches_recount_with_other_thresholds() -> None:
    generated = run(MESSY.replace(daily_cap=8, max_talk_seconds=900.0, seed=3))
    truth = generated.truth.data
    result = recount(
        generated.rows,
        datetime.fromisoformat(truth["as_of"]),
        daily_cap=8,
        max_talk=900.0,
    )
    assert truth["assumes"]["daily_cap"] == 8
    assert result.quarantined == truth["counts"]["quarantined"]
    assert result.indicators == truth["indicators"]


def test_every_reason_is_planted(messy: Generated) -> None:
    quarantined = messy.truth.counts["quarantined"]
    assert set(quarantined) == set(REASONS)
    assert all(quarantined[r] > 0 for r in REASONS), quarantined
    assert messy.truth.counts["superseded"] > 0


def test_every_defect_kind_is_planted_and_adds_up(messy: Generated) -> None:
    data = messy.truth.data
    planted = data["planted_defects"]
    assert all(planted[d.key] > 0 for d in DEFECTS), planted
    for reason in REASONS[:-1]:
        total = sum(n for key, n in planted.items() if key.startswith(reason + "/"))
        assert total == data["counts"]["quarantined"][reason]
    runaway = data["runaway_tasks"]["quarantined"]
    spike = sum(
        a["measured"].get("spike_rows_quarantined", 0) for a in data["anomalies"]
    )
    assert runaway + spike == data["counts"]["quarantined"]["runaway_dialing"]


def test_typed_output_only_plants_representable_defects(messy_typed: Generated) -> None:
    planted = messy_typed.truth.data["planted_defects"]
    for defect in DEFECTS:
        assert (planted[defect.key] == 0) == defect.text_only, defect.key


def test_every_version_pattern_is_planted(messy: Generated) -> None:
    versions = messy.truth.data["versions"]
    assert all(n > 0 for n in versions["by_timing"].values()), versions
    assert sum(versions["by_timing"].values()) == messy.truth.counts["superseded"]
    assert sum(versions["by_content"].values()) == messy.truth.counts["superseded"]


def test_equal_and_missing_updated_at_versions_really_occur(messy: Generated) -> None:
    seen: dict[str, list] = {}
    for row in messy.rows:
        if row["outreach_id"]:
            seen.setdefault(row["outreach_id"], []).append(row["updated_at"])
    groups = [stamps for stamps in seen.values() if len(stamps) > 1]
    assert any(len(set(s)) == 1 and s[0] is not None for s in groups)
    assert any(all(x is None for x in s) for s in groups)
    stale = [
        s
        for s in groups
        if None not in s and parse_time(s[-1]) < max(parse_time(x) for x in s)
    ]
    assert stale, "no older copy re-sent after the newer one"


def test_future_rows_lie_after_as_of_and_only_they(messy: Generated) -> None:
    as_of = datetime.fromisoformat(messy.truth.as_of)
    assert as_of == MESSY.as_of
    future = 0
    for row in messy.rows:
        try:
            when = parse_time(row["initiated_at"] or "")
        except ValueError:
            continue
        future += when > as_of
    assert future >= messy.truth.counts["quarantined"]["future_time"] > 0


def test_by_day_adds_up_to_totals(messy: Generated) -> None:
    data = messy.truth.data
    assert [d["date"] for d in data["by_day"]] == [
        "2025-03-03",
        "2025-03-04",
        "2025-03-05",
    ]
    for key in ("read", "superseded", "counted"):
        assert sum(d[key] for d in data["by_day"]) == data["counts"][key]
    for name, value in data["indicators"].items():
        assert sum(d["indicators"][name] for d in data["by_day"]) == value


def test_ground_truth_function_equals_truth_of_generation(messy: Generated) -> None:
    assert ground_truth(MESSY).data == messy.truth.data


def test_clean_config_has_nothing_to_quarantine() -> None:
    generated = run(SimConfig(days=2, per_day=2_000, seed=4).clean())
    truth = generated.truth.data
    assert truth["counts"]["counted"] == truth["counts"]["read"] == 4_000
    result = recount(generated.rows, datetime.fromisoformat(truth["as_of"]))
    assert result.counted == 4_000


def test_mess_rates_follow_the_config() -> None:
    config = SimConfig(
        days=2, per_day=10_000, seed=8, mess=replace(MessRates.none(), bad_value=0.02)
    )
    truth = ground_truth(config).data
    quarantined = truth["counts"]["quarantined"]
    assert quarantined["bad_value"] == 400
    assert sum(quarantined.values()) == 400
    assert truth["counts"]["superseded"] == 0


def test_truth_holds_no_phone_or_pseudonym(messy: Generated) -> None:
    text = messy.truth.to_json()
    assert not re.search(r"1[3-9]\d{9}", text)
    pseudonyms = {r["citizen_id"] for r in messy.rows if r["citizen_id"]}
    assert pseudonyms and not any(p in text for p in pseudonyms)


@given(
    seed=st.integers(0, 10_000),
    days=st.integers(1, 3),
    per_day=st.integers(50, 900),
    scale=st.sampled_from([0.0, 1.0, 5.0, 12.0]),
    chunk_rows=st.sampled_from([150, 400, 200_000]),
    typed=st.booleans(),
    anomalies=st.booleans(),
)
@settings(max_examples=25, deadline=None)
def test_truth_matches_recount_for_any_small_config(
    seed: int,
    days: int,
    per_day: int,
    scale: float,
    chunk_rows: int,
    typed: bool,
    anomalies: bool,
) -> None:
    config = SimConfig(
        days=days,
        per_day=per_day,
        seed=seed,
        typed=typed,
        anomalies=anomalies,
        mess=MessRates().scaled(scale),
        chunk_rows=chunk_rows,
    )
    generated = run(config)
    rows = generated.rows
    if typed:
        rows = [typed_row_as_text(r) for r in rows]
    _assert_matches(generated, rows, Interpretation(True, True, True))

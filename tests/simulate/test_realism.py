"""The records look like a platform's: volumes, rates, formats and consistency."""

from __future__ import annotations

import re
from collections import Counter

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from scamlens.contract.columns import COLUMN_NAMES
from scamlens.simulate import CITIES, COUNTIES, PROVINCES, REGION_NAMES

from .helpers import Generated
from .reference import SHANGHAI, empty, parse_bool, parse_enum, parse_time

TRUE = ("true", "1", "是", "TRUE")
_NUMBERS = ("talk_seconds", "content_seconds", "played_seconds")


def _clean(generated: Generated) -> list[dict]:
    """Rows that parse cleanly, with channel/module/age and flags decoded."""
    out = []
    for row in generated.rows:
        try:
            rec = {
                "channel": parse_enum("channel", row["channel"]),
                "module": parse_enum("module", row["module"]),
                "connected": parse_bool(row["connected"]),
                "age": float(row["age"]) if row["age"] else None,
                "time": parse_time(row["initiated_at"]),
                "numbers": [float(row[c]) for c in _NUMBERS if row[c]],
                "row": row,
            }
        except (ValueError, TypeError, AttributeError):
            continue
        rec["hour"] = rec["time"].astimezone(SHANGHAI).hour
        if rec["time"] < generated.config.as_of:
            out.append(rec)
    return out


@pytest.fixture(scope="module")
def parsed(realistic: Generated) -> list[dict]:
    return _clean(realistic)


def _rate(rows: list[dict]) -> float:
    return sum(r["connected"] for r in rows) / len(rows)


def test_connection_rates_by_channel(parsed: list[dict]) -> None:
    by = {
        ch: [r for r in parsed if r["channel"] == ch]
        for ch in ("voice", "sms", "flash_sms", "video_sms", "manual_call")
    }
    assert 0.93 < _rate(by["sms"]) < 0.98
    assert 0.30 < _rate(by["voice"]) < 0.60
    assert _rate(by["manual_call"]) > _rate(by["voice"]) + 0.1
    assert 0.85 < _rate(by["flash_sms"]) < 0.95


def test_elderly_answer_calls_more_than_the_young(parsed: list[dict]) -> None:
    voice = [r for r in parsed if r["channel"] == "voice" and r["age"] is not None]
    young = [r for r in voice if 18 <= r["age"] < 25]
    old = [r for r in voice if r["age"] >= 65]
    assert _rate(old) > _rate(young) * 1.5


def test_night_volume_is_low(parsed: list[dict]) -> None:
    hours = Counter(r["hour"] for r in parsed)
    night = sum(hours[h] for h in range(1, 6)) / 5
    day = sum(hours[h] for h in range(9, 12)) / 3
    assert night < day / 8
    publicity = Counter(r["hour"] for r in parsed if r["module"] == "publicity")
    assert sum(publicity[h] for h in range(8)) == 0


def test_not_connected_means_no_talk_and_no_outcome(realistic: Generated) -> None:
    truth = realistic.truth.data
    assert truth["counts"]["quarantined"]["outcome_without_connection"] > 0
    clean = [r for r in _clean(realistic) if not r["connected"]]
    broken = [r for r in clean if float(r["row"]["talk_seconds"] or 0) > 0]
    # Only the planted defects (and exact duplicates of them) break the rule.
    planted = truth["planted_defects"]["outcome_without_connection/talk_seconds"]
    assert (
        0
        < planted
        <= len(broken)
        <= planted + truth["versions"]["by_timing"]["duplicate"]
    )
    transcripts = [r for r in clean if r["row"]["transcript"]]
    assert len(transcripts) < len(clean) * 0.002


def test_outcome_flags_only_on_warning_or_follow_up_calls(parsed: list[dict]) -> None:
    flagged = [
        r for r in parsed if r["row"]["reported_defrauded"] in TRUE and r["connected"]
    ]
    assert flagged
    assert all(r["module"] in ("warning", "follow_up") for r in flagged)
    assert all(r["channel"] in ("voice", "manual_call") for r in flagged)


def test_message_channels_rarely_have_transcripts(parsed: list[dict]) -> None:
    texts = [r for r in parsed if r["channel"] in ("sms", "flash_sms", "video_sms")]
    with_text = [r for r in texts if r["row"]["transcript"]]
    assert len(with_text) < 0.05 * len(texts)
    calls = [r for r in parsed if r["channel"] == "voice" and r["connected"]]
    assert sum(bool(r["row"]["transcript"]) for r in calls) > 0.9 * len(calls)


def test_transcripts_agree_with_the_flags(parsed: list[dict]) -> None:
    calls = [
        r["row"]
        for r in parsed
        if r["connected"] and r["row"]["transcript"] and r["module"] == "warning"
    ]
    victims = [r for r in calls if r["reported_defrauded"] in TRUE]
    assert victims and all(
        re.search(r"被骗|转了|转出去|转.*给他", r["transcript"]) for r in victims
    )
    deniers = [
        r
        for r in calls
        if r["confirmed_accurate"] not in TRUE and r["confirmed_accurate"] is not None
    ]
    assert not any("被骗了" in r["transcript"] for r in deniers)


def test_fully_played_is_sometimes_left_to_inference(
    parsed: list[dict], realistic: Generated
) -> None:
    videos = [
        r["row"]
        for r in parsed
        if r["channel"] in ("voice", "video_sms") and r["connected"]
    ]
    blank = [r for r in videos if empty(r["fully_played"])]
    assert 0.2 * len(videos) < len(blank) < 0.7 * len(videos)
    # Inference needs both durations; only older versions (corrected later) lack one.
    lacking = [r for r in blank if not (r["played_seconds"] and r["content_seconds"])]
    assert len(lacking) <= realistic.truth.counts["superseded"]
    over = [
        r
        for r in videos
        if r["played_seconds"]
        and r["content_seconds"]
        and float(r["played_seconds"]) > float(r["content_seconds"])
    ]
    assert 0 < len(over) < 0.05 * len(videos)


def test_leads_group_several_attempts(realistic: Generated) -> None:
    attempts: dict[str, set] = {}
    for row in realistic.rows:
        if row["lead_id"]:
            attempts.setdefault(row["lead_id"], set()).add(row["outreach_id"])
    sizes = Counter(len(ids) for ids in attempts.values())
    assert sizes[1] > 0 and sizes[2] > 0 and sizes[3] > 0 and sizes[4] > 0
    # Ordinary leads make at most four attempts; runaway tasks 30 or more.
    assert not any(5 <= size < 30 for size in sizes), sizes


def test_identities_look_real(realistic: Generated) -> None:
    phones = [p for p in realistic.table.column("phone").to_pylist() if p]
    assert all(re.fullmatch(r"1[3-9]\d{9}", p) for p in phones)
    ids = [c for c in realistic.table.column("citizen_id").to_pylist() if c]
    assert all(re.fullmatch(r"[0-9a-f]{32}", c) for c in ids)
    rows = realistic.rows
    only_id = [r for r in rows if r["citizen_id"] and not r["phone"]]
    assert 0.03 * len(rows) < len(only_id) < 0.15 * len(rows)


def test_regions_are_simulated_counties(realistic: Generated) -> None:
    codes = Counter(realistic.table.column("region_code").to_pylist())
    valid = {c: n for c, n in codes.items() if c and re.fullmatch(r"\d{6}", c)}
    assert set(valid) <= set(COUNTIES)
    assert len(valid) > 40
    assert codes["330109"] > codes["330305"] * 5  # Xiaoshan outweighs Dongtou


def test_geography_names_cover_every_level() -> None:
    assert (
        REGION_NAMES["330000"] == PROVINCES["330000"] == ("浙江省", "Zhejiang Province")
    )
    assert REGION_NAMES["330300"] == CITIES["330300"]
    assert REGION_NAMES["330106"] == ("西湖区", "Xihu District")
    assert all(code[:4] + "00" in CITIES for code in COUNTIES)


def test_text_output_is_all_strings_in_contract_order(realistic: Generated) -> None:
    assert realistic.table.schema.names == list(COLUMN_NAMES)
    assert all(t == pa.string() for t in realistic.table.schema.types)
    styles = realistic.table.column("initiated_at")
    assert pc.any(pc.ends_with(styles, "+08:00")).as_py()
    assert pc.any(pc.ends_with(styles, "Z")).as_py()
    assert pc.any(pc.match_substring_regex(styles, r"T\d\d:\d\d:\d\d$")).as_py()
    spellings = set(realistic.table.column("connected").to_pylist())
    assert {"true", "false", "1", "0", "是", "否"} <= spellings

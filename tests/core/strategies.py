"""Hypothesis strategies for messy outreach records, as a platform would export them."""

from __future__ import annotations

import csv
from pathlib import Path

from hypothesis import strategies as st

from scamlens.contract import COLUMN_NAMES

IDS = [f"o{i}" for i in range(8)] + [" o1", ""]
PHONES = ["13800138000", "+86 138-0013-8001", "13900139002", "", None]
CITIZENS = ["c-aa", "c-bb", "", None]
CHANNELS = [
    "voice",
    "sms",
    "flash_sms",
    "video_sms",
    "manual_call",
    "短信",
    " VOICE ",
    "fax",
    "",
    None,
]
MODULES = ["warning", "publicity", "follow_up", "回访", "Warning", "spam", None]
FRAUD = ["order_brushing", "fake_loan", "romance", "other", "刷单返利", "", None, "xx"]
REGIONS = ["330106", "330108", "330205", "3301", "33010a", "", None]
AGES = ["30", "70", "17", "24.5", "150", "-1", "x", "", None]
GENDERS = ["M", "F", "U", "female", "男", "", None, "Z"]
DAY_TIMES = [
    "2026-11-30 23:59:59",
    "2026-12-01 00:00:00",
    "2026-12-01T08:30:00+08:00",
    "2026-12-01T00:10:00Z",
    "2026-12-01 13:00",
    "2026-12-02 10:00:00",
    "2026-12-01T16:30:00Z",
    "2026-12-05 09:00:00",
    "2026-12-01",
]
TIMES = [
    *DAY_TIMES,
    "tomorrow",
    "2026-13-01 00:00:00",
    "infinity",
    "1900-12-31 23:59:59",
    "2026-12-01 09:00:00 CST",
    "",
    None,
]
BOOLS = ["true", "false", "1", "0", "Y", "n", "是", "否", "T", "maybe", "", None]
FLAGS = ["true", "false", "", None, "yes", "no", "2"]
SECONDS = ["0", "10", "45.5", "120", "3601", "-3", "abc", "", None]
UPDATED = [
    "2026-12-01 09:00:00",
    "2026-12-01 10:00:00",
    "2026-12-01 10:00:00",
    "2026-12-02 00:00:00",
    "",
    None,
    "garbage",
]


@st.composite
def record(draw: st.DrawFn) -> dict[str, str | None]:
    return {
        "outreach_id": draw(st.sampled_from(IDS)),
        "lead_id": draw(st.sampled_from(["L1", "L2", None])),
        "phone": draw(st.sampled_from(PHONES)),
        "citizen_id": draw(st.sampled_from(CITIZENS)),
        "channel": draw(st.sampled_from(CHANNELS)),
        "module": draw(st.sampled_from(MODULES)),
        "fraud_type": draw(st.sampled_from(FRAUD)),
        "region_code": draw(st.sampled_from(REGIONS)),
        "age": draw(st.sampled_from(AGES)),
        "gender": draw(st.sampled_from(GENDERS)),
        "initiated_at": draw(st.sampled_from(TIMES)),
        "connected": draw(st.sampled_from(BOOLS)),
        "talk_seconds": draw(st.sampled_from(SECONDS)),
        "content_seconds": draw(st.sampled_from(SECONDS)),
        "played_seconds": draw(st.sampled_from(SECONDS)),
        "fully_played": draw(st.sampled_from(FLAGS)),
        "confirmed_accurate": draw(st.sampled_from(FLAGS)),
        "reported_defrauded": draw(st.sampled_from(FLAGS)),
        "transcript": draw(st.sampled_from(["对，确实有人让我刷单", "", None])),
        "updated_at": draw(st.sampled_from(UPDATED)),
    }


@st.composite
def clean_leaning_record(draw: st.DrawFn) -> dict[str, str | None]:
    """Mostly valid records, so that the counts themselves get exercised."""
    connected = draw(st.sampled_from(["true", "false", "1", "是"]))
    yes = connected != "false"
    return {
        "outreach_id": draw(st.sampled_from(IDS[:8])),
        "lead_id": None,
        "phone": draw(st.sampled_from(PHONES[:3])),
        "citizen_id": None,
        "channel": draw(st.sampled_from(CHANNELS[:5])),
        "module": draw(st.sampled_from(MODULES[:3])),
        "fraud_type": draw(st.sampled_from(FRAUD[:5])),
        "region_code": draw(st.sampled_from(REGIONS[:3])),
        "age": draw(st.sampled_from(AGES[:4])),
        "gender": draw(st.sampled_from(GENDERS[:3])),
        "initiated_at": draw(st.sampled_from(DAY_TIMES)),
        "connected": connected,
        "talk_seconds": draw(st.sampled_from(["0", "10", "45.5"])) if yes else "0",
        "content_seconds": draw(st.sampled_from(["30", "", None])),
        "played_seconds": draw(st.sampled_from(["30", "10", "", None]))
        if yes
        else None,
        "fully_played": draw(st.sampled_from(["", None, "true"])) if yes else "false",
        "confirmed_accurate": draw(st.sampled_from(["true", "false", None]))
        if yes
        else None,
        "reported_defrauded": draw(st.sampled_from(["true", "false", None]))
        if yes
        else None,
        "transcript": None,
        "updated_at": draw(st.sampled_from(UPDATED)),
    }


def records(min_size: int = 0, max_size: int = 40) -> st.SearchStrategy:
    return st.lists(
        st.one_of(record(), clean_leaning_record(), clean_leaning_record()),
        min_size=min_size,
        max_size=max_size,
    )


def write_csv(rows: list[dict[str, str | None]], path: Path) -> Path:
    """Write ``rows`` as a platform CSV export (None becomes an empty field)."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMN_NAMES)
        for row in rows:
            writer.writerow(
                ["" if row.get(c) is None else row[c] for c in COLUMN_NAMES]
            )
    return path


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))

"""Seeded messy samples of platform records (deterministic, no hypothesis)."""

from __future__ import annotations

import random
from datetime import datetime
from zoneinfo import ZoneInfo

from tests.core import strategies as s

SHANGHAI = ZoneInfo("Asia/Shanghai")


MENUS = {
    "phone": s.PHONES,
    "citizen_id": s.CITIZENS,
    "channel": s.CHANNELS,
    "module": s.MODULES,
    "fraud_type": s.FRAUD,
    "region_code": s.REGIONS,
    "age": s.AGES,
    "gender": s.GENDERS,
    "initiated_at": s.TIMES,
    "connected": s.BOOLS,
    "talk_seconds": s.SECONDS,
    "content_seconds": s.SECONDS,
    "played_seconds": s.SECONDS,
    "fully_played": s.FLAGS,
    "confirmed_accurate": s.FLAGS,
    "reported_defrauded": s.FLAGS,
    "updated_at": s.UPDATED,
    "outreach_id": s.IDS,
}


def messy_rows(n: int, seed: int = 7) -> list[dict[str, str | None]]:
    """``n`` mostly valid records; about a third have one field drawn from a messy
    menu; some ids repeat (versions); one citizen is dialled 25 times in a day."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        yes = rng.random() < 0.6
        row: dict[str, str | None] = {
            "outreach_id": f"o{rng.randrange(n)}" if rng.random() < 0.1 else f"id{i}",
            "lead_id": f"L{i // 3}",
            "phone": rng.choice(s.PHONES[:3]),
            "citizen_id": rng.choice(s.CITIZENS),
            "channel": rng.choice(s.CHANNELS[:7]),
            "module": rng.choice(s.MODULES[:5]),
            "fraud_type": rng.choice(s.FRAUD[:7]),
            "region_code": rng.choice(s.REGIONS[:3]),
            "age": rng.choice(s.AGES[:4]),
            "gender": rng.choice(s.GENDERS[:6]),
            "initiated_at": rng.choice(s.DAY_TIMES),
            "connected": rng.choice(
                ["true", "1", "是", "Y"] if yes else ["false", "0"]
            ),
            "talk_seconds": rng.choice(["30", "0", "45.5"]) if yes else "0",
            "content_seconds": rng.choice(["30", "", None]),
            "played_seconds": rng.choice(["30", "12"]) if yes else "0",
            "fully_played": rng.choice([None, "", "true", "false"]) if yes else None,
            "confirmed_accurate": rng.choice(["true", "false", None]) if yes else None,
            "reported_defrauded": rng.choice(["true", "false", "否"]) if yes else None,
            "transcript": rng.choice(["对，是有人让我刷单", "我没有被骗", None]),
            "updated_at": rng.choice(s.UPDATED),
        }
        if rng.random() < 0.3:
            field = rng.choice(sorted(MENUS))
            row[field] = rng.choice(MENUS[field])
        rows.append(row)
    for k in range(25):  # a runaway task: one citizen dialled 25 times in one day
        rows.append(
            {
                **{c: None for c in rows[0]},
                "outreach_id": f"run{k}",
                "phone": "13700137000",
                "channel": "voice",
                "module": "warning",
                "region_code": "330106",
                "age": "70",
                "initiated_at": f"2026-12-01 10:{k:02d}:00",
                "connected": "false",
                "talk_seconds": "0",
                "content_seconds": "30",
                "played_seconds": "0",
            }
        )
    return rows


def typed(value: str | None, kind: str) -> object:
    """The typed value of a raw text that is known to parse (for typed Parquet)."""
    from tests.core.reference import _bool, _number, _time

    if kind == "bool":
        return _bool(value)
    if kind == "number":
        return _number(value)
    if kind == "timestamp":
        return _time(value)
    return value


def as_datetime(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=SHANGHAI)

"""A plain, row-by-row recount of the record contract, for checking the engine.

Written from the contract's text, with no SQL and no shortcuts: parse each value,
fold versions in read order, apply the rules in order, cap each citizen's day, count.
It is slow and obvious on purpose.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from scamlens.contract import ALIASES, BOOL_FALSE, BOOL_TRUE, COLUMNS, Kind
from scamlens.privacy import pseudonym

SHANGHAI = ZoneInfo("Asia/Shanghai")
_REQUIRED = [c.name for c in COLUMNS if c.required]
_CHECKED = [
    c
    for c in COLUMNS
    if c.name not in ("phone", "citizen_id", "outreach_id", "lead_id", "transcript")
]


def _text(v: str | None) -> str | None:
    if v is None:
        return None
    v = v.strip(" ")
    return v or None


def _enum(name: str, v: str | None, codes: tuple[str, ...]) -> str | None:
    if v is None:
        return None
    if v in codes:
        return v
    table = {c.lower(): c for c in codes}
    table.update({a.lower(): c for a, c in ALIASES.get(name, {}).items()})
    return table.get(v.strip(" ").lower())


def _bool(v: str | None) -> bool | None:
    if v is None:
        return None
    t = v.strip(" ").lower()
    return True if t in BOOL_TRUE else False if t in BOOL_FALSE else None


def _number(v: str | None) -> float | None:
    t = _text(v)
    if t is None:
        return None
    try:
        value = float(t)
    except ValueError:
        return None
    return None if math.isnan(value) else value


def _time(v: str | None) -> datetime | None:
    t = _text(v)
    if t is None:
        return None
    try:
        value = datetime.fromisoformat(t)
    except ValueError:
        return None
    value = value.replace(tzinfo=SHANGHAI) if value.tzinfo is None else value
    # Usable times lie in 1901..9999 (local): scamlens.cleaning.times.
    return value if 1901 <= value.astimezone(SHANGHAI).year <= 9999 else None


def _region(v: str | None) -> str | None:
    t = _text(v)
    return t if t is not None and re.fullmatch(r"[0-9]{6}", t) else None


@dataclass
class Attempt:
    seq: int
    values: dict[str, object]
    present: dict[str, bool]
    citizen: str | None
    reason: str | None = None


def parse(seq: int, raw: dict[str, str | None], key: bytes) -> Attempt:
    values: dict[str, object] = {}
    present: dict[str, bool] = {}
    for col in COLUMNS:
        v = raw.get(col.name)
        present[col.name] = _text(v) is not None
        if col.kind is Kind.TEXT:
            values[col.name] = _text(v)
        elif col.kind is Kind.ENUM:
            values[col.name] = _enum(col.name, v, col.values)
        elif col.kind is Kind.BOOL:
            values[col.name] = _bool(v)
        elif col.kind is Kind.NUMBER:
            values[col.name] = _number(v)
        elif col.kind is Kind.TIMESTAMP:
            values[col.name] = _time(v)
        else:
            values[col.name] = _region(v)
    phone = raw.get("phone")
    if phone is not None and re.sub(r"[^0-9]", "", phone):
        citizen = pseudonym(key, phone)
    else:
        citizen = _text(raw.get("citizen_id"))
    return Attempt(seq, values, present, citizen)


def _row_reason(a: Attempt, as_of: datetime, max_talk: float) -> str | None:
    v = a.values
    if any(not a.present[n] for n in _REQUIRED) or a.citizen is None:
        return "missing_required"
    for col in _CHECKED:
        if a.present[col.name] and v[col.name] is None:
            return "bad_value"
    age = v["age"]
    if age is not None and not 0 <= age <= 120:  # type: ignore[operator]
        return "bad_value"
    if v["initiated_at"] > as_of:  # type: ignore[operator]
        return "future_time"
    if any(
        (v[n] is not None and v[n] < 0)
        for n in ("talk_seconds", "content_seconds", "played_seconds")  # type: ignore[operator]
    ):
        return "negative_duration"
    if not v["connected"] and (
        full(v)
        or v["confirmed_accurate"]
        or v["reported_defrauded"]
        or (v["talk_seconds"] or 0) > 0  # type: ignore[operator]
    ):
        return "outcome_without_connection"
    if v["talk_seconds"] is not None and v["talk_seconds"] > max_talk:  # type: ignore[operator]
        return "duration_outlier"
    return None


def full(v: dict[str, object]) -> bool:
    if v["fully_played"] is not None:
        return bool(v["fully_played"])
    played, content = v["played_seconds"], v["content_seconds"]
    if played is not None and content is not None:
        return played >= content  # type: ignore[operator]
    return False


def local_day(t: datetime) -> date:
    return t.astimezone(SHANGHAI).date()


def clean(
    rows: list[dict[str, str | None]],
    key: bytes,
    as_of: datetime,
    *,
    daily_cap: int = 20,
    max_talk: float = 3600.0,
) -> tuple[list[Attempt], dict[str | None, int]]:
    """Counted attempts and the number of rows per reason (None = counted)."""
    attempts = [parse(i, r, key) for i, r in enumerate(rows)]
    winners: dict[str, Attempt] = {}
    order: list[Attempt] = []
    superseded = 0
    for a in attempts:
        oid = a.values["outreach_id"]
        if oid is None:
            order.append(a)
            continue
        current = winners.get(oid)  # type: ignore[arg-type]
        if current is None:
            winners[oid] = a  # type: ignore[index]
            continue
        superseded += 1
        t_new, t_old = a.values["updated_at"], current.values["updated_at"]
        if t_new is not None and t_old is not None and t_old > t_new:  # type: ignore[operator]
            continue
        winners[oid] = a  # type: ignore[index]
    order.extend(winners.values())
    reasons: dict[str | None, int] = defaultdict(int)
    reasons["superseded"] += superseded
    passing = []
    for a in order:
        a.reason = _row_reason(a, as_of, max_talk)
        if a.reason is None:
            passing.append(a)
        else:
            reasons[a.reason] += 1
    groups: dict[tuple, list[Attempt]] = defaultdict(list)
    for a in passing:
        day = local_day(a.values["initiated_at"])  # type: ignore[arg-type]
        groups[(a.citizen, day, a.values["module"])].append(a)
    counted = []
    for members in groups.values():
        members.sort(key=lambda a: (a.values["initiated_at"], a.values["outreach_id"]))
        for n, a in enumerate(members, 1):
            if n > daily_cap:
                a.reason = "runaway_dialing"
                reasons["runaway_dialing"] += 1
            else:
                counted.append(a)
    reasons[None] = len(counted)
    return counted, dict(reasons)


def age_band(age: float | None) -> str:
    if age is None:
        return "unknown"
    for lower, band in (
        (65, "65+"),
        (55, "55-64"),
        (45, "45-54"),
        (35, "35-44"),
        (25, "25-34"),
        (18, "18-24"),
        (0, "0-17"),
    ):
        if age >= lower:
            return band
    return "unknown"


def dimension(a: Attempt, name: str) -> str:
    v = a.values
    t = v["initiated_at"].astimezone(SHANGHAI)  # type: ignore[union-attr]
    region = v["region_code"]
    return {
        "day": lambda: t.date().isoformat(),
        "hour": lambda: str(t.hour),
        "week": lambda: f"{t.isocalendar().year}-W{t.isocalendar().week:02d}",
        "month": lambda: t.strftime("%Y-%m"),
        "province": lambda: region[:2] + "0000",  # type: ignore[index]
        "city": lambda: region[:4] + "00",  # type: ignore[index]
        "region_code": lambda: region,
        "channel": lambda: v["channel"],
        "module": lambda: v["module"],
        "fraud_type": lambda: v["fraud_type"] or "unknown",
        "age_band": lambda: age_band(v["age"]),  # type: ignore[arg-type]
        "gender": lambda: v["gender"] or "U",
    }[name]()  # type: ignore[return-value]


def recount(counted: list[Attempt], dims: list[str]) -> dict[tuple, tuple[int, ...]]:
    """The five counts per group of ``dims``."""
    table: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for a in counted:
        v = a.values
        row = table[tuple(dimension(a, d) for d in dims)]
        row[0] += 1
        if v["connected"]:
            row[1] += 1
            row[2] += bool(v["confirmed_accurate"])
            row[3] += bool(v["reported_defrauded"])
            row[4] += full(v)
    return {k: tuple(c) for k, c in table.items()}

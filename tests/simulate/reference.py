"""An independent, deliberately plain re-implementation of the cleaning rules.

It reads rows as dicts of raw values (text mode, or typed values converted to text),
shares no code with the simulator beyond the contract constants, and recounts what a
correct batch core must find. Where the rules leave room for interpretation (how a
missing ``updated_at`` compares with a present one, whether ``fully_played`` is
inferred before the outcome rule, which citizen key wins when both phone and
citizen_id are given) it takes an ``interpretation`` so the tests can check that the
simulator's planted data gives the same answer under every reading.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from scamlens.contract.columns import BOOL_FALSE, BOOL_TRUE, REQUIRED
from scamlens.contract.enums import ALIASES, Channel, FraudType, Gender, Module

SHANGHAI = timezone(timedelta(hours=8))
ENUMS = {
    "channel": {c.value for c in Channel},
    "module": {m.value for m in Module},
    "fraud_type": {f.value for f in FraudType},
    "gender": {g.value.lower() for g in Gender},
}
REASONS = (
    "missing_required",
    "bad_value",
    "future_time",
    "negative_duration",
    "outcome_without_connection",
    "duration_outlier",
    "runaway_dialing",
)


@dataclass(frozen=True)
class Interpretation:
    """Choices the rules leave open; the simulator must not depend on them."""

    missing_updated_loses: bool = False
    """True: a missing updated_at sorts below any present one (else read order)."""
    infer_fully_for_outcome: bool = False
    """True: an empty fully_played is inferred before the outcome rule."""
    citizen_id_first: bool = False
    """True: citizen_id is the runaway key when both are given (else phone)."""


@dataclass
class Result:
    read: int = 0
    superseded: int = 0
    unchanged: int = 0
    """Versions identical to the one read just before them (same outreach_id)."""
    quarantined: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(REASONS, 0)
    )
    counted_rows: list[dict[str, Any]] = field(default_factory=list)
    """Parsed values of the counted records (with ``row``: the raw record)."""
    indicators: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            ("initiated", "succeeded", "accurate", "victims", "publicity"), 0
        )
    )

    @property
    def counted(self) -> int:
        return self.read - self.superseded - sum(self.quarantined.values())


def empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def parse_time(value: str) -> datetime:
    moment = datetime.fromisoformat(value.strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=SHANGHAI)
    return moment


def parse_bool(value: str) -> bool:
    text = value.strip().lower()
    if text in BOOL_TRUE:
        return True
    if text in BOOL_FALSE:
        return False
    raise ValueError(value)


def parse_enum(field_name: str, value: str) -> str:
    text = value.strip()
    if text.lower() in ENUMS[field_name]:
        return text.lower() if field_name != "gender" else text.upper()
    for alias, code in ALIASES.get(field_name, {}).items():
        if alias == text.lower():
            return code
    raise ValueError(value)


def _winners(rows: list[dict[str, Any]], how: Interpretation) -> tuple[list, int, int]:
    best: dict[str, tuple[int, datetime | None]] = {}
    last: dict[str, dict[str, Any]] = {}
    singles: list[int] = []
    superseded = unchanged = 0
    for position, row in enumerate(rows):
        key = row["outreach_id"]
        if empty(key):
            singles.append(position)
            continue
        unchanged += last.get(key) == row
        last[key] = row
        stamp = None if empty(row["updated_at"]) else parse_time(row["updated_at"])
        if key not in best:
            best[key] = (position, stamp)
            continue
        superseded += 1
        _, old = best[key]
        if stamp is not None and old is not None:
            newer = stamp >= old
        elif how.missing_updated_loses:
            newer = stamp is not None or old is None
        else:
            newer = True
        if newer:
            best[key] = (position, stamp)
    positions = sorted(singles + [p for p, _ in best.values()])
    return [rows[p] for p in positions], superseded, unchanged


def _reason(
    row: dict[str, Any], as_of: datetime, how: Interpretation, max_talk: float
) -> tuple[str | None, dict[str, Any]]:
    for name in REQUIRED:
        if empty(row[name]):
            return "missing_required", {}
    if empty(row["phone"]) and empty(row["citizen_id"]):
        return "missing_required", {}
    parsed: dict[str, Any] = {}
    try:
        parsed["initiated"] = parse_time(row["initiated_at"])
        if not empty(row["updated_at"]):
            parse_time(row["updated_at"])
        for name in (
            "connected",
            "fully_played",
            "confirmed_accurate",
            "reported_defrauded",
        ):
            parsed[name] = None if empty(row[name]) else parse_bool(row[name])
        for name in ("age", "talk_seconds", "content_seconds", "played_seconds"):
            parsed[name] = None if empty(row[name]) else float(row[name])
        for name in ("channel", "module", "gender", "fraud_type"):
            parsed[name] = None if empty(row[name]) else parse_enum(name, row[name])
    except ValueError:
        return "bad_value", {}
    if not re.fullmatch(r"\d{6}", row["region_code"].strip()):
        return "bad_value", {}
    if parsed["age"] is not None and not 0 <= parsed["age"] <= 120:
        return "bad_value", {}
    if parsed["initiated"] > as_of:
        return "future_time", {}
    durations = [
        parsed[n] for n in ("talk_seconds", "content_seconds", "played_seconds")
    ]
    if any(d is not None and d < 0 for d in durations):
        return "negative_duration", {}
    fully = parsed["fully_played"]
    played, content = parsed["played_seconds"], parsed["content_seconds"]
    inferred = played is not None and content is not None and played >= content
    parsed["fully"] = fully if fully is not None else inferred
    if not parsed["connected"]:
        outcome_fully = parsed["fully"] if how.infer_fully_for_outcome else bool(fully)
        if (
            outcome_fully
            or parsed["confirmed_accurate"]
            or parsed["reported_defrauded"]
            or (parsed["talk_seconds"] or 0) > 0
        ):
            return "outcome_without_connection", {}
    if (parsed["talk_seconds"] or 0) > max_talk:
        return "duration_outlier", {}
    return None, parsed


def recount(
    rows: Iterable[dict[str, Any]],
    as_of: datetime,
    how: Interpretation = Interpretation(),
    *,
    daily_cap: int = 20,
    max_talk: float = 3600.0,
) -> Result:
    """Clean ``rows`` (raw text values, in read order) and count the results."""
    rows = list(rows)
    result = Result(read=len(rows))
    winners, result.superseded, result.unchanged = _winners(rows, how)
    passing: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for row in winners:
        reason, parsed = _reason(row, as_of, how, max_talk)
        if reason:
            result.quarantined[reason] += 1
        else:
            passing.append((row, parsed))
    groups: dict[tuple, list] = defaultdict(list)
    for row, parsed in passing:
        first, second = (
            ("citizen_id", "phone") if how.citizen_id_first else ("phone", "citizen_id")
        )
        who = row[first] if not empty(row[first]) else row[second]
        local_day = parsed["initiated"].astimezone(SHANGHAI).date()
        groups[(who.strip(), local_day, parsed["module"])].append((row, parsed))
    for members in groups.values():
        members.sort(key=lambda m: (m[1]["initiated"], m[0]["outreach_id"]))
        result.quarantined["runaway_dialing"] += max(0, len(members) - daily_cap)
        for row, parsed in members[:daily_cap]:
            _count(result, parsed)
            result.counted_rows.append({**parsed, "row": row})
    return result


def _count(result: Result, parsed: dict[str, Any]) -> None:
    result.indicators["initiated"] += 1
    if not parsed["connected"]:
        return
    result.indicators["succeeded"] += 1
    result.indicators["accurate"] += bool(parsed["confirmed_accurate"])
    result.indicators["victims"] += bool(parsed["reported_defrauded"])
    result.indicators["publicity"] += bool(parsed["fully"])


def typed_row_as_text(row: dict[str, Any]) -> dict[str, Any]:
    """A typed-Parquet row converted to the raw text the rules read."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        if value is None:
            out[key] = None
        elif isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif isinstance(value, datetime):
            out[key] = value.isoformat()
        elif isinstance(value, float):
            out[key] = repr(value)
        else:
            out[key] = value
    return out

"""Streams of records for the streaming tests: a simulated day, then trouble.

On top of the simulator's own defects (older versions, every bad row kind, runaway
diallers) the stream gets what only a stream has: records arriving late (but within
the allowed lateness), corrected versions that move an attempt to another region or
another day, JSON values of the wrong type, and messages that are not records at all.
Everything is seeded, so a failure can be replayed.
"""

from __future__ import annotations

import contextlib
import json
import random
from datetime import datetime, timedelta
from typing import Any

from scamlens.simulate import SimConfig, simulate_day

MALFORMED = (
    "{not json at all",
    "call me back on 13812345678, thanks",
    "[1, 2, 3]",
    '"just a string"',
    "null",
    '{"outreach_id": "OR-broken", "channel": "voice"',
)


def simulated_rows(config: SimConfig) -> list[dict[str, Any]]:
    """Every simulated day's records in event-time order, day after day."""
    rows: list[dict[str, Any]] = []
    for day in range(config.days):
        rows += simulate_day(config, day).table.to_pylist()
    return rows


def _parse(text: object) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo else None


def _correction(
    row: dict[str, Any],
    rng: random.Random,
    regions: list[str],
    stamp: str,
    earliest: datetime | None,
) -> dict[str, Any]:
    """A later version of ``row``: another region, another day (not before
    ``earliest``, so it stays within the allowed lateness), or another outcome."""
    fixed = dict(row)
    fixed["updated_at"] = stamp
    choice = rng.random()
    started = _parse(row["initiated_at"])
    moved = started - timedelta(hours=20) if started is not None else None
    if choice < 0.8 and moved is not None and (earliest is None or moved >= earliest):
        fixed["initiated_at"] = moved.isoformat()
    elif choice < 0.8:
        fixed["region_code"] = rng.choice(
            [r for r in regions if r != row["region_code"]]
        )
    else:
        fixed["connected"] = "true"
        fixed["talk_seconds"] = "42"
    return fixed


def _time_of(item: dict[str, Any] | str) -> datetime | None:
    return None if isinstance(item, str) else _parse(item.get("initiated_at"))


def _typed(row: dict[str, Any]) -> dict[str, Any]:
    """The same record with JSON numbers and booleans where the text allows."""
    typed = dict(row)
    for name in ("age", "talk_seconds", "content_seconds", "played_seconds"):
        text = typed.get(name)
        with contextlib.suppress(TypeError, ValueError):
            typed[name] = int(text) if str(text).isdigit() else float(str(text))
    if typed.get("connected") in ("true", "false"):
        typed["connected"] = typed["connected"] == "true"
    return typed


def stream_lines(config: SimConfig, *, seed: int, trouble: float = 0.02) -> list[str]:
    """The records of ``config`` as JSON texts in arrival order, with trouble added."""
    rng = random.Random(seed)
    rows = simulated_rows(config)
    regions = sorted({r["region_code"] for r in rows if r.get("region_code")})
    stamp = (config.as_of + timedelta(hours=1)).isoformat()
    order: list[dict[str, Any] | str] = list(rows)
    # Late arrivals: a record shows up a few hundred records (minutes) after its time.
    for _ in range(int(len(rows) * trouble)):
        i = rng.randrange(1, len(order) - 1)
        item = order.pop(i)
        order.insert(min(len(order), i + rng.randint(50, 400)), item)
    # Corrections arriving later than the record they replace.
    for row in rng.sample(rows, int(len(rows) * trouble)):
        if not row.get("outreach_id") or _parse(row.get("initiated_at")) is None:
            continue
        at = min(len(order), order.index(row) + rng.randint(20, 300))
        seen = [t for t in map(_time_of, order[:at]) if t is not None]
        earliest = max(seen) - timedelta(hours=22) if seen else None
        order.insert(at, _correction(row, rng, regions, stamp, earliest))
    for text in MALFORMED:
        order.insert(rng.randrange(1, len(order)), text)
    order.insert(
        rng.randrange(1, len(order)),
        {"outreach_id": 7, "age": [1], "connected": {"a": 1}, "x": None},
    )
    lines = []
    for item in order:
        if isinstance(item, str):
            lines.append(item)
            continue
        value = _typed(item) if rng.random() < 0.2 else item
        lines.append(json.dumps(value, ensure_ascii=False))
    return lines

"""Messy outreach records that stress the set-based cleaning steps.

Many versions per id (equal, missing and unparseable ``updated_at``), citizens
dialled around the daily cap (ties on ``initiated_at``), phone numbers in several
spellings, ``citizen_id`` values that are the pseudonym of a phone seen elsewhere,
timestamps from Asia/Shanghai's daylight-saving years, and every bad value. The
same records come as text (a landing table) and typed (a Parquet file).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.parquet as pq

from scamlens.contract import COLUMN_NAMES
from scamlens.privacy import pseudonym

SHANGHAI = ZoneInfo("Asia/Shanghai")
KEY = b"test-key-0123456789abcdef-not-secret"
AS_OF = datetime(2026, 12, 3, tzinfo=SHANGHAI)

_NUMBERS = [f"1380013{n:04d}" for n in range(8)]
_SPELLINGS = [
    "{}",
    "+86 {}",
    "86{}",
    "0086{}",
    " {} ",
    "{0[0]}{0[1]}{0[2]}-{0[3]}{0[4]}{0[5]}{0[6]}-{0[7]}{0[8]}{0[9]}{0[10]}",
]
_TIMES = [
    datetime(2026, 12, 1, 9, 0),
    datetime(2026, 12, 1, 9, 0),
    datetime(2026, 12, 1, 23, 59),
    datetime(2026, 12, 2, 0, 0),
    datetime(2026, 12, 2, 0, 10),
    datetime(1990, 7, 1, 23, 30),
    datetime(1990, 7, 2, 0, 30),
    datetime(2026, 12, 5, 8, 0),
]
_BAD = {
    "channel": ["fax", " VOICE ", "短信", ""],
    "module": ["spam", "Warning", "回访", ""],
    "fraud_type": ["xx", "刷单返利", ""],
    "region_code": ["3301", "33010a", " 330106 ", "", "３３０１０６"],
    "gender": ["Z", "female", ""],
}


def _phone(rng: random.Random) -> str | None:
    roll = rng.random()
    if roll < 0.08:
        return None
    if roll < 0.11:
        return "n/a"
    number = rng.choice(_NUMBERS)
    spelling = rng.choice(_SPELLINGS) if rng.random() < 0.4 else "{}"
    return spelling.format(number)


def _citizen_id(rng: random.Random) -> str | None:
    roll = rng.random()
    if roll < 0.5:
        return None
    if roll < 0.75:  # the pseudonym of a phone number others are known by
        return pseudonym(KEY, rng.choice(_NUMBERS))
    return rng.choice(["c-aa", " c-aa ", "c-bb", "", "f" * 32, "0123abcd" * 4])


def records(n: int, seed: int) -> list[dict[str, object]]:
    """``n`` typed records (Python values); text and Parquet are made from them."""
    rng = random.Random(seed)
    ids = [f"o{i}" for i in range(max(2, n // 3))]
    rows: list[dict[str, object]] = []
    for _ in range(n):
        initiated = rng.choice(_TIMES) + timedelta(minutes=rng.choice([0, 0, 1, 7]))
        connected = rng.random() < 0.7
        row: dict[str, object] = {
            "outreach_id": rng.choice(ids)
            if rng.random() > 0.02
            else rng.choice([None, " o1", ""]),
            "lead_id": rng.choice([None, "L1"]),
            "phone": _phone(rng),
            "citizen_id": _citizen_id(rng),
            "channel": rng.choice(["voice", "sms", "manual_call"]),
            "module": rng.choice(["warning", "warning", "publicity"]),
            "fraud_type": rng.choice(["fake_loan", "romance", None]),
            "region_code": rng.choice(["330106", "330108", "110101"]),
            "age": rng.choice([30.0, 70.0, 17.0, 24.5, None, 150.0, -1.0]),
            "gender": rng.choice(["M", "F", None]),
            "initiated_at": initiated.replace(tzinfo=SHANGHAI)
            if rng.random() > 0.02
            else None,
            "connected": connected if rng.random() > 0.02 else None,
            "talk_seconds": rng.choice([0.0, 10.0, 45.5, 3601.0, -3.0, None]),
            "content_seconds": rng.choice([30.0, None]),
            "played_seconds": rng.choice([30.0, 10.0, None]),
            "fully_played": rng.choice([True, False, None]),
            "confirmed_accurate": rng.choice([True, None]) if connected else None,
            "reported_defrauded": rng.choice([False, None, True]),
            "transcript": None,
            "updated_at": rng.choice(
                [
                    datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI),
                    datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI),
                    datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI),
                    None,
                    None,
                ]
            ),
        }
        if rng.random() < 0.15:
            name = rng.choice(list(_BAD))
            row[name] = rng.choice(_BAD[name])
        rows.append(row)
    return _runaway(rows, rng)


def _runaway(
    rows: list[dict[str, object]], rng: random.Random
) -> list[dict[str, object]]:
    """Clean attempts to two citizens, each on one day and module, spread over the
    rows: by phone in several spellings, and by the pseudonym as ``citizen_id``.

    The first is over a cap of 20 by phone alone; the others only when their phone
    and pseudonym rows are counted together (15 + 8, 20 + 1).
    """
    bursts = [  # number, rows, distinct ids, rows by id alone, module, day
        (_NUMBERS[0], 40, 37, 8, "warning", 1),
        ("13900139999", 23, 23, 8, "publicity", 2),
        ("13900138888", 21, 21, 1, "warning", 2),
    ]
    for number, size, ids, by_ids, module, day in bursts:
        for i in range(size):
            by_id = i % 5 == 0 if number == _NUMBERS[0] else i < by_ids
            row = dict(rng.choice(rows))
            row.update(
                channel="voice",
                fraud_type=None,
                region_code="330106",
                age=40.0,
                gender="F",
                connected=True,
                talk_seconds=20.0,
                updated_at=None,
                outreach_id=f"burst-{number}-{i % ids}",
                phone=None if by_id else rng.choice(_SPELLINGS).format(number),
                citizen_id=pseudonym(KEY, number) if by_id else None,
                module=module,
                initiated_at=datetime(2026, 12, day, 10, i % 7, tzinfo=SHANGHAI),
            )
            rows.insert(rng.randrange(len(rows) + 1), row)
    return rows


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def text_rows(rows: list[dict[str, object]], seed: int) -> list[dict[str, str | None]]:
    """The records as a platform's text export, with unparseable times and bools."""
    rng = random.Random(seed)
    out = []
    for row in rows:
        text = {name: _text(row.get(name)) for name in COLUMN_NAMES}
        if rng.random() < 0.05:
            text["updated_at"] = "garbage"
        if rng.random() < 0.03:
            text[rng.choice(["connected", "fully_played"])] = "maybe"
        if rng.random() < 0.03:
            text["initiated_at"] = rng.choice(["tomorrow", "infinity", "2026-12-01"])
        out.append(text)
    return out


_TS = pa.timestamp("us", tz="Asia/Shanghai")
_TYPES = {
    "age": pa.float64(),
    "initiated_at": _TS,
    "connected": pa.bool_(),
    "talk_seconds": pa.float64(),
    "content_seconds": pa.float64(),
    "played_seconds": pa.float64(),
    "fully_played": pa.bool_(),
    "confirmed_accurate": pa.bool_(),
    "reported_defrauded": pa.bool_(),
    "updated_at": _TS,
}


def write_parquet(rows: list[dict[str, object]], path: Path) -> Path:
    """The records as a typed Parquet file (small row groups, for parallel scans)."""
    schema = pa.schema([(n, _TYPES.get(n, pa.string())) for n in COLUMN_NAMES])
    table = pa.Table.from_pylist(rows, schema=schema)
    pq.write_table(table, path, row_group_size=max(1, len(rows) // 4))
    return path

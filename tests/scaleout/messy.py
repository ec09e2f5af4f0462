"""Messy outreach records for engine-parity tests, written as CSV, JSON Lines, Parquet.

Built to hit every path of the cleaning contract at least a few times: each bad-row
kind of every rule, versions that win or lose on later, equal, missing and broken
``updated_at``, versions that move to another day or citizen, citizens dialled far
beyond the daily cap, times written in many accepted spellings (and around local
midnight), and the file-level mess (quoted delimiters and line breaks, wrong field
counts, blank lines, lines that are not JSON objects). Deterministic for a seed.
"""

from __future__ import annotations

import contextlib
import csv
import json
import random
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from scamlens.contract import COLUMN_NAMES

SHANGHAI = timezone(timedelta(hours=8))
AS_OF = datetime(2025, 3, 6, 12, 0, tzinfo=SHANGHAI)
START = datetime(2025, 3, 3, 0, 0, tzinfo=SHANGHAI)

REGIONS = [
    "330106",
    "330108",
    "330205",
    "330302",
    "110101",
    "110105",
    "440103",
    "440304",
    "440306",
]
CHANNELS = [
    "voice",
    "sms",
    "flash_sms",
    "video_sms",
    "manual_call",
    "短信",
    " VOICE ",
    "人工",
    "5G消息",
]
MODULES = ["warning", "publicity", "follow_up", "预警劝阻", "Warning", "回访"]
FRAUDS = [
    "order_brushing",
    "fake_investment",
    "fake_loan",
    "impersonate_police",
    "romance",
    "other",
    "刷单返利",
    "",
    None,
]
GENDERS = ["M", "F", "U", "男", "女", "female", "", None]
TRUE = ["true", "1", "是", "TRUE", "y", "Yes", " t "]
FALSE = ["false", "0", "否", "FALSE", "n", "No", "F"]
TRANSCRIPTS = [
    "对，确实有人让我刷单",
    "我没被骗, 谢谢",
    '他说"你好"然后挂了',
    "第一行\n第二行",
    "打这个电话 13912345678 找我",
    "",
    None,
]
BAD_TIMES = [
    "2025-02-30T10:00:00",
    "2025-03-01T25:10:00+08:00",
    "2025-13-01T08:00:00",
    "昨天下午三点",
    "not-a-time",
    "2025-03-01T08:61:00",
]
BAD_BOOLS = ["maybe", "2", "接通?", "-1"]
BAD_NUMBERS = ["abc", "十二", "12s", "?"]


def _time_text(rng: random.Random, moment: datetime) -> str:
    style = rng.randrange(8)
    local = moment.astimezone(SHANGHAI)
    if style == 0:
        return local.isoformat()
    if style == 1:
        return local.strftime("%Y-%m-%d %H:%M:%S")
    if style == 2:
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if style == 3:
        return local.strftime("%Y-%m-%dT%H:%M:%S.%f")
    if style == 4:
        return local.strftime("%Y/%m/%d %H:%M")
    if style == 5:
        return moment.astimezone(timezone(timedelta(hours=-5))).isoformat()
    if style == 6:
        return local.strftime("%Y-%m-%d %H:%M:%S+0800")
    return local.strftime("%Y-%m-%dT%H:%M:%S")


def _phone(rng: random.Random, citizen: int) -> tuple[str | None, str | None]:
    number = f"13{citizen % 10}{citizen:08d}"
    style = rng.randrange(6)
    if style == 0:
        return f"+86 {number[:3]}-{number[3:7]}-{number[7:]}", None
    if style == 1:
        return f"0086{number}", None
    if style == 2:
        return None, f"cid-{citizen:05d}"
    if style == 3:
        return number, f"cid-{citizen:05d}"
    return number, None


def record(rng: random.Random, oid: str, citizen: int, moment: datetime) -> dict:
    connected = rng.random() < 0.6
    channel = rng.choice(CHANNELS)
    call = channel.strip().lower() in ("voice", "manual_call", "人工")
    talk = (
        f"{rng.randint(1, 600)}"
        if (connected and call)
        else rng.choice(["0", "", None])
    )
    content = rng.choice([None, "", "30", "45.5"])
    played = None if content in (None, "") else rng.choice(["10", "30", "45.5", None])
    phone, cid = _phone(rng, citizen)
    return {
        "outreach_id": oid,
        "lead_id": f"LD{rng.randint(1, 999):04d}",
        "phone": phone,
        "citizen_id": cid,
        "channel": channel,
        "module": rng.choice(MODULES),
        "fraud_type": rng.choice(FRAUDS),
        "region_code": rng.choice(REGIONS),
        "age": rng.choice(["34", "71", "17", "24.5", "65", "", None, "0", "120"]),
        "gender": rng.choice(GENDERS),
        "initiated_at": _time_text(rng, moment),
        "connected": rng.choice(TRUE if connected else FALSE),
        "talk_seconds": talk,
        "content_seconds": content,
        "played_seconds": played,
        "fully_played": rng.choice(
            ["", None, "true"] if connected else ["", None, "否"]
        ),
        "confirmed_accurate": (
            rng.choice(TRUE + FALSE + ["", None])
            if connected
            else rng.choice(FALSE + [None])
        ),
        "reported_defrauded": (
            rng.choice(FALSE * 3 + TRUE + [None])
            if connected
            else rng.choice(FALSE + [None])
        ),
        "transcript": rng.choice(TRANSCRIPTS),
        "updated_at": _time_text(rng, moment + timedelta(minutes=rng.randint(1, 90))),
    }


def _spoil(rng: random.Random, row: dict, kind: int) -> None:
    """Plant one defect of kind ``kind`` (0..17) on ``row``."""
    required = [
        "outreach_id",
        "channel",
        "module",
        "region_code",
        "initiated_at",
        "connected",
    ]
    if kind == 0:
        row[rng.choice(required)] = rng.choice(["", None, "   "])
    elif kind == 1:
        row["phone"], row["citizen_id"] = rng.choice(
            [(None, None), ("", " "), ("--", "")]
        )
    elif kind == 2:
        row["initiated_at"] = rng.choice(BAD_TIMES)
    elif kind == 3:
        row[rng.choice(["connected", "fully_played", "confirmed_accurate"])] = (
            rng.choice(BAD_BOOLS)
        )
    elif kind == 4:
        row[rng.choice(["age", "talk_seconds", "content_seconds"])] = rng.choice(
            BAD_NUMBERS
        )
    elif kind == 5:
        row[rng.choice(["channel", "module", "fraud_type", "gender"])] = rng.choice(
            ["fax", "survey", "lottery", "X", "9"]
        )
    elif kind == 6:
        row["region_code"] = rng.choice(["3301", "33010a", "3301060", "33 106"])
    elif kind == 7:
        row["age"] = rng.choice(["150", "-1", "121"])
    elif kind == 8:
        row["initiated_at"] = _time_text(
            rng, AS_OF + timedelta(minutes=rng.randint(1, 3000))
        )
    elif kind == 9:
        row[rng.choice(["talk_seconds", "content_seconds", "played_seconds"])] = "-5"
    elif kind == 10:
        row["connected"] = "false"
        row[
            rng.choice(["fully_played", "confirmed_accurate", "reported_defrauded"])
        ] = "1"
    elif kind == 11:
        row["connected"], row["talk_seconds"] = "0", "12"
    elif kind == 12:
        row["connected"], row["talk_seconds"] = "true", rng.choice(["3601", "99999"])
    elif kind == 13:
        row["updated_at"] = rng.choice(BAD_TIMES)
    elif kind == 14:
        row["initiated_at"] = rng.choice(
            [
                "2025-03-04 24:00",
                "2025-3-4 8:5",
                "2025-03-04T08:00:00 UTC",
                "epoch",
                "2025-03-04 08:00 CST",
                "-infinity",
            ]
        )
    elif kind == 15:
        row["talk_seconds"] = rng.choice(["1_0", "+-3", "nan", "inf", "1e2"])
    elif kind == 16:
        row["region_code"] = " 330106 "
    elif kind == 17:
        row["gender"] = "\u3000男"


def records(n: int = 2400, seed: int = 5) -> list[dict]:
    """Rows in read order: plain, spoiled, versioned and runaway records."""
    rng = random.Random(seed)
    rows: list[dict] = []
    span = int((AS_OF - START).total_seconds()) + 6 * 3600
    for i in range(n):
        moment = START + timedelta(seconds=rng.randrange(span))
        row = record(rng, f"OR{i:06d}", rng.randrange(400), moment)
        if rng.random() < 0.22:
            _spoil(rng, row, rng.randrange(18))
        rows.append(row)
    rows += _versions(rng, rows)
    rows += _runaway(rng)
    rng.shuffle(rows)
    return rows


def _versions(rng: random.Random, rows: list[dict]) -> list[dict]:
    """Later versions of existing records: later, equal, earlier, missing, broken
    ``updated_at``, and versions that move day or citizen."""
    extra = []
    for base in rng.sample(rows, min(260, len(rows) // 3)):
        version = dict(base)
        style = rng.randrange(7)
        if style == 1:
            version["updated_at"] = base["updated_at"]
        elif style == 2:
            version["updated_at"] = "2025-03-01 00:00:00"
        elif style == 3:
            version["updated_at"] = rng.choice(["", None])
        elif style == 4:
            version["updated_at"] = "garbage"
        elif style == 5:
            version["initiated_at"] = "2025-03-05T23:59:59+08:00"
            version["updated_at"] = "2025-03-06T09:00:00+08:00"
        elif style == 6:
            version["phone"], version["citizen_id"] = "13900000001", None
            version["updated_at"] = "2025-03-06T09:00:00+08:00"
        else:
            version["updated_at"] = "2025-03-06T10:00:00+08:00"
        version["connected"] = rng.choice(TRUE + FALSE)
        version["talk_seconds"] = "0"
        extra.append(version)
        if rng.random() < 0.3:
            extra.append(
                dict(version, updated_at=rng.choice([None, version["updated_at"]]))
            )
    return extra


def _runaway(rng: random.Random) -> list[dict]:
    """Three citizens dialled 20-45 times on one day in one module (the cap is 20)."""
    rows = []
    for task in range(3):
        day = START + timedelta(days=task)
        for k in range(20 + task * 12 + 1):
            moment = day + timedelta(hours=9, seconds=37 * k + (k % 3))
            row = record(rng, f"RUN{task}-{k:03d}", 10_000 + task, moment)
            row.update(
                module="warning",
                initiated_at=moment.isoformat(),
                connected="0",
                talk_seconds="0",
                fully_played=None,
                confirmed_accurate=None,
                reported_defrauded=None,
                updated_at=None,
            )
            if k % 7 == 0:  # equal initiated_at: the outreach_id decides
                row["initiated_at"] = (day + timedelta(hours=9)).isoformat()
            rows.append(row)
    return rows


def write_csv(rows: list[dict], path: Path) -> Path:
    """CSV with quoting, CRLF, blank lines and a few rows of the wrong width."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(COLUMN_NAMES)
        for i, row in enumerate(rows):
            writer.writerow(
                ["" if row.get(c) is None else row[c] for c in COLUMN_NAMES]
            )
            if i % 173 == 5:
                handle.write("\r\n")
            if i % 211 == 7:
                writer.writerow([f"WIDE{i}", "x", "y"])
            if i % 389 == 11:
                writer.writerow([*(row.get(c) or "" for c in COLUMN_NAMES), "extra"])
    return path


def write_gb18030_tsv(rows: list[dict], path: Path) -> Path:
    """Tab-separated GB18030 text, as many exports from China are."""
    with path.open("w", encoding="gb18030", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(COLUMN_NAMES)
        for row in rows:
            writer.writerow(
                ["" if row.get(c) is None else row[c] for c in COLUMN_NAMES]
            )
    return path


def write_jsonl(rows: list[dict], path: Path, *, seed: int = 10) -> Path:
    """JSON Lines with typed values, missing keys and lines that are not objects."""
    rng = random.Random(seed)
    junk = [
        "[1, 2]",
        "not json",
        '"text"',
        "42",
        "null",
        '{"outreach_id": "CUT',
        "{'outreach_id': 'single'}",
        '{"outreach_id": "TRAIL"} x',
        "   ",
    ]
    with path.open("w", encoding="utf-8") as handle:
        for i, row in enumerate(rows):
            record = {
                k: v for k, v in row.items() if v is not None or rng.random() < 0.5
            }
            if rng.random() < 0.2 and record.get("connected") in ("true", "false"):
                record["connected"] = record["connected"] == "true"
            if rng.random() < 0.2 and record.get("age") not in (None, ""):
                with contextlib.suppress(ValueError):
                    record["age"] = json.loads(record["age"])
            if rng.random() < 0.05:
                record["extra_field"] = {"nested": [1, 2]}
            handle.write(json.dumps(record, ensure_ascii=rng.random() < 0.5) + "\n")
            if i % 151 == 3:
                handle.write(rng.choice(junk) + "\n")
            if i % 97 == 1:
                handle.write("\n")
    return path


_TYPED = {
    "age": pa.float64(),
    "initiated_at": pa.timestamp("us", tz="Asia/Shanghai"),
    "updated_at": pa.timestamp("us"),
    "connected": pa.bool_(),
    "talk_seconds": pa.float64(),
    "content_seconds": pa.float64(),
    "played_seconds": pa.float64(),
    "fully_played": pa.bool_(),
    "confirmed_accurate": pa.bool_(),
    "reported_defrauded": pa.bool_(),
}


def write_parquet(rows: list[dict], path: Path) -> Path:
    """Typed Parquet: each value typed by the batch core's own parse of its text, so
    text-only defects (``maybe`` as a boolean) become NULL; ``initiated_at`` is an
    instant, ``updated_at`` local wall time (a naive timestamp)."""
    from scamlens.cleaning.parse import value_sql
    from scamlens.warehouse import connect

    text = pa.table(
        {c: pa.array([r.get(c) for r in rows], pa.string()) for c in COLUMN_NAMES}
    )
    types = {c: "VARCHAR" for c in COLUMN_NAMES}
    con = connect(None)
    try:
        con.register("raw", text)
        exprs = []
        for name in COLUMN_NAMES:
            if name not in _TYPED:
                exprs.append(f'"{name}"')
            elif name == "updated_at":
                exprs.append(f'CAST({value_sql(name, types)} AS TIMESTAMP) AS "{name}"')
            else:
                exprs.append(f'{value_sql(name, types)} AS "{name}"')
        typed = con.sql(f"SELECT {', '.join(exprs)} FROM raw").to_arrow_table()
    finally:
        con.close()
    columns = {
        name: typed[name].cast(_TYPED[name]) if name in _TYPED else typed[name]
        for name in COLUMN_NAMES
    }
    pq.write_table(pa.table(columns), path, row_group_size=500)
    return path

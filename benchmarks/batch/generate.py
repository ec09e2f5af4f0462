"""Contract-shaped typed outreach records in Parquet, for the batch benchmark.

A compact numpy generator (the platform simulator in ``scamlens.simulate`` is far
richer but was not wired to the CLI when this benchmark was written). It writes the
typed layout the simulator uses for benchmarks: timestamps as TIMESTAMPTZ, booleans,
doubles, everything else text, and phone numbers in the clear (the pipeline
pseudonymises them), in row groups of 256K rows. Per chunk of 1M rows:

* about 3% of the rows are newer versions of an attempt of the same chunk, appended
  at its end: mostly a later ``updated_at``, some equal, missing or older ones, a few
  ids with three or more versions;
* about 1% of the attempts are bad, spread over every kind a typed file can hold
  (required fields empty, unknown enum values, bad region codes, ages out of range,
  future times, negative durations, outcomes without a connection, talk outliers);
* about 0.3% of the attempts belong to bursts of 15-60 attempts to one citizen on one
  day in one module (most above the daily cap of 20, some just below it), with some
  equal ``initiated_at`` so the ``outreach_id`` tie-break matters. As in the
  simulator, runaway dialling hammers a phone number: burst citizens are known by
  phone only.

Citizens: 80% are known by phone only, 12% by phone and citizen id, 8% by citizen id
only; 3% of phone numbers are written with a ``+86`` prefix.

Usage: ``.venv/bin/python benchmarks/batch/generate.py ROWS OUT.parquet [--seed N]
[--ids-only]``
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

__all__ = ["generate"]

CHUNK = 1_000_000
ROW_GROUP = 256 * 1024
VERSION_RATE = 0.03
BAD_RATE = 0.01
BURST_RATE = 0.003
DAYS = 30
# 2026-11-01 00:00 Asia/Shanghai as epoch seconds.
DAY0 = 1_793_462_400
AS_OF = "2026-12-01T00:00:00+08:00"

TS = pa.timestamp("us", tz="Asia/Shanghai")
SCHEMA = pa.schema(
    [
        ("outreach_id", pa.string()),
        ("lead_id", pa.string()),
        ("phone", pa.string()),
        ("citizen_id", pa.string()),
        ("channel", pa.string()),
        ("module", pa.string()),
        ("fraud_type", pa.string()),
        ("region_code", pa.string()),
        ("age", pa.float64()),
        ("gender", pa.string()),
        ("initiated_at", TS),
        ("connected", pa.bool_()),
        ("talk_seconds", pa.float64()),
        ("content_seconds", pa.float64()),
        ("played_seconds", pa.float64()),
        ("fully_played", pa.bool_()),
        ("confirmed_accurate", pa.bool_()),
        ("reported_defrauded", pa.bool_()),
        ("transcript", pa.string()),
        ("updated_at", TS),
    ]
)

CHANNELS = np.array(["voice", "sms", "flash_sms", "video_sms", "manual_call"])
CHANNEL_P = [0.35, 0.30, 0.10, 0.10, 0.15]
CONNECT_P = np.array([0.45, 0.92, 0.85, 0.80, 0.60])
MODULES = np.array(["warning", "publicity", "follow_up"])
MODULE_P = [0.5, 0.35, 0.15]
FRAUD = np.array(
    [
        "order_brushing",
        "fake_investment",
        "fake_loan",
        "fake_customer_service",
        "impersonate_police",
        "fake_credit_repair",
        "fake_shopping",
        "impersonate_acquaintance",
        "game_trading",
        "romance",
        "other",
    ]
)
GENDERS = np.array(["M", "F", "U"])
PROVINCES = ("11", "31", "32", "33", "35", "37", "44", "51")
REGIONS = np.array(
    [f"{p}{c:02d}{k:02d}" for p in PROVINCES for c in range(1, 6) for k in range(1, 9)]
)
SENTENCES = np.array(
    [
        "好的，我知道了，谢谢提醒。",
        "我没有下载过那个软件。",
        "刚才确实有人让我刷单返利。",
        "你们是哪里的？我不相信。",
        "我已经转了三千块钱给对方了。",
        "对方说是公安局的，要我配合调查。",
        "我在开会，晚点再说。",
        "网上贷款要先交保证金，这是骗局吗？",
        "我会注意的，不会再点陌生链接。",
        "之前有个客服说我的快递丢了要理赔。",
        "谢谢，我妈妈也接到过这种电话。",
        "嗯嗯，明白了。",
    ]
)


def _hex_ids(values: np.ndarray) -> pa.Array:
    """32 lowercase hex digits per value (a fixed mix of it), vectorised."""
    a = (values.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)) ^ np.uint64(0xABCDEF)
    b = (a * np.uint64(0xBF58476D1CE4E5B9)) ^ (a >> np.uint64(29))
    raw = np.stack([a, b], axis=1).view(np.uint8).reshape(-1, 16)
    digits = np.frombuffer(b"0123456789abcdef", dtype="S1")
    out = np.empty((raw.shape[0], 32), dtype="S1")
    out[:, 0::2] = digits[raw >> 4]
    out[:, 1::2] = digits[raw & 15]
    return pa.array(out.view("S32").ravel()).cast(pa.string())


def _prefixed(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    text = pc.utf8_lpad(pa.array(numbers).cast(pa.string()), width, "0")
    return pc.binary_join_element_wise(prefix, text, "")


def _contact(citizen: np.ndarray) -> np.ndarray:
    """0..99: below 80 known by phone only, below 92 by both, else by id only."""
    return (citizen.astype(np.int64) * 2654435761 % 100).astype(np.int64)


class _Chunk:
    """Column arrays (numpy) of one chunk of attempts, before versions are added."""

    def __init__(self, rng: np.random.Generator, n: int, first_id: int, citizens: int):
        self.n = n
        self.id = np.arange(first_id, first_id + n, dtype=np.int64)
        self.id_null = np.zeros(n, dtype=bool)
        self.citizen = rng.integers(0, citizens, n)
        self.channel = rng.choice(5, n, p=CHANNEL_P)
        self.module = rng.choice(3, n, p=MODULE_P)
        self.fraud = np.where(rng.random(n) < 0.2, -1, rng.integers(0, len(FRAUD), n))
        self.region = rng.integers(0, len(REGIONS), n)
        self.age = np.where(
            rng.random(n) < 0.05,
            np.nan,
            np.clip(np.round(rng.normal(45, 18, n)), 1, 100),
        )
        self.gender = np.where(
            rng.random(n) < 0.1, -1, rng.choice(3, n, p=[0.48, 0.48, 0.04])
        )
        day = rng.integers(0, DAYS, n)
        hour = np.clip(rng.normal(14, 3.5, n), 7, 22.99)
        self.initiated = DAY0 + day * 86400 + (hour * 3600).astype(np.int64)
        self.init_null = np.zeros(n, dtype=bool)
        self.updated = self.initiated + rng.integers(0, 3600, n)
        self.upd_null = rng.random(n) < 0.1
        self.connected = (rng.random(n) < CONNECT_P[self.channel]).astype(np.int8)
        self._outcomes(rng)

    def _outcomes(self, rng: np.random.Generator) -> None:
        n, conn = self.n, self.connected == 1
        call = np.isin(self.channel, (0, 4))
        media = np.isin(self.channel, (0, 3))
        self.talk = np.where(
            call, np.where(conn, np.round(rng.exponential(70, n)), 0.0), np.nan
        )
        self.content = np.where(media, rng.integers(30, 120, n).astype(float), np.nan)
        played = np.minimum(self.content, np.round(rng.random(n) * 1.4 * self.content))
        self.played = np.where(conn, played, np.where(media, 0.0, np.nan))
        fully = (self.played >= self.content).astype(np.int8)
        self.fully = np.where(rng.random(n) < 0.5, -1, np.where(conn, fully, 0))
        warn = self.module == 0
        confirmed = (conn & warn & (rng.random(n) < 0.3)).astype(np.int8)
        self.confirmed = np.where(rng.random(n) < 0.3, -1, confirmed)
        self.reported = (conn & (rng.random(n) < 0.01)).astype(np.int8)
        self.transcript = np.where(conn & call, rng.integers(0, len(SENTENCES), n), -1)
        self.lead = np.where(warn, rng.integers(0, 10**9, n), -1)
        self.override: dict[str, tuple[np.ndarray, list[str | None]]] = {}

    def bursts(self, rng: np.random.Generator, citizens: int) -> None:
        """Runaway dialling: a few citizens reached many times in one day and module."""
        sizes = rng.integers(15, 61, max(1, int(self.n * BURST_RATE / 37)))
        rows = rng.permutation(self.n)[: int(sizes.sum())]
        sizes = sizes[: np.searchsorted(np.cumsum(sizes), rows.size, side="right")]
        rows = rows[: int(sizes.sum())]
        burst = np.repeat(np.arange(sizes.size), sizes)
        # Runaway dialling hammers a phone number: burst citizens are phone-only.
        chosen = rng.integers(0, citizens, sizes.size * 4)
        chosen = chosen[_contact(chosen) < 80][: sizes.size]
        self.citizen[rows] = chosen[burst]
        self.module[rows] = rng.integers(0, 3, sizes.size)[burst]
        day = rng.integers(0, DAYS, sizes.size)[burst]
        seconds = rng.integers(8 * 3600, 20 * 3600, rows.size)
        seconds[rng.random(rows.size) < 0.2] = 12 * 3600  # ties on initiated_at
        self.initiated[rows] = DAY0 + day * 86400 + seconds
        self.updated[rows] = self.initiated[rows] + 60

    def bad_rows(self, rng: np.random.Generator) -> None:
        """About BAD_RATE of the rows get one defect each, of every kind."""
        rows = rng.permutation(self.n)[: int(self.n * BAD_RATE)]
        kinds = np.array_split(rows, 16)
        self.id_null[kinds[0]] = True
        self.init_null[kinds[1]] = True
        self.connected[kinds[2]] = -1
        self.age[kinds[3]] = np.where(rng.random(kinds[3].size) < 0.5, 150.0, -3.0)
        self.initiated[kinds[4]] += 400 * 86400  # future_time
        self.talk[kinds[5]] = -5.0
        self.connected[kinds[6]] = 0
        self.confirmed[kinds[6]] = 1
        self.connected[kinds[7]] = 1
        self.talk[kinds[7]] = 5000.0
        for index, (name, values) in enumerate(
            (
                ("channel", [None, "fax", "VOICEMAIL"]),
                ("module", [None, "survey"]),
                ("fraud_type", ["lottery"]),
                ("gender", ["X"]),
                ("region_code", [None, "33010", "3301060", "abc123", " 330106"]),
                ("contact", [None]),
            )
        ):
            picked = kinds[8 + index]
            self.override[name] = (
                picked,
                [values[i % len(values)] for i in range(picked.size)],
            )
        self.connected[kinds[14]] = 0
        self.talk[kinds[14]] = 3.0
        self.connected[kinds[15]] = 0
        self.fully[kinds[15]] = 1

    def versioned(self, rng: np.random.Generator, extra: int) -> np.ndarray:
        """Row order with ``extra`` newer versions appended; adjusts their fields."""
        base = rng.integers(0, self.n, extra)
        base[: extra // 20] = base[extra // 20 : 2 * (extra // 20)]  # 3+ versions
        order = np.concatenate([np.arange(self.n), base])
        n = order.size
        kind = rng.random(extra)
        shift = np.where(
            kind < 0.70,
            rng.integers(1, 86400, extra),
            np.where(kind < 0.95, -rng.integers(1, 3600, extra), 0),
        )
        self.v_updated = self.updated[base] + shift
        self.v_updated[(kind >= 0.85) & (kind < 0.95)] = self.updated[base][
            (kind >= 0.85) & (kind < 0.95)
        ]  # equal updated_at
        self.v_upd_null = kind >= 0.95
        self.v_connected = np.where(rng.random(extra) < 0.3, 1, self.connected[base])
        self.order = order
        assert n == self.n + extra
        return order

    def table(self, ids_only: bool = False) -> pa.Table:
        o, b = self.order, self.n
        upd = np.concatenate([self.updated, self.v_updated])
        upd_null = np.concatenate([self.upd_null, self.v_upd_null])
        conn = np.concatenate([self.connected, self.v_connected])
        cit = self.citizen[o]
        contact = _contact(cit)
        phone_num = 13_000_000_000 + cit
        plus = np.where((cit % 33) == 0, "+86 ", "")
        phone = pc.binary_join_element_wise(
            pa.array(plus), pa.array(phone_num).cast(pa.string()), ""
        )
        phone = pc.if_else(pa.array(contact < 92), phone, None)
        cid = pc.if_else(pa.array(contact >= 80), _hex_ids(cit), None)
        if ids_only:  # already pseudonymised upstream: every citizen by id
            cid = _hex_ids(cit)

        def ts(sec: np.ndarray, null: np.ndarray) -> pa.Array:
            return pa.array(sec * 1_000_000, mask=null).cast(TS)

        def pick(vocab: np.ndarray, codes: np.ndarray) -> pa.Array:
            return pa.array(vocab).take(pa.array(codes, mask=codes < 0))

        def flag(v: np.ndarray) -> pa.Array:
            return pa.array(v == 1, mask=v < 0)

        def num(v: np.ndarray) -> pa.Array:
            return pa.array(v, mask=np.isnan(v))

        cols = {
            "outreach_id": pa.array(
                _prefixed("OR", self.id[o], 12), mask=self.id_null[o]
            ),
            "lead_id": pc.if_else(
                pa.array(self.lead[o] >= 0),
                _prefixed("LD", np.maximum(self.lead[o], 0), 10),
                None,
            ),
            "phone": phone,
            "citizen_id": cid,
            "channel": pick(CHANNELS, self.channel[o]),
            "module": pick(MODULES, self.module[o]),
            "fraud_type": pick(FRAUD, self.fraud[o]),
            "region_code": pick(REGIONS, self.region[o]),
            "age": num(self.age[o]),
            "gender": pick(GENDERS, self.gender[o]),
            "initiated_at": ts(self.initiated[o], self.init_null[o]),
            "connected": flag(conn),
            "talk_seconds": num(self.talk[o]),
            "content_seconds": num(self.content[o]),
            "played_seconds": num(self.played[o]),
            "fully_played": flag(self.fully[o]),
            "confirmed_accurate": flag(self.confirmed[o]),
            "reported_defrauded": flag(self.reported[o]),
            "transcript": pick(SENTENCES, self.transcript[o]),
            "updated_at": ts(upd, upd_null),
        }
        for name, (rows, values) in self.override.items():
            mask = np.zeros(o.size, dtype=bool)
            mask[rows] = True  # base rows keep their positions at the head
            targets = ("phone", "citizen_id") if name == "contact" else (name,)
            for target in targets:
                replaced = np.full(o.size, None, dtype=object)
                replaced[rows] = values
                cols[target] = pc.if_else(
                    pa.array(mask), pa.array(replaced, pa.string()), cols[target]
                )
        assert b <= o.size
        table = pa.Table.from_arrays([cols[f.name] for f in SCHEMA], schema=SCHEMA)
        return table.drop_columns(["phone"]) if ids_only else table


def generate(path: Path, rows: int, *, seed: int = 7, ids_only: bool = False) -> None:
    """Write ``rows`` typed records to ``path`` (atomically, via a temp file).

    ``ids_only``: no ``phone`` column, every citizen known by ``citizen_id`` (a
    platform that pseudonymises before exporting).
    """
    citizens = max(10_000, rows // 4)
    tmp = path.with_suffix(".tmp")
    path.parent.mkdir(parents=True, exist_ok=True)
    schema = SCHEMA.remove(SCHEMA.get_field_index("phone")) if ids_only else SCHEMA
    with pq.ParquetWriter(tmp, schema, compression="snappy") as writer:
        done, first_id = 0, 0
        for index in range((rows + CHUNK - 1) // CHUNK):
            size = min(CHUNK, rows - done)
            rng = np.random.default_rng([seed, index])
            base = int(round(size / (1 + VERSION_RATE)))
            chunk = _Chunk(rng, base, first_id, citizens)
            chunk.bursts(rng, citizens)
            chunk.bad_rows(rng)
            chunk.versioned(rng, size - base)
            writer.write_table(chunk.table(ids_only), row_group_size=ROW_GROUP)
            done += size
            first_id += base
    tmp.replace(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", type=int)
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--ids-only",
        action="store_true",
        help="no phone column; every citizen by citizen_id",
    )
    args = parser.parse_args()
    start = time.perf_counter()
    generate(args.out, args.rows, seed=args.seed, ids_only=args.ids_only)
    print(
        f"wrote {args.rows:,} rows to {args.out} in {time.perf_counter() - start:.1f}s"
    )


if __name__ == "__main__":
    main()

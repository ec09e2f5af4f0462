"""Replay simulated outreach days through the anomaly engine and score the alerts.

The real cleaning pipeline and the streaming engine are built elsewhere; this helper
stands in for them with the least it takes: typed simulated records without planted
defects, the daily-cap rule (a runaway task's attempts beyond the cap are not
counted, as cleaning would quarantine them), and closed windows of counts per
segment set computed with plain DuckDB SQL. The engine then sees one closing moment
at a time, in time order, exactly as the streaming engine will call it.

Also used by ``benchmarks/anomaly/detection_sweep.py``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from scamlens import simulate
from scamlens.anomaly import AnomalyEngine, save_windows
from scamlens.contract import AGE_BANDS, AgeBand
from scamlens.warehouse import connect

SEGMENT_SETS: tuple[tuple[str, ...], ...] = (
    ("region_code",),
    ("channel",),
    ("module",),
    ("fraud_type",),
    ("age_band",),
    ("region_code", "channel"),
    ("region_code", "module"),
    ("channel", "module"),
    ("fraud_type", "age_band"),
)
"""A plausible deployment: every dimension alone and the common pairs."""

FAMILY = {
    "connection_drop": {"success_rate"},
    "victim_surge": {"victims", "victim_rate"},
    "volume_spike": {"initiated"},
}
"""Which alert metrics find which kind of planted anomaly."""


def region_names() -> dict[str, str]:
    """County code to Chinese name, from the simulator's territory."""
    names = {}
    for code, value in simulate.REGION_NAMES.items():
        names[code] = value[0] if isinstance(value, tuple) else str(value)
    return names


def _age_band_sql() -> str:
    branches = " ".join(
        f"WHEN age >= {lower} THEN '{band.value}'"
        for lower, band in reversed(AGE_BANDS)
    )
    return f"CASE {branches} ELSE '{AgeBand.UNKNOWN.value}' END"


def load_records(con: duckdb.DuckDBPyConnection, config: simulate.SimConfig) -> int:
    """Simulate ``config`` into the temp table ``clean`` of counted attempts."""
    records = pa.concat_tables(list(simulate.generate(config)))
    con.register("_raw", records)
    try:
        con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE clean AS
            SELECT region_code, channel, module,
                   coalesce(fraud_type, 'unknown') AS fraud_type,
                   {_age_band_sql()} AS age_band,
                   initiated_at,
                   coalesce(connected, false) AS connected,
                   coalesce(confirmed_accurate, false) AS accurate,
                   coalesce(reported_defrauded, false) AS defrauded,
                   coalesce(fully_played, false) AS fully_played
            FROM (
                SELECT *, row_number() OVER (
                    PARTITION BY coalesce(phone, citizen_id),
                                 CAST(initiated_at AS DATE), module
                    ORDER BY initiated_at, outreach_id) AS nth
                FROM _raw
            )
            WHERE nth <= {int(config.daily_cap)}
            """
        )
    finally:
        con.unregister("_raw")
    return records.num_rows


def windows(
    con: duckdb.DuckDBPyConnection, dims: Sequence[str], grain: str
) -> pa.Table:
    """Closed windows of counts of one segment set (``1h`` or ``1d``, local time)."""
    unit = {"1h": "hour", "1d": "day"}[grain]
    columns = ", ".join(dims)
    return con.sql(
        f"""
        SELECT '{grain}' AS grain,
               date_trunc('{unit}', initiated_at) AS window_start,
               date_trunc('{unit}', initiated_at) + INTERVAL 1 {unit} AS window_end,
               {columns},
               count(*) AS initiated,
               count(*) FILTER (WHERE connected) AS succeeded,
               count(*) FILTER (WHERE connected AND accurate) AS accurate,
               count(*) FILTER (WHERE connected AND defrauded) AS victims,
               count(*) FILTER (WHERE connected AND fully_played) AS publicity
        FROM clean GROUP BY ALL
        """
    ).to_arrow_table()


def replay(
    config: simulate.SimConfig,
    first_day: int,
    engine: AnomalyEngine,
    *,
    con: duckdb.DuckDBPyConnection | None = None,
) -> pa.Table:
    """Simulate ``config``; let the engine watch every window from ``first_day`` on.

    Windows before ``first_day`` seed the engine's state; later ones are handed to
    :meth:`AnomalyEngine.record` one closing moment at a time, every segment set
    together. Returns every alert raised.
    """
    con = con or connect(None)
    load_records(con, config)
    start = config.period_start + timedelta(days=first_day)
    moments: dict[datetime, list[pa.Table]] = {}
    seed = []
    for dims in SEGMENT_SETS:
        for grain in ("1h", "1d"):
            table = windows(con, dims, grain)
            early = pc.less(table.column("window_start"), pa.scalar(start))
            seed.append(table.filter(early))
            later = table.filter(pc.invert(early))
            ends = later.column("window_end")
            for end in sorted(set(ends.to_pylist())):
                moments.setdefault(end, []).append(later.filter(pc.equal(ends, end)))
    save_windows(con, seed)
    alerts = [engine.record(con, moments[end]) for end in sorted(moments)]
    return pa.concat_tables(alerts)


def second_plan(
    config: simulate.SimConfig, day: int
) -> tuple[simulate.AnomalySpec, ...]:
    """Seven more anomalies: other districts, fraud types, channels and hours."""
    midnight = config.period_start + timedelta(days=day)

    def spec(
        kind: str, segment: dict[str, str], hours: range, factor: float
    ) -> simulate.AnomalySpec:
        start = midnight + timedelta(hours=hours.start)
        end = midnight + timedelta(hours=hours.stop)
        return simulate.AnomalySpec(kind, tuple(segment.items()), start, end, factor)

    return (
        spec(
            "connection_drop",
            {"region_code": "330282", "channel": "voice"},
            range(9, 12),
            0.3,
        ),
        spec(
            "connection_drop",
            {"region_code": "330302", "channel": "sms"},
            range(15, 19),
            0.2,
        ),
        spec("victim_surge", {"fraud_type": "fake_investment"}, range(14, 17), 5.0),
        spec("victim_surge", {"fraud_type": "impersonate_police"}, range(19, 22), 6.0),
        spec("victim_surge", {"fraud_type": "fake_loan"}, range(9, 12), 5.0),
        spec(
            "volume_spike",
            {"region_code": "330381", "channel": "voice", "module": "warning"},
            range(10, 11),
            4.0,
        ),
        spec(
            "volume_spike",
            {"region_code": "330603", "channel": "manual_call"},
            range(16, 17),
            5.0,
        ),
    )


@dataclass
class Score:
    """How the alerts of a replay compare with what was planted."""

    planted: list[dict[str, Any]] = field(default_factory=list)
    found: list[bool] = field(default_factory=list)
    delays: list[timedelta] = field(default_factory=list)
    false_alarms: dict[str, int] = field(default_factory=dict)
    unexplained: list[dict[str, Any]] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return sum(self.found) / len(self.found) if self.found else float("nan")

    def merge(self, other: Score) -> Score:
        return Score(
            self.planted + other.planted,
            self.found + other.found,
            self.delays + other.delays,
            {**self.false_alarms, **other.false_alarms},
            self.unexplained + other.unexplained,
        )

    def summary(self) -> str:
        lines = [
            f"recall {sum(self.found)}/{len(self.found)} = {self.recall:.2f}",
            "false alarms per clean day: "
            + ", ".join(f"{day}: {n}" for day, n in self.false_alarms.items()),
            "alerts on anomaly days matching no planted anomaly: "
            f"{len(self.unexplained)}",
        ]
        for alert in self.unexplained:
            lines.append(f"  unexplained: {alert['severity']} {alert['message_en']}")
        if self.delays:
            minutes = sorted(d.total_seconds() / 60 for d in self.delays)
            lines.append(
                "detection delay (anomaly start to end of first alert window), "
                f"minutes: median {minutes[len(minutes) // 2]:.0f}, "
                f"max {minutes[-1]:.0f}, all {[round(m) for m in minutes]}"
            )
        for anomaly, hit in zip(self.planted, self.found, strict=True):
            lines.append(
                f"  {'found ' if hit else 'MISSED'} {anomaly['kind']} "
                f"{anomaly['segment']} {anomaly['start']}..{anomaly['end']}"
            )
        return "\n".join(lines)


def _conflicts(segment: Mapping[str, str], planted: Mapping[str, str]) -> bool:
    return any(segment[k] != planted[k] for k in set(segment) & set(planted))


def _overlaps(alert: Mapping[str, Any], start: datetime, end: datetime) -> bool:
    return bool(alert["window_start"] < end and alert["window_end"] > start)


def finds(alert: Mapping[str, Any], anomaly: Mapping[str, Any]) -> bool:
    """Does ``alert`` point at ``anomaly``: right metric, segment and time?

    The alert's segment must name the anomaly's leading dimension (its district or
    fraud type) with the planted value, contradict none of its other dimensions,
    and its window must overlap the planted period.
    """
    segment = json.loads(alert["segment"])
    planted = anomaly["segment"]
    lead = next(iter(planted))
    return (
        alert["metric"] in FAMILY[anomaly["kind"]]
        and segment.get(lead) == planted[lead]
        and not _conflicts(segment, planted)
        and _overlaps(alert, anomaly["start_at"], anomaly["end_at"])
    )


def explained(alert: Mapping[str, Any], anomalies: Iterable[Mapping[str, Any]]) -> bool:
    """Could ``alert`` be a consequence of some planted anomaly (time and segment)?"""
    segment = json.loads(alert["segment"])
    return any(
        _overlaps(alert, a["start_at"], a["end_at"])
        and not _conflicts(segment, a["segment"])
        for a in anomalies
    )


def planted_anomalies(config: simulate.SimConfig) -> list[dict[str, Any]]:
    """The anomalies of ``config`` from its ground truth, with parsed times."""
    anomalies = simulate.ground_truth(config).data.get("anomalies", [])
    for anomaly in anomalies:
        anomaly["start_at"] = datetime.fromisoformat(anomaly["start"])
        anomaly["end_at"] = datetime.fromisoformat(anomaly["end"])
    return list(anomalies)


def score(
    alerts: pa.Table,
    config: simulate.SimConfig,
    *,
    clean_days: Sequence[int],
    anomaly_day: int,
    label: str,
) -> Score:
    """Recall, delays and false alarms of ``alerts`` against ``config``'s truth."""
    anomalies = planted_anomalies(config)
    rows = alerts.to_pylist()
    result = Score(planted=anomalies)
    for anomaly in anomalies:
        hits = [a for a in rows if finds(a, anomaly)]
        result.found.append(bool(hits))
        if hits:
            first = min(a["window_end"] for a in hits)
            result.delays.append(first - anomaly["start_at"])
    for day in clean_days:
        begin = config.period_start + timedelta(days=day)
        end = begin + timedelta(days=1)
        count = sum(1 for a in rows if begin < a["window_end"] <= end)
        result.false_alarms[f"{label} day {day}"] = count
    begin = config.period_start + timedelta(days=anomaly_day)
    end = begin + timedelta(days=1)
    result.unexplained = [
        a
        for a in rows
        if begin < a["window_end"] <= end and not explained(a, anomalies)
    ]
    return result

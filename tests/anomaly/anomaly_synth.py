"""Synthetic hourly windows of outreach counts for the detection tests.

Volume follows a daily curve (quiet at night, peaks mid-morning and evening); every
segment has its own success and victim rates. Everything is drawn with numpy from a
seeded generator, so a test is reproducible and its figures are honest draws.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa

TIME = pa.timestamp("us", tz="UTC")

Plant = Callable[[int, int], tuple[np.ndarray, np.ndarray, np.ndarray]]

# Share of a day's outreach in each local hour (sums to 1).
_CURVE = np.array(
    [1, 1, 1, 1, 1, 2, 3, 5, 7, 8, 8, 7, 6, 6, 7, 7, 6, 6, 6, 5, 4, 3, 2, 1],
    dtype=np.float64,
)
DIURNAL = _CURVE / _CURVE.sum()

# 2024-05-01 00:00 Beijing time.
DAY0 = datetime(2024, 4, 30, 16, 0, tzinfo=UTC)


def hour_start(day: int, hour: int) -> datetime:
    """UTC start of local ``hour`` on simulated ``day``."""
    return DAY0 + timedelta(days=day, hours=hour)


def segments(count: int) -> list[str]:
    """Distinct 6-digit region codes."""
    return [f"33{i:04d}" for i in range(1, count + 1)]


def hourly_windows(
    rng: np.random.Generator,
    regions: Sequence[str],
    days: Sequence[int],
    *,
    daily_volume: np.ndarray,
    success: np.ndarray,
    victim: np.ndarray,
    hours: Sequence[int] = range(24),
    plant: Plant | None = None,
) -> pa.Table:
    """One ``1h`` window per region and hour of each day, with binomial outcomes.

    ``plant(day, hour)`` may return multipliers (volume, success, victim), each an
    array over the regions, to plant anomalies.
    """
    rows: dict[str, list[object]] = {
        k: []
        for k in (
            "grain",
            "window_start",
            "window_end",
            "region_code",
            "initiated",
            "succeeded",
            "accurate",
            "victims",
            "publicity",
        )
    }
    for day in days:
        for hour in hours:
            start = hour_start(day, hour)
            vol_x, succ_x, vic_x = plant(day, hour) if plant else (1.0, 1.0, 1.0)
            initiated = rng.poisson(daily_volume * DIURNAL[hour] * vol_x)
            succeeded = rng.binomial(initiated, np.clip(success * succ_x, 0, 1))
            victims = rng.binomial(succeeded, np.clip(victim * vic_x, 0, 1))
            accurate = rng.binomial(succeeded, 0.6)
            publicity = rng.binomial(succeeded, 0.3)
            n = len(regions)
            rows["grain"] += ["1h"] * n
            rows["window_start"] += [start] * n
            rows["window_end"] += [start + timedelta(hours=1)] * n
            rows["region_code"] += list(regions)
            rows["initiated"] += initiated.tolist()
            rows["succeeded"] += succeeded.tolist()
            rows["accurate"] += accurate.tolist()
            rows["victims"] += victims.tolist()
            rows["publicity"] += publicity.tolist()
    table = pa.table(rows)
    table = table.set_column(1, "window_start", table.column(1).cast(TIME))
    table = table.set_column(2, "window_end", table.column(2).cast(TIME))
    keep = np.asarray(table.column("initiated").to_numpy() > 0)
    return table.filter(pa.array(keep))

"""Time anomaly detection for one closed hourly window of many segments.

Usage: ``.venv/bin/python benchmarks/anomaly/bench_detect.py [SEGMENTS ...]``

For each segment count, builds seven days of hourly history plus the window under
test, then times ``AnomalyEngine.detect`` (baselines, the trailing 3-hour spans, four
detectors, Benjamini-Hochberg, alert rows) over several runs, twice: given the whole
week of history, and given only the windows the baselines read (what
``AnomalyEngine.record`` loads from the warehouse: the same hour and the two before
it on each previous day).
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from scamlens.anomaly import AnomalyEngine, DetectionConfig
from scamlens.anomaly.baseline import comparable_starts
from scamlens.anomaly.rolling import rolling_starts

DAY0 = datetime(2024, 4, 30, 16, 0, tzinfo=UTC)
TIME = pa.timestamp("us", tz="UTC")


def windows(
    rng: np.random.Generator,
    hours: np.ndarray,
    volume: np.ndarray,
    success: np.ndarray,
) -> pa.Table:
    """Hourly windows of one region per ``volume`` entry at the given hour offsets."""
    segments = volume.size
    n = hours.size * segments
    initiated = rng.poisson(np.tile(volume, hours.size))
    succeeded = rng.binomial(initiated, np.tile(success, hours.size))
    starts = np.repeat(
        np.array([DAY0 + timedelta(hours=int(h)) for h in hours], dtype=object),
        segments,
    )
    return pa.table(
        {
            "grain": pa.array(["1h"] * n),
            "window_start": pa.array(list(starts), TIME),
            "window_end": pa.array([s + timedelta(hours=1) for s in starts], TIME),
            "region_code": pa.array(
                np.tile([f"{i:06d}" for i in range(segments)], hours.size)
            ),
            "initiated": pa.array(initiated),
            "succeeded": pa.array(succeeded),
            "accurate": pa.array(rng.binomial(succeeded, 0.6)),
            "victims": pa.array(rng.binomial(succeeded, 0.02)),
            "publicity": pa.array(rng.binomial(succeeded, 0.3)),
        }
    )


def _needed(history: pa.Table, current: pa.Table) -> pa.Table:
    config = DetectionConfig()
    wanted = pa.concat_tables(
        [
            comparable_starts(current, config.baselines),
            rolling_starts(current, 3, config.baseline("1h").days),
        ]
    )
    return history.filter(
        pc.is_in(history.column("window_start"), value_set=wanted.column(1))
    )


def _time(engine: AnomalyEngine, current: pa.Table, history: pa.Table) -> float:
    times = []
    for _ in range(7):
        started = time.perf_counter()
        engine.detect(current, history)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def run(segments: int) -> tuple[float, float, int, int]:
    rng = np.random.default_rng(segments)
    volume = rng.uniform(20, 400, segments)
    success = rng.uniform(0.3, 0.7, segments)
    history = windows(rng, np.arange(7 * 24), volume, success)
    current = windows(rng, np.array([7 * 24 + 10]), volume, success)
    engine = AnomalyEngine(sinks=[])
    alerts = engine.detect(current, history)  # warm-up
    whole = _time(engine, current, history)
    needed = _time(engine, current, _needed(history, current))
    engine.close()
    return whole, needed, history.num_rows, alerts.num_rows


def main(argv: list[str]) -> None:
    counts = [int(a) for a in argv] or [1_000, 10_000, 50_000]
    print(
        f"{'segments':>9} {'history rows':>13} {'ms, week given':>15} "
        f"{'ms, needed rows':>16} {'alerts':>7}"
    )
    for segments in counts:
        whole, needed, rows, alerts = run(segments)
        print(
            f"{segments:>9} {rows:>13} {whole * 1000:>15.1f} {needed * 1000:>16.1f} "
            f"{alerts:>7}"
        )


if __name__ == "__main__":
    main(sys.argv[1:])

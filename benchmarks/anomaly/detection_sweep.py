"""Recall, false alarms and delay of the default detectors across volumes and seeds.

Usage::

    .venv/bin/python benchmarks/anomaly/detection_sweep.py --per-day 20000 50000 \
        --seeds 3

For each daily volume and seed, simulates nine days twice (the simulator's default
anomaly plan, and the seven-anomaly second plan of the detection test), lets the
engine watch days 7 (clean) and 8 (anomalies) window by window at default settings,
and prints the figures the detection test asserts on. Reuses the replay helper of
``tests/anomaly/simulation.py``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

from anomaly.simulation import (  # noqa: E402 - the helper lives with the tests
    Score,
    region_names,
    replay,
    score,
    second_plan,
)
from scamlens.anomaly import AnomalyEngine  # noqa: E402
from scamlens.simulate import MessRates, SimConfig  # noqa: E402

CLEAN_DAY, ANOMALY_DAY = 7, 8


def run(per_day: int, seed: int) -> Score:
    engine = AnomalyEngine(sinks=[], names=region_names())
    base = SimConfig(
        days=9,
        per_day=per_day,
        seed=seed,
        typed=True,
        mess=MessRates.none(),
        anomalies=True,
        anomaly_day=ANOMALY_DAY,
    )
    plans = {
        "default plan": base,
        "second plan": base.replace(
            seed=seed + 1, anomaly_specs=second_plan(base, ANOMALY_DAY)
        ),
    }
    total = Score()
    for label, config in plans.items():
        alerts = replay(config, CLEAN_DAY, engine)
        total = total.merge(
            score(
                alerts,
                config,
                clean_days=[CLEAN_DAY],
                anomaly_day=ANOMALY_DAY,
                label=f"{label} seed {seed}",
            )
        )
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-day", type=int, nargs="+", default=[20_000, 50_000])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--first-seed", type=int, default=20250303)
    args = parser.parse_args()
    for per_day in args.per_day:
        total = Score()
        started = time.perf_counter()
        for i in range(args.seeds):
            total = total.merge(run(per_day, args.first_seed + 10 * i))
        minutes = sorted(d.total_seconds() / 60 for d in total.delays)
        false = list(total.false_alarms.values())
        print(
            f"per_day={per_day} seeds={args.seeds}: recall "
            f"{sum(total.found)}/{len(total.found)} = {total.recall:.2f}; "
            f"false alarms on {len(false)} clean days: total {sum(false)}, "
            f"max {max(false)}; delay minutes median "
            f"{minutes[len(minutes) // 2]:.0f} max {minutes[-1]:.0f}; "
            f"({time.perf_counter() - started:.0f} s)"
        )
        for anomaly, hit in zip(total.planted, total.found, strict=True):
            if not hit:
                print(f"  missed {anomaly['kind']} {anomaly['segment']}")


if __name__ == "__main__":
    main()

"""Time and peak memory of writing 10 million simulated records.

Usage: .venv/bin/python benchmarks/simulate/bench_simulate.py [ROWS] [FORMAT...]

Each format runs in a fresh subprocess so its peak resident memory (ru_maxrss) is its
own. Output goes to benchmarks/data/ (ignored by git) and is deleted afterwards.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data"
RUNS = {
    "csv": ("simulated.csv", False),
    "jsonl": ("simulated.jsonl", False),
    "parquet": ("simulated.parquet", False),
    "parquet-typed": ("simulated-typed.parquet", True),
}


def _child(rows: int, name: str) -> None:
    from scamlens.simulate import SimConfig, write

    file_name, typed = RUNS[name]
    days = 10
    config = SimConfig(
        days=days, per_day=rows // days, seed=1, typed=typed, anomalies=True
    )
    out = DATA / file_name
    started = time.perf_counter()
    result = write(config, out)
    seconds = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak_mb = usage.ru_maxrss / 1024
    cpu = usage.ru_utime + usage.ru_stime
    size_mb = out.stat().st_size / 1e6
    out.unlink()
    result.truth_path.unlink()
    print(
        json.dumps(
            {
                "format": name,
                "rows": result.rows,
                "seconds": round(seconds, 1),
                "rows_per_second": round(result.rows / seconds),
                "cpu_seconds": round(cpu, 1),
                "peak_rss_mb": round(peak_mb),
                "file_mb": round(size_mb),
            }
        )
    )


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child(int(sys.argv[2]), sys.argv[3])
        return
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000
    names = sys.argv[2:] or list(RUNS)
    DATA.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()[0]
    print(
        f"# {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {rows:,} rows, load average {load:.1f}"
    )
    for name in names:
        subprocess.run(
            [sys.executable, __file__, "--child", str(rows), name], check=True
        )


if __name__ == "__main__":
    main()

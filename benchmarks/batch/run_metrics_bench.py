"""Time ``scamlens metrics --by day,region_code`` against a bare DuckDB GROUP BY.

Usage::

    .venv/bin/python benchmarks/batch/run_metrics_bench.py [--sizes 1m,10m]
        [--repeat 3] [--naive-repeat 1] [--no-naive] [--results FILE]

For each data set it makes (once; cached under ``benchmarks/data/``) a typed Parquet
file, then, in fresh processes, interleaved so that machine load hits all of them
alike:

* the bare query (:func:`queries.bare_sql`): time of the query in the process, from
  opening DuckDB to the fetched result;
* the end-to-end CLI, ``scamlens metrics FILE --by day,region_code --as-of ...
  --out x.csv``: wall time of the whole process (interpreter start-up, imports,
  cleaning, writing the CSV) and its peak RSS (``wait4``);
* the straightforward single query applying the whole contract
  (:func:`queries.naive_sql`), for the reference ratio.

Medians are reported, with CPU seconds (user + system) beside the wall times: this
2-core machine is shared, and CPU time is the steadier figure when it is busy. The
CLI's CSV is compared with the naive query's counts, group by group, and its report
(read, superseded, quarantined per reason, counted) with the simulator's ground
truth. Results are written to ``benchmarks/batch/RESULTS.md``.

Data sets: ``1m`` and ``10m`` come from ``scamlens simulate --typed --format
parquet`` (10 days of 100,000 or 1,000,000 records, the default mess: older
versions, every bad row kind, runaway diallers; 92% of records carry a phone
number). ``1m-numpy``, ``10m-numpy`` and ``10m-ids`` come from the compact numpy
generator ``generate.py`` (3% superseded, 1% bad rows; ``-ids``: no phone column,
every citizen by ``citizen_id``, as from a platform that pseudonymises itself).
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
DATA = ROOT / "benchmarks" / "data"
PYTHON = sys.executable
SCAMLENS = str(Path(PYTHON).with_name("scamlens"))
KEY = "benchmark-key-0123456789abcdef"
NUMPY_AS_OF = "2026-12-01T00:00:00+08:00"  # generate.py's records end in November
COUNTS = ("initiated", "succeeded", "accurate", "victims", "publicity")


@dataclass
class Run:
    """One measured process."""

    wall: float
    cpu: float
    rss_mb: float
    inner: float | None = None
    """Time measured inside the process (the query alone), when it reports one."""
    phases: dict[str, float] = field(default_factory=dict)
    """Seconds of the pipeline's phases, from its debug log (pipeline runs)."""


@dataclass
class Series:
    runs: list[Run] = field(default_factory=list)

    def median(self, attr: str) -> float:
        return statistics.median(getattr(r, attr) for r in self.runs)

    def peak_rss(self) -> float:
        return max(r.rss_mb for r in self.runs)


def _measure(args: list[str], env: dict[str, str] | None = None) -> tuple[Run, str]:
    """Run ``args``; wall time, CPU time and peak RSS of that one child."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(args, stdout=out, stderr=err, env=env, cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({proc.returncode}):\n{stderr}")
    run = Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)
    return run, stdout


def _query_child(kind: str, path: str, as_of: str, out: str | None) -> None:
    """In a fresh process: run one reference query, print its time as JSON."""
    import duckdb
    import pyarrow.parquet as pq

    sys.path.insert(0, str(HERE))
    from queries import bare_sql, naive_sql

    phone = "phone" in pq.read_schema(path).names
    sql = (
        bare_sql(path)
        if kind == "bare"
        else naive_sql(path, KEY.encode(), as_of, phone=phone)
    )
    start = time.perf_counter()
    con = duckdb.connect()
    con.execute("SET TimeZone = 'Asia/Shanghai'")
    con.execute("SET preserve_insertion_order = false")
    table = con.sql(sql).to_arrow_table()
    seconds = time.perf_counter() - start
    if out:
        import pyarrow.csv as pacsv

        pacsv.write_csv(table, out)
    print(json.dumps({"seconds": seconds, "rows": table.num_rows}))


def _pipeline_child(path: str, as_of: str, out: str) -> None:
    """In a fresh process, with scamlens imported: time ``compute_metrics`` and the
    CSV, i.e. the CLI's work without its start-up."""
    import tempfile as tmp

    from scamlens.jobs.metrics import compute_metrics
    from scamlens.reports.writers import write_indicators
    from scamlens.settings import load_settings
    from scamlens.sources import file_source

    phases: dict[str, float] = {}

    class Phases(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.msg.endswith(": %.2f s"):
                phases[record.msg.split(":")[0]] = float(record.args[0])  # type: ignore[index]

    handler = Phases(logging.DEBUG)
    logging.getLogger("scamlens.cleaning").addHandler(handler)
    logging.getLogger("scamlens.cleaning").setLevel(logging.DEBUG)
    with tmp.TemporaryDirectory() as data:
        settings = load_settings(env={"SCAMLENS_HMAC_KEY": KEY}, data_dir=data)
        start = time.perf_counter()
        result = compute_metrics(
            file_source(Path(path)),
            ["day", "region_code"],
            settings,
            datetime.fromisoformat(as_of),
        )
        write_indicators(result.counts, Path(out), ["day", "region_code"])
        seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "phases": phases}))


def measure_pipeline(path: Path, as_of: str, out: Path) -> Run:
    args = [PYTHON, __file__, "--child", "pipeline", str(path), "--child-as-of", as_of]
    # numpy's page setting as the CLI makes it (see scamlens/cli/__init__.py).
    env = dict(os.environ, NUMPY_MADVISE_HUGEPAGE="0")
    run, stdout = _measure([*args, "--child-out", str(out)], env)
    reported = json.loads(stdout.strip().splitlines()[-1])
    run.inner = float(reported["seconds"])
    run.phases = reported["phases"]
    return run


def measure_query(kind: str, path: Path, as_of: str, out: Path | None = None) -> Run:
    args = [PYTHON, __file__, "--child", kind, str(path), "--child-as-of", as_of]
    if out:
        args += ["--child-out", str(out)]
    run, stdout = _measure(args)
    run.inner = float(json.loads(stdout.strip().splitlines()[-1])["seconds"])
    return run


def measure_cli(path: Path, as_of: str, out: Path, data_dir: Path) -> tuple[Run, str]:
    env = dict(os.environ, SCAMLENS_HMAC_KEY=KEY, SCAMLENS_DATA_DIR=str(data_dir))
    args = [
        SCAMLENS,
        "metrics",
        str(path),
        "--by",
        "day,region_code",
        "--as-of",
        as_of,
        "--out",
        str(out),
    ]
    return _measure(args, env)


def _counts(path: Path) -> dict[tuple[str, str], tuple[int, ...]]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {
        (r["day"], r["region_code"]): tuple(int(r[c]) for c in COUNTS) for r in rows
    }


@dataclass(frozen=True)
class Dataset:
    """A benchmark input: how to make it, and what a clean run must find."""

    name: str
    rows: int
    simulated: bool
    ids_only: bool = False

    @property
    def path(self) -> Path:
        kind = "sim" if self.simulated else "typed"
        return DATA / f"{kind}_{self.name.removesuffix('-numpy')}.parquet"

    def ensure(self) -> Path:
        """The cached file, made if absent."""
        if self.path.exists():
            return self.path
        print(f"generating {self.path} ({self.rows:,} rows)", flush=True)
        if self.simulated:
            args = [
                SCAMLENS,
                "simulate",
                "--typed",
                "--format",
                "parquet",
                "--days",
                "10",
                "--per-day",
                str(self.rows // 10),
                "--start",
                "2026-11-01",
                "--out",
                str(self.path),
                "--quiet",
            ]
        else:
            args = [PYTHON, str(HERE / "generate.py"), str(self.rows), str(self.path)]
            args += ["--ids-only"] if self.ids_only else []
        subprocess.run(args, check=True)
        return self.path

    @property
    def truth(self) -> dict[str, Any] | None:
        """The simulator's ground truth (counts and as-of), if simulated."""
        if not self.simulated:
            return None
        path = Path(f"{self.path}.truth.json")
        return dict(json.loads(path.read_text(encoding="utf-8")))

    @property
    def as_of(self) -> str:
        truth = self.truth
        return str(truth["as_of"]) if truth else NUMPY_AS_OF


DATASETS = {
    "1m": Dataset("1m", 1_000_000, simulated=True),
    "10m": Dataset("10m", 10_000_000, simulated=True),
    "1m-numpy": Dataset("1m-numpy", 1_000_000, simulated=False),
    "10m-numpy": Dataset("10m-numpy", 10_000_000, simulated=False),
    "10m-ids": Dataset("10m-ids", 10_000_000, simulated=False, ids_only=True),
}
_REPORT_ROW = re.compile(r"^\W*(?:quarantined: )?(\w+)\b.*?([\d,]+)\s*\W*$")


def _report(stdout: str) -> dict[str, int]:
    """The counts of the CLI's summary table (read, superseded, reasons, counted)."""
    found = {}
    for line in stdout.splitlines():
        match = _REPORT_ROW.match(line.strip())
        if match:
            found[match.group(1)] = int(match.group(2).replace(",", ""))
    return found


def _matches_truth(stdout: str, truth: dict[str, Any] | None) -> str:
    if truth is None:
        return "no ground truth"
    got, want = _report(stdout), truth["counts"]
    expected = {
        "read": want["read"],
        "superseded": want["superseded"],
        "counted": want["counted"],
        **want["quarantined"],
    }
    wrong = {k: (got.get(k), v) for k, v in expected.items() if got.get(k) != v}
    return "matches" if not wrong else f"DIFFERS {wrong}"


@dataclass
class SizeResult:
    data: Dataset
    file_mb: float
    bare: Series
    cli: Series
    pipeline: Series
    naive: Series
    agree: str
    truth: str


def bench_size(data: Dataset, repeat: int, naive_repeat: int) -> SizeResult:
    path, name = data.ensure(), data.name
    bare, cli, pipeline, naive = Series(), Series(), Series(), Series()
    stdout = ""
    with tempfile.TemporaryDirectory(prefix="scamlens-bench-") as tmp:
        work = Path(tmp)
        measure_query("bare", path, data.as_of)  # warms the page cache
        for i in range(repeat):
            bare.runs.append(measure_query("bare", path, data.as_of))
            run, stdout = measure_cli(
                path, data.as_of, work / "metrics.csv", work / "data"
            )
            cli.runs.append(run)
            pipeline.runs.append(measure_pipeline(path, data.as_of, work / "p.csv"))
            print(
                f"  {name} run {i + 1}: bare {bare.runs[-1].inner:.2f}s, "
                f"scamlens {cli.runs[-1].wall:.2f}s, "
                f"pipeline {pipeline.runs[-1].inner:.2f}s",
                flush=True,
            )
        agree = "not checked (--no-naive)"
        for i in range(naive_repeat):
            naive.runs.append(
                measure_query("naive", path, data.as_of, work / "naive.csv")
            )
            print(
                f"  {name} naive run {i + 1}: {naive.runs[-1].inner:.2f}s", flush=True
            )
        if naive_repeat:
            same = _counts(work / "metrics.csv") == _counts(work / "naive.csv")
            agree = "identical" if same else "DIFFERENT"
    truth = _matches_truth(stdout, data.truth)
    return SizeResult(
        data, path.stat().st_size / 1e6, bare, cli, pipeline, naive, agree, truth
    )


def _machine() -> list[str]:
    import duckdb
    import numpy
    import pyarrow

    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem = next(
        line.split()[1]
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    return [
        f"- CPU: {os.cpu_count()} × {cpu} (`nproc` = {os.cpu_count()})",
        f"- RAM: {int(mem) / 1024 / 1024:.1f} GB",
        f"- Python {platform.python_version()}, DuckDB {duckdb.__version__}, "
        f"pyarrow {pyarrow.__version__}, numpy {numpy.__version__}",
        f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; load average at the end: "
        f"{' / '.join(f'{x:.1f}' for x in os.getloadavg())}",
    ]


def render(results: list[SizeResult], repeat: int) -> str:
    lines = [
        "# Batch benchmark: `scamlens metrics --by day,region_code`",
        "",
        "Produced by `benchmarks/batch/run_metrics_bench.py` "
        "(see benchmarks/README.md).",
        "",
        *_machine(),
        "",
        f"Medians of {repeat} runs (naive query: see the runs column). *bare*: the "
        "query alone inside its process. *scamlens*: the whole `scamlens metrics` "
        "process, start-up and CSV included. *pipeline*: `compute_metrics` and the "
        "CSV inside a process that has imported scamlens (the CLI without its "
        "start-up). CPU = user + system seconds of the process, all threads.",
        "",
        "| data | rows | MB | bare s (cpu) | scamlens s (cpu) | ratio | scamlens peak "
        "RSS | pipeline s | pipeline ratio | naive s (runs) | naive ratio | "
        "counts = naive | report = truth |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in results:
        bare = r.bare.median("inner")
        cli = r.cli.median("wall")
        pipe = r.pipeline.median("inner")
        naive = (
            f"{r.naive.median('inner'):.2f} ({len(r.naive.runs)})"
            if r.naive.runs
            else "–"
        )
        naive_ratio = f"{r.naive.median('inner') / bare:.1f}×" if r.naive.runs else "–"
        lines.append(
            f"| {r.data.name} | {r.data.rows:,} | {r.file_mb:.0f} | {bare:.2f} "
            f"({r.bare.median('cpu'):.2f}) | {cli:.2f} ({r.cli.median('cpu'):.2f}) | "
            f"**{cli / bare:.1f}×** | {r.cli.peak_rss():.0f} MB | {pipe:.2f} | "
            f"{pipe / bare:.1f}× | {naive} | {naive_ratio} | {r.agree} | {r.truth} |"
        )
    lines += ["", "Where the pipeline's time goes (medians, seconds):", ""]
    for r in results:
        runs = r.pipeline.runs
        names = list(dict.fromkeys(k for x in runs for k in x.phases))
        phases = {
            n: statistics.median(x.phases.get(n, 0.0) for x in runs) for n in names
        }
        rest = r.pipeline.median("inner") - sum(phases.values())
        startup = r.cli.median("wall") - r.pipeline.median("inner")
        shown = "; ".join(f"{n} {v:.2f}" for n, v in phases.items())
        lines.append(
            f"- {r.data.name}: {shown}; the rest (landing, cap ranking, report, CSV) "
            f"{rest:.2f}; CLI start-up and imports about {startup:.2f}"
        )
    lines += ["", "Every run (seconds):", ""]
    for r in results:
        lines.append(
            f"- {r.data.name} ({r.data.path.name}, as of {r.data.as_of}): bare "
            f"{', '.join(f'{x.inner:.2f}' for x in r.bare.runs)}; "
            f"scamlens {', '.join(f'{x.wall:.2f}' for x in r.cli.runs)}; "
            f"pipeline {', '.join(f'{x.inner:.2f}' for x in r.pipeline.runs)}; "
            f"naive {', '.join(f'{x.inner:.2f}' for x in r.naive.runs) or '–'}"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description="scamlens batch benchmark")
    parser.add_argument("--sizes", default="1m,10m")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--naive-repeat", type=int, default=1)
    parser.add_argument("--no-naive", action="store_true")
    parser.add_argument("--results", type=Path, default=HERE / "RESULTS.md")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--child-out", help=argparse.SUPPRESS)
    parser.add_argument("--child-as-of", help=argparse.SUPPRESS)
    parser.add_argument("path", nargs="?", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "pipeline":
        _pipeline_child(args.path, args.child_as_of, args.child_out)
        return
    if args.child:
        _query_child(args.child, args.path, args.child_as_of, args.child_out)
        return
    results = []
    for name in args.sizes.split(","):
        print(f"{name}:", flush=True)
        naive = 0 if args.no_naive else args.naive_repeat
        results.append(bench_size(DATASETS[name], args.repeat, naive))
    text = render(results, args.repeat)
    if args.results.exists():  # keep the hand-written notes of the last run
        old = args.results.read_text(encoding="utf-8")
        if "\n## Notes" in old:
            text += old[old.index("\n## Notes") :]
    args.results.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()

"""Throughput of the language backends: texts per second on one core.

Run: ``taskset -c 0 .venv/bin/python benchmarks/language/bench_backends.py`` (about
a minute). Local backends are timed in CPU seconds of the process, so other load on
the machine does not distort them; the llm backend is timed in wall-clock seconds.
Short texts are the project's test texts of at most 60 characters, repeated; the
llm backend runs against the local stub server with a fixed delay per request, so
the figure shows what batching and concurrency buy, not any model's speed.
"""

from __future__ import annotations

import csv
import os
import platform
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from scamlens.language.backends.cache import MemoryCache  # noqa: E402
from scamlens.language.backends.llm import LLMBackend  # noqa: E402
from scamlens.language.backends.model import ModelBackend  # noqa: E402
from scamlens.language.backends.rules import RulesBackend  # noqa: E402
from scamlens.language.backends.stub_server import StubConfig, StubServer  # noqa: E402
from scamlens.settings import LanguageSettings  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "tests" / "language" / "data"


def _texts() -> list[str]:
    with (DATA / "classify_test.csv").open(encoding="utf-8") as fh:
        return [r["text"] for r in csv.DictReader(fh)]


def _rate(run, texts: list[str]) -> float:
    """Texts per CPU-second of this process (robust to other load on the box)."""
    start = time.process_time()
    run(texts)
    return len(texts) / (time.process_time() - start)


def _wall_rate(run, texts: list[str]) -> float:
    """Texts per wall-clock second (for the llm backend, which waits on I/O)."""
    start = time.perf_counter()
    run(texts)
    return len(texts) / (time.perf_counter() - start)


def main() -> None:
    texts = _texts()
    tiny = [t for t in texts if len(t) <= 30]
    short = [t for t in texts if len(t) <= 60]
    print(
        f"machine: {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, python {platform.python_version()}"
    )
    print(
        f"short texts: {len(short)} distinct, mean length "
        f"{sum(map(len, short)) / len(short):.0f} chars; all texts mean length "
        f"{sum(map(len, texts)) / len(texts):.0f}"
    )
    rules = RulesBackend()
    rules.classify(short[:50])  # warm up
    replies = (tiny * (20_000 // len(tiny) + 1))[:20_000]
    print(
        f"rules classify <=30  : {_rate(rules.classify, replies):>9,.0f} texts/s "
        f"({len(tiny)} distinct, mean {sum(map(len, tiny)) / len(tiny):.0f} chars)"
    )
    batch = (short * (20_000 // len(short) + 1))[:20_000]
    print(f"rules classify <=60  : {_rate(rules.classify, batch):>9,.0f} texts/s")
    every = (texts * 5)[:2_000]
    print(f"rules classify all   : {_rate(rules.classify, every):>9,.0f} texts/s")
    print(f"rules label short    : {_rate(rules.label, batch[:5_000]):>9,.0f} texts/s")
    model = ModelBackend()
    model.classify(short[:50])
    print(
        f"model classify short : {_rate(model.classify, batch[:3_000]):>9,.0f} texts/s"
    )
    unique = [f"{t}（{i}）" for i, t in enumerate(batch[:800])]
    for concurrency in (1, 4, 16):
        with StubServer(StubConfig(delay_seconds=0.05)) as stub:
            settings = LanguageSettings(
                backend="llm",
                llm_base_url=stub.url,
                llm_model="stub",
                llm_concurrency=concurrency,
                llm_timeout_seconds=10,
            )
            llm = LLMBackend(settings, cache=MemoryCache(), batch_size=8)
            rate = _wall_rate(llm.classify, unique)
            cached = _wall_rate(llm.classify, unique)
            print(
                f"llm (50 ms/request, batch 8, concurrency {concurrency:>2}): "
                f"{rate:>7,.0f} texts/s; cached re-run {cached:>9,.0f} texts/s; "
                f"peak in flight {stub.config.max_in_flight}"
            )


if __name__ == "__main__":
    main()

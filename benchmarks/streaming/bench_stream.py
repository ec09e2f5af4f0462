"""Benchmark ``scamlens stream`` from JetStream: sustained throughput and latency.

Throughput: N simulated records (JSON, one message each) are published onto a fresh
JetStream stream first; then ``scamlens stream`` runs as a real process until the
stream is idle. Sustained records/s = records / (last commit − the moment the
consumer starts reading the stream), from the consumer's own log lines; process
start-up (imports, stream and consumer set-up) is reported apart.

Latency: the consumer runs first (live clock, no --as-of); records made "now" (the
simulated records with their event time set to the publish time, so windows close at
their real pace, as on a live platform) are then published at a fixed rate, and each
message's latency is the time from just before its publish call to the commit that
made it visible in the warehouse (the first commit whose last stream sequence
reaches it). Same clock, same machine.

    .venv/bin/python benchmarks/streaming/bench_stream.py throughput --records 1000000
    .venv/bin/python benchmarks/streaming/bench_stream.py latency --rate 5000

Message shape: ``--per-message K`` publishes K records per message (default 1: one
JSON object per message), as JSON Lines, or as a JSON array with ``--shape array``.

Options after the mode: --ack all, --no-anomalies, --batch-records N,
--batch-seconds S (passed to ``scamlens stream``).

Besides wall time, the consumer's CPU seconds (user + system, from ``wait4``) are
reported, and the load average before and after the run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import nats

from scamlens.simulate import SimConfig, write

URL = "nats://127.0.0.1:4222"
ZONE = ZoneInfo("Asia/Shanghai")
SCAMLENS = str(Path(sys.executable).with_name("scamlens"))
CACHE = Path(tempfile.gettempdir()) / "scamlens-bench-stream"
READING = re.compile(r"^(\S+ \S+) INFO \S+: reading stream ", re.MULTILINE)
COMMIT = re.compile(
    r"committed micro-batch records=(\d+) .* last_item=(\d+) seconds=([\d.]+) "
    r"committed_at=([\d.]+)"
)


def records(n: int) -> tuple[list[bytes], str]:
    """``n`` simulated records as JSON lines (cached), and their as-of time."""
    per_day = 200_000
    days = max(1, -(-n // per_day))
    config = SimConfig(days=days, per_day=min(n, per_day), seed=20250303)
    path = CACHE / f"records_{days}x{config.per_day}.jsonl"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        write(config, path)
    lines = path.read_bytes().splitlines()[:n]
    return lines, config.as_of.isoformat()


def bodies(lines: list[bytes], per_message: int, shape: str) -> list[bytes]:
    """Message bodies of ``per_message`` records each: JSON Lines or a JSON array."""
    if per_message <= 1:
        return lines
    groups = [lines[i : i + per_message] for i in range(0, len(lines), per_message)]
    if shape == "array":
        return [b"[" + b",".join(group) + b"]" for group in groups]
    return [b"\n".join(group) for group in groups]


async def _publish_all(subject: str, stream: str, lines: list[bytes]) -> None:
    nc = await nats.connect(URL)
    js = nc.jetstream()
    await js.add_stream(name=stream, subjects=[subject])
    sent = 0
    for line in lines:
        await nc.publish(subject, line)
        sent += len(line)
        if sent > 8_000_000:
            await nc.flush()
            sent = 0
    await nc.flush()
    while (await js.stream_info(stream)).state.messages < len(lines):
        await asyncio.sleep(0.1)
    await nc.close()


def _now_record(template: dict[str, object], n: int, token: str) -> bytes:
    """``template`` as a record made now: the event time is the publish time."""
    now = datetime.now(ZONE).isoformat(timespec="milliseconds")
    record = dict(
        template, outreach_id=f"LAT-{token}-{n}", initiated_at=now, updated_at=now
    )
    return json.dumps(record, ensure_ascii=False).encode()


async def _publish_paced(
    subject: str, templates: list[dict[str, object]], rate: float, seconds: float
) -> list[float]:
    """Publish records made now at ``rate`` per second for ``seconds``.

    Returns each message's publish time. Event times are real time, as on a live
    platform, so windows close at their real pace.
    """
    nc = await nats.connect(URL)
    sent: list[float] = []
    token = uuid.uuid4().hex[:6]
    start = time.time()
    total = int(rate * seconds)
    while len(sent) < total:
        due = min(total, int((time.time() - start) * rate) + 1)
        while len(sent) < due:
            body = _now_record(templates[len(sent) % len(templates)], len(sent), token)
            sent.append(time.time())
            await nc.publish(subject, body)
        await nc.flush()
        await asyncio.sleep(0.002)
    await nc.close()
    return sent


async def _delete(stream: str) -> None:
    nc = await nats.connect(URL)
    try:
        await nc.jetstream().delete_stream(stream)
    finally:
        await nc.close()


def _consumer(
    subject: str, as_of: str | None, extra: list[str], data: Path
) -> subprocess.Popen[str]:
    """``scamlens stream`` on ``subject``; ``as_of`` None means the live clock."""
    env = dict(
        os.environ,
        SCAMLENS_HMAC_KEY="bench-key-0123456789abcdef",
        SCAMLENS_DATA_DIR=str(data),
    )
    args = [
        SCAMLENS,
        "--log-level",
        "INFO",
        "stream",
        "--source",
        URL,
        "--subject",
        subject,
        *(["--as-of", as_of] if as_of else []),
        "--until-idle",
        "3",
        *extra,
    ]
    return subprocess.Popen(
        args, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env
    )


def _log_time(stamp: str) -> float:
    """Epoch seconds of a log line's local ``YYYY-MM-DD HH:MM:SS,mmm`` stamp."""
    return datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f").timestamp()


def _commits(log: str) -> list[tuple[int, int, float, float]]:
    """(records, last sequence, seconds, committed_at) of every commit."""
    return [
        (int(m[1]), int(m[2]), float(m[3]), float(m[4])) for m in COMMIT.finditer(log)
    ]


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def throughput(n: int, per_message: int, shape: str, extra: list[str]) -> None:
    lines, as_of = records(n)
    token = uuid.uuid4().hex[:8]
    subject, stream = f"bench.{token}", f"BENCH_{token}"
    messages = bodies(lines, per_message, shape)
    asyncio.run(_publish_all(subject, stream, messages))
    load_before = _load()
    try:
        with tempfile.TemporaryDirectory() as data:
            started = time.time()
            proc = _consumer(subject, as_of, extra, Path(data))
            assert proc.stderr is not None
            log = proc.stderr.read()
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
            wall = time.time() - started
    finally:
        asyncio.run(_delete(stream))
    commits = _commits(log)
    if proc.returncode != 0 or not commits:
        sys.exit(f"consumer failed ({proc.returncode}):\n{log[-3000:]}")
    done = sum(c[0] for c in commits)
    # From the moment the consumer starts reading (its "reading stream" line), so
    # filling the first micro-batch counts too.
    reading = READING.search(log)
    first = _log_time(reading[1]) if reading else commits[0][3] - commits[0][2]
    span = commits[-1][3] - first
    engine = sum(c[2] for c in commits)
    sizes = [c[0] for c in commits]
    cpu = usage.ru_utime + usage.ru_stime
    shape_text = (
        "one JSON object per message"
        if per_message <= 1
        else f"{per_message} records per message ({shape})"
    )
    print(f"message shape: {shape_text}; {len(messages):,} messages")
    print(
        f"records {done:,} in {len(commits)} micro-batches "
        f"(median {statistics.median(sizes):,.0f} records)"
    )
    print(
        f"sustained: {done / span:,.0f} records/s over {span:.1f} s "
        f"(consumer starts reading to last commit)"
    )
    print(f"engine transactions alone: {done / engine:,.0f} records/s")
    print(
        f"process wall time {wall:.1f} s incl. start-up {first - started:.1f} s "
        "and 3 s idle wait"
    )
    print(
        f"consumer CPU {cpu:.1f} s (user {usage.ru_utime:.1f} + sys "
        f"{usage.ru_stime:.1f}), incl. start-up: {done / cpu:,.0f} records per "
        "CPU-second"
    )
    print(
        f"page faults: {usage.ru_minflt:,} minor, {usage.ru_majflt:,} major; "
        f"peak RSS {usage.ru_maxrss / 1024:,.0f} MB"
    )
    print(f"load average before: {load_before}; after: {_load()}")


def latency(rate: float, seconds: float, extra: list[str]) -> None:
    lines, _ = records(50_000)
    templates = [json.loads(line) for line in lines[:20_000]]
    token = uuid.uuid4().hex[:8]
    subject, stream = f"bench.{token}", f"BENCH_{token}"
    asyncio.run(_publish_all(subject, stream, []))
    log_lines: list[str] = []
    ready = threading.Event()
    try:
        with tempfile.TemporaryDirectory() as data:
            proc = _consumer(subject, None, extra, Path(data))

            def collect() -> None:
                assert proc.stderr is not None
                for line in proc.stderr:
                    log_lines.append(line)
                    if "reading stream" in line:
                        ready.set()

            reader = threading.Thread(target=collect, daemon=True)
            reader.start()
            if not ready.wait(60):
                sys.exit("consumer did not start:\n" + "".join(log_lines))
            sent = asyncio.run(_publish_paced(subject, templates, rate, seconds))
            proc.wait(seconds + 120)
            reader.join(5)
    finally:
        asyncio.run(_delete(stream))
    commits = sorted((c[1], c[3]) for c in _commits("".join(log_lines)))
    waits = []
    k = 0
    for seq, published in enumerate(sent, start=1):
        while k < len(commits) and commits[k][0] < seq:
            k += 1
        if k == len(commits):
            tail = "".join(log_lines[-20:])
            sys.exit(f"message {seq} of {len(sent)} never committed; log:\n{tail}")
        waits.append(commits[k][1] - published)
    waits.sort()
    pct = lambda q: waits[min(len(waits) - 1, int(q * len(waits)))]  # noqa: E731
    print(
        f"{len(sent):,} records at {rate:,.0f}/s for {seconds:.0f} s, "
        f"{len(commits)} commits"
    )
    print(
        f"publish -> visible latency: p50 {pct(0.5) * 1000:.0f} ms, "
        f"p99 {pct(0.99) * 1000:.0f} ms, max {waits[-1] * 1000:.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["throughput", "latency"])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--rate", type=float, default=5_000)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--per-message", type=int, default=1)
    parser.add_argument("--shape", choices=["lines", "array"], default="lines")
    args, extra = parser.parse_known_args()
    if args.mode == "throughput":
        throughput(args.records, args.per_message, args.shape, extra)
    else:
        latency(args.rate, args.seconds, extra)


if __name__ == "__main__":
    main()

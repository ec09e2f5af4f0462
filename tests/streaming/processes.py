"""Running ``scamlens stream`` as a real process, and killing it mid-stream."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

SCAMLENS = str(Path(sys.executable).with_name("scamlens"))
KEY_TEXT = "test-key-0123456789abcdef-not-secret"


@dataclass
class Consumer:
    """A running consumer whose log is collected line by line."""

    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)
    committed: threading.Event = field(default_factory=threading.Event)

    def _collect(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line)
            if "committed micro-batch" in line:
                self.committed.set()

    def log(self) -> str:
        return "".join(self.lines)


def start(args: Sequence[str], data_dir: Path) -> Consumer:
    """Start ``scamlens --log-level INFO <args>`` with the test key and data folder."""
    env = dict(os.environ, SCAMLENS_HMAC_KEY=KEY_TEXT, SCAMLENS_DATA_DIR=str(data_dir))
    process = subprocess.Popen(
        [SCAMLENS, "--log-level", "INFO", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    consumer = Consumer(process)
    threading.Thread(target=consumer._collect, daemon=True).start()
    return consumer


def kill_after_first_commit(
    consumer: Consumer, rng: random.Random, timeout: float = 60.0
) -> None:
    """SIGKILL the consumer a random moment after it committed its first batch."""
    if not consumer.committed.wait(timeout):
        consumer.process.kill()
        raise AssertionError(f"consumer committed nothing:\n{consumer.log()}")
    time.sleep(rng.uniform(0.0, 0.6))
    consumer.process.send_signal(signal.SIGKILL)
    assert consumer.process.wait(10) == -signal.SIGKILL


def finish(consumer: Consumer, timeout: float = 120.0) -> None:
    """Wait for a consumer started with --until-idle to exit cleanly."""
    code = consumer.process.wait(timeout)
    time.sleep(0.05)  # let the log thread drain
    assert code == 0, consumer.log()


def window_rows(warehouse: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every window table of ``warehouse``, rows sorted."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM stream_window_specs ORDER BY 1"
            ).fetchall()
        ]
        return {
            t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in tables
        }
    finally:
        con.close()

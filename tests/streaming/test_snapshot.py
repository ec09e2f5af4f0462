"""Live snapshots: ``metrics --live`` answers while ``scamlens stream`` holds the
warehouse, with the numbers of the warehouse itself."""

from __future__ import annotations

import json
import logging
import signal
import time
from datetime import datetime
from pathlib import Path

import pytest

from scamlens.errors import UsageError
from scamlens.settings import Settings
from scamlens.simulate import SimConfig
from scamlens.streaming.live import live_counts, snapshot_counts
from scamlens.streaming.snapshot import (
    MAX_SHARE,
    LiveSnapshots,
    read_snapshot,
    snapshot_folder,
)

from .compare import metrics_csv
from .conftest import EngineFactory, feed
from .processes import finish, start
from .records import stream_lines

CONFIG = SimConfig(days=2, per_day=500, seed=5)
AS_OF = datetime.fromisoformat(CONFIG.as_of.isoformat())
DIMS = ("day", "region_code", "channel", "module", "fraud_type", "age_band")


class Clock:
    """A monotonic clock the test moves; each reading costs ``step`` seconds."""

    def __init__(self, step: float = 0.0) -> None:
        self.now = 100.0
        self.step = step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def test_a_snapshot_gives_the_numbers_of_the_warehouse(
    make_engine: EngineFactory, settings: Settings, tmp_path: Path
) -> None:
    con, engine = make_engine(as_of=AS_OF)
    lines = stream_lines(CONFIG, seed=6)
    feed(engine, lines, [len(lines) // 2, len(lines) - len(lines) // 2])
    folder = tmp_path / "warehouse.duckdb.live"
    published = LiveSnapshots(folder, every_seconds=1.0).publish(
        con, engine.state().watermark
    )
    assert published is not None
    assert [s.grain for s in published.specs] == ["1d"]
    for dims in (DIMS, ("week", "city"), ()):
        expected = live_counts(con, dims)
        result = snapshot_counts(settings, folder, dims)
        assert result.snapshot == read_snapshot(folder)
        assert result.counts.equals(expected), dims
    assert result.counts.column("initiated").to_pylist()[0] > 500
    with pytest.raises(UsageError, match="hour"):
        snapshot_counts(settings, folder, ("hour",))


def test_snapshots_are_throttled_and_only_the_last_two_are_kept(
    make_engine: EngineFactory, tmp_path: Path
) -> None:
    con, engine = make_engine(as_of=AS_OF)
    feed(engine, stream_lines(CONFIG, seed=7)[:200], [200])
    clock = Clock()
    snapshots = LiveSnapshots(tmp_path / "live", every_seconds=2.0, clock=clock)
    assert snapshots.maybe_publish(con, None) is None  # nothing committed yet
    snapshots.committed()
    assert snapshots.maybe_publish(con, None) is not None
    clock.now += 1.0
    snapshots.committed()
    assert snapshots.maybe_publish(con, None) is None  # too soon
    names = []
    for _ in range(3):
        clock.now += 2.5
        # The commit of a second ago is still pending: published once due, even
        # with no new commit (the source has gone quiet).
        published = snapshots.maybe_publish(con, None)
        assert published is not None
        names.append(published.folder.name)
        clock.now += 2.5
        assert snapshots.maybe_publish(con, None) is None  # nothing new since
        snapshots.committed()
    kept = sorted(p.name for p in (tmp_path / "live").iterdir() if p.is_dir())
    assert kept == names[-2:]
    current = json.loads((tmp_path / "live" / "current.json").read_text())
    assert current == {"snapshot": names[-1]}


def test_a_slow_snapshot_spaces_the_next_ones_out(
    make_engine: EngineFactory, tmp_path: Path
) -> None:
    con, engine = make_engine(as_of=AS_OF)
    feed(engine, stream_lines(CONFIG, seed=8)[:100], [100])
    clock = Clock(step=0.5)  # every reading of the clock: half a second later
    snapshots = LiveSnapshots(tmp_path / "live", every_seconds=1.0, clock=clock)
    assert snapshots.publish(con, None) is not None
    snapshots.committed()
    took = 0.5  # one clock step between the start and the end of the write
    clock.now += took / MAX_SHARE - 2.0
    assert snapshots.maybe_publish(con, None) is None
    clock.now += 2.0
    assert snapshots.maybe_publish(con, None) is not None


def test_a_snapshot_that_cannot_be_written_warns_and_keeps_going(
    make_engine: EngineFactory, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    con, engine = make_engine(as_of=AS_OF)
    feed(engine, stream_lines(CONFIG, seed=9)[:100], [100])
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the snapshot folder should be")
    with caplog.at_level(logging.WARNING, logger="scamlens.streaming.snapshot"):
        assert LiveSnapshots(blocked, every_seconds=1.0).publish(con, None) is None
    assert "live snapshot in" in caplog.text
    assert LiveSnapshots(tmp_path / "off", every_seconds=0).publish(con, None) is None
    assert not (tmp_path / "off").exists()


def test_a_snapshot_pruned_while_read_is_a_clear_message(
    make_engine: EngineFactory, settings: Settings, tmp_path: Path
) -> None:
    con, engine = make_engine(as_of=AS_OF)
    feed(engine, stream_lines(CONFIG, seed=11)[:100], [100])
    folder = tmp_path / "live"
    published = LiveSnapshots(folder, every_seconds=1.0).publish(con, None)
    assert published is not None
    for spec in published.specs:
        published.path(spec).unlink()  # as the writer's pruning would
    with pytest.raises(UsageError, match="replaced while it was read"):
        snapshot_counts(settings, folder, ("day",))


def test_no_snapshot_yet_is_a_clear_message(settings: Settings, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no live snapshot"):
        snapshot_counts(settings, tmp_path / "nothing", ("day",))


@pytest.mark.slow
def test_metrics_live_reads_the_snapshot_while_the_stream_runs(
    cli, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = stream_lines(CONFIG, seed=10)
    everything = tmp_path / "all.jsonl"
    everything.write_text("\n".join(lines) + "\n", encoding="utf-8")
    batch = tmp_path / "batch.csv"
    dims = "day,region_code"
    as_of = CONFIG.as_of.isoformat()
    made = cli(
        "metrics", str(everything), "--by", dims, "--as-of", as_of, "--out", str(batch)
    )
    assert made.exit_code == 0, made.stderr
    expected = metrics_csv(batch)

    folder = tmp_path / "landing"
    folder.mkdir()
    (folder / "part_001.jsonl").write_text(everything.read_text(encoding="utf-8"))
    time.sleep(1.1)  # older than the folder source's settle time
    monkeypatch.setenv("SCAMLENS_LIVE_SNAPSHOT_SECONDS", "0.2")
    consumer = start(
        [
            "stream",
            "--source",
            str(folder),
            "--as-of",
            as_of,
            "--batch-records",
            "150",
            "--poll-seconds",
            "0.2",
            "--no-anomalies",
        ],
        data_dir,
    )
    live = tmp_path / "live.csv"
    seen: dict[tuple[str, ...], tuple[str, ...]] = {}
    answers = 0
    deadline = time.monotonic() + 120
    while consumer.process.poll() is None and time.monotonic() < deadline:
        result = cli("metrics", "--live", "--by", dims, "--out", str(live))
        if result.exit_code == 0:
            assert "live snapshot taken" in " ".join(result.stderr.split())
            answers += 1
            seen = metrics_csv(live)
            if seen == expected:
                break
        else:
            # Before the consumer's first snapshot (or its warehouse file).
            starting = ("no live snapshot", "does not exist")
            assert any(m in result.stderr for m in starting), result.stderr
        time.sleep(0.2)
    # Answered from snapshots while the stream still held the warehouse, and the
    # last of them had caught up with every record: the batch's numbers exactly.
    assert consumer.process.poll() is None, consumer.log()
    assert answers >= 1 and seen == expected
    consumer.process.send_signal(signal.SIGTERM)  # commits what it holds, exits 0
    finish(consumer)
    assert read_snapshot(snapshot_folder(data_dir / "warehouse.duckdb")).specs
    after = cli("metrics", "--live", "--by", dims, "--out", str(live))
    assert after.exit_code == 0 and "snapshot" not in after.stderr
    assert metrics_csv(live) == expected

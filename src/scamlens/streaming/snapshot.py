"""Live snapshots: the day windows as Parquet beside the warehouse, while it is busy.

``scamlens stream`` holds the warehouse file open for writing, and DuckDB then lets no
other process open it, not even to read. So that ``scamlens metrics --live`` (and any
other reader) gets the live day indicators while the stream runs, the consumer
publishes the day-window tables every few seconds into a folder beside the
warehouse, ``<warehouse>.live/``::

    warehouse.duckdb.live/
        current.json                  which snapshot is current (replaced atomically)
        snap-<taken_at_ns>/
            manifest.json             the window specs, time taken, watermark
            stream_w_1d_<dims>.parquet

A snapshot is written into a hidden folder and renamed into place; only then does
``current.json`` point at it, so a reader sees a whole snapshot or the previous one,
never a mix. The folder of the previous snapshot is kept for readers still on it;
older ones are removed. Snapshots hold window counts only: no citizen, no phone.

Publishing costs a Parquet write of the day tables. It happens at most every
``every_seconds``, and never more often than needed to keep it under
:data:`MAX_SHARE` of the consumer's time, so a large day table slows the stream by
a bounded share, not by its size.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from scamlens.errors import UsageError
from scamlens.streaming.apply import stored_specs
from scamlens.streaming.windows import WindowSpec

__all__ = [
    "MAX_SHARE",
    "LiveSnapshots",
    "Snapshot",
    "read_snapshot",
    "snapshot_folder",
]

logger = logging.getLogger(__name__)

MAX_SHARE = 0.05
"""Most of the consumer's time that publishing snapshots may take."""

_CURRENT = "current.json"
_MANIFEST = "manifest.json"
_GRAIN = "1d"


def snapshot_folder(warehouse: Path) -> Path:
    """The folder holding the live snapshots of the warehouse file ``warehouse``."""
    return warehouse.with_name(warehouse.name + ".live")


@dataclass(frozen=True)
class Snapshot:
    """One published snapshot: where its files are and what they hold."""

    folder: Path
    taken_at: datetime
    watermark: datetime | None
    specs: tuple[WindowSpec, ...]

    def path(self, spec: WindowSpec) -> Path:
        """The Parquet file of ``spec``'s window table."""
        return self.folder / f"{spec.table}.parquet"

    def age_seconds(self, now: datetime | None = None) -> float:
        """Seconds since the snapshot was taken."""
        return ((now or datetime.now(UTC)) - self.taken_at).total_seconds()


class LiveSnapshots:
    """Publishes snapshots of the day windows of one warehouse (see the module
    docstring). ``every_seconds`` 0 switches publishing off."""

    def __init__(
        self,
        folder: Path,
        *,
        every_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.folder = folder
        self.every_seconds = every_seconds
        self.clock = clock
        self._last: float | None = None
        self._gap = every_seconds
        self._pending = False

    def committed(self) -> None:
        """Note a commit: the current snapshot no longer shows the latest state."""
        self._pending = True

    def maybe_publish(
        self, con: duckdb.DuckDBPyConnection, watermark: datetime | None
    ) -> Snapshot | None:
        """Publish if a commit is not in the current snapshot yet and the last one is
        old enough; return it if published. Call it after commits and while the
        source is idle, so that the last commit is published too."""
        if self.every_seconds <= 0 or not self._pending:
            return None
        now = self.clock()
        if self._last is not None and now - self._last < self._gap:
            return None
        return self.publish(con, watermark)

    def publish(
        self, con: duckdb.DuckDBPyConnection, watermark: datetime | None
    ) -> Snapshot | None:
        """Write a snapshot of the committed day windows now (None when off).

        Run it between transactions: every table is then read at the same commit.
        """
        if self.every_seconds <= 0:
            return None
        started = self.clock()
        try:
            snapshot = self._write(con, watermark)
        except (OSError, duckdb.Error) as exc:
            # The indicators are committed; a snapshot that cannot be written must
            # not stop the stream. Readers keep the previous one.
            logger.warning(
                "live snapshot in %s not written: %s; check the folder, readers "
                "see the previous snapshot meanwhile",
                self.folder,
                str(exc).splitlines()[0],
            )
            snapshot = None
        took = self.clock() - started
        self._last = self.clock()
        self._pending = snapshot is None
        # Keep publishing under MAX_SHARE of the time: a gap of took / MAX_SHARE.
        self._gap = max(self.every_seconds, took / MAX_SHARE)
        if snapshot is not None:
            logger.debug("live snapshot %s in %.2f s", snapshot.folder.name, took)
        return snapshot

    def _write(
        self, con: duckdb.DuckDBPyConnection, watermark: datetime | None
    ) -> Snapshot:
        specs = tuple(s for s in stored_specs(con) if s.grain == _GRAIN)
        taken_at = datetime.now(UTC)
        name = f"snap-{time.time_ns()}"
        staging = self.folder / f".{name}"
        staging.mkdir(parents=True)
        try:
            for spec in specs:
                target = str(staging / f"{spec.table}.parquet").replace("'", "''")
                con.execute(
                    f"COPY (SELECT * FROM {spec.table}) TO '{target}' (FORMAT parquet)"
                ).fetchall()
            manifest = {
                "taken_at": taken_at.isoformat(),
                "watermark": watermark.isoformat() if watermark else None,
                "specs": [{"grain": s.grain, "dims": list(s.dims)} for s in specs],
            }
            (staging / _MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
            staging.rename(self.folder / name)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        _write_atomically(self.folder / _CURRENT, json.dumps({"snapshot": name}))
        self._prune()
        return Snapshot(self.folder / name, taken_at, watermark, specs)

    def _prune(self) -> None:
        """Remove all but the two newest snapshots (the current one and the one a
        reader may still be on), and staging left by an interrupted write."""
        names = sorted(p.name for p in self.folder.iterdir() if p.is_dir())
        published = [n for n in names if n.startswith("snap-")]
        stale = [n for n in names if n.startswith(".snap-")] + published[:-2]
        for name in stale:
            shutil.rmtree(self.folder / name, ignore_errors=True)


def _write_atomically(path: Path, text: str) -> None:
    staging = path.with_name(f".{path.name}.{os.getpid()}")
    staging.write_text(text, encoding="utf-8")
    os.replace(staging, path)


def read_snapshot(folder: Path) -> Snapshot:
    """The current snapshot in ``folder``; a one-line error if there is none."""
    current = folder / _CURRENT
    try:
        name = json.loads(current.read_text(encoding="utf-8"))["snapshot"]
        snapshot_dir = folder / name
        manifest = json.loads((snapshot_dir / _MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(
            f"no live snapshot in `{folder}`; it appears a few seconds after "
            "`scamlens stream` starts committing (setting "
            "stream.live_snapshot_seconds must be above 0)"
        ) from None
    except (ValueError, KeyError) as exc:
        raise UsageError(
            f"live snapshot in `{folder}` is unreadable ({exc}); wait for the next "
            "one or delete the folder"
        ) from None
    watermark = manifest.get("watermark")
    return Snapshot(
        snapshot_dir,
        datetime.fromisoformat(manifest["taken_at"]),
        datetime.fromisoformat(watermark) if watermark else None,
        tuple(WindowSpec(s["grain"], tuple(s["dims"])) for s in manifest["specs"]),
    )

"""A folder where files of records land (CSV, JSON Lines, Parquet).

Files are read in name order, each with the batch layer's file readers, and the
position is the list of files read (name and content fingerprint) plus how many
records of the current file are committed. After a crash the current file is read
again from its start and its committed records are skipped, so every record is
committed once. A file counts as landed once it has not changed for
``settle_seconds``; names starting with ``.`` or ``_``, temporary suffixes and the
simulator's ``.truth.json`` files are ignored. A file that cannot be read at all
(empty, no header, missing contract columns) is logged and recorded as read with its
error, so it does not stop the stream; rename it to read it again after a fix. A file
that breaks part-way (a truncated ``.gz``) keeps the records read before the break
and is recorded the same way, with how many records were kept.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa

from scamlens.errors import SourceError, SourceNotFound
from scamlens.privacy.redact import Redactor
from scamlens.sources import file_source
from scamlens.streaming.sources.base import Pulled, StreamSource

__all__ = ["FolderSource", "landed_files"]

logger = logging.getLogger(__name__)

_SUFFIXES = (
    ".csv",
    ".tsv",
    ".txt",
    ".csv.gz",
    ".jsonl",
    ".ndjson",
    ".json",
    ".parquet",
    ".pq",
)
_IGNORED = (".tmp", ".part", ".partial", ".truth.json")


def landed_files(folder: Path, settle_seconds: float) -> list[Path]:
    """Readable record files in ``folder`` unchanged for ``settle_seconds``, by name."""
    now = time.time()
    found = []
    for path in sorted(folder.iterdir()):
        name = path.name.lower()
        if name.startswith((".", "_")) or name.endswith(_IGNORED):
            continue
        if not name.endswith(_SUFFIXES) or not path.is_file():
            continue
        if now - path.stat().st_mtime < settle_seconds:
            continue
        found.append(path)
    return found


class FolderSource(StreamSource):
    """Every file landing in ``folder``."""

    kind = "folder"

    def __init__(
        self,
        folder: Path,
        *,
        redactor: Redactor,
        chunk_rows: int = 100_000,
        settle_seconds: float = 1.0,
        poll_seconds: float = 1.0,
    ) -> None:
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise SourceNotFound(
                f"folder `{self.folder}` does not exist; create it or name another"
            )
        self.redactor = redactor
        self.chunk_rows = chunk_rows
        self.settle_seconds = settle_seconds
        self.poll_seconds = poll_seconds
        self._done: list[dict[str, Any]] = []
        self._current: dict[str, Any] | None = None
        self._rows = 0
        self._chunks: Iterator[pa.Table] | None = None
        self._next: pa.Table | None = None
        self._last_scan = 0.0

    @property
    def key(self) -> str:
        return f"folder:{self.folder.resolve()}"

    def describe(self) -> str:
        return f"folder {self.folder}"

    def open(self, position: dict[str, Any] | None) -> None:
        position = position or {}
        self._done = list(position.get("done", []))
        self._current = position.get("current")
        self._rows = int(position.get("rows", 0))

    def _position(self) -> dict[str, Any]:
        return {"done": self._done, "current": self._current, "rows": self._rows}

    def _seen(self) -> set[tuple[str, str]]:
        return {(d["name"], d.get("fingerprint", "")) for d in self._done}

    def _open_next(self, max_records: int) -> bool:
        """Start reading the next landed file; False when there is none."""
        seen = self._seen()
        for path in landed_files(self.folder, self.settle_seconds):
            try:
                source = file_source(
                    path, chunk_rows=max_records, redactor=self.redactor
                )
                fingerprint = _fingerprint_text(source.next_position())
            except SourceError as exc:
                if (path.name, "error") not in seen:
                    logger.error("file %s cannot be read and is skipped: %s", path, exc)
                    self._done.append(
                        {"name": path.name, "fingerprint": "error", "error": str(exc)}
                    )
                    self._current, self._rows = None, 0
                    return True
                continue
            if (path.name, fingerprint) in seen:
                continue
            resume = self._current or {}
            skip = (
                self._rows
                if resume == {"name": path.name, "fingerprint": fingerprint}
                else 0
            )
            self._current = {"name": path.name, "fingerprint": fingerprint}
            self._rows = skip
            self._chunks = _skipping(
                _rechunked(source.batches(None), max_records), skip
            )
            logger.info("reading file %s (skipping %d committed records)", path, skip)
            self._advance()  # may find the file broken before its first record
            return True
        return False

    def _advance(self) -> None:
        """Read the next chunk of the current file into ``_next``.

        A file that breaks part-way (a truncated ``.gz``, an I/O error) ends there:
        the records read before it are kept, the file is recorded as read with its
        error, and the stream goes on with the next file, as for a file that cannot
        be read at all.
        """
        assert self._chunks is not None and self._current is not None
        try:
            self._next = next(self._chunks, None)
        except SourceError as exc:
            logger.error(
                "file %s broke after %d records, which are kept; the rest is "
                "skipped: %s",
                self._current["name"],
                self._rows,
                exc,
            )
            self._done.append(dict(self._current, error=str(exc), rows=self._rows))
            self._current, self._rows, self._chunks, self._next = None, 0, None, None
            self._last_scan = 0.0

    def poll(self, max_records: int, max_seconds: float) -> Pulled | None:
        if self._chunks is None:
            wait = self.poll_seconds - (time.monotonic() - self._last_scan)
            if wait > 0:
                time.sleep(min(wait, 0.25))
                return None
            self._last_scan = time.monotonic()
            if not self._open_next(max_records):
                return None
            if self._chunks is None:  # an unreadable file: commit that it was seen
                return Pulled(records=None, position=self._position(), items=0)
        chunk = self._next
        if chunk is not None:
            self._rows += chunk.num_rows
        self._advance()
        if self._next is None and self._chunks is not None:
            assert self._current is not None
            self._done.append(dict(self._current))
            self._current, self._rows, self._chunks = None, 0, None
            self._last_scan = 0.0
        return Pulled(
            records=chunk,
            position=self._position(),
            items=chunk.num_rows if chunk is not None else 0,
        )


def _fingerprint_text(position: Any) -> str:
    data = position.data.get("fingerprint") if position is not None else None
    if not data:
        return ""
    return f"{data.get('size')}:{data.get('sha256_ends')}"


def _rechunked(batches: Iterator[pa.Table], rows: int) -> Iterator[pa.Table]:
    """Slice batches to at most ``rows`` rows each."""
    for batch in batches:
        for start in range(0, batch.num_rows, rows):
            yield batch.slice(start, rows)


def _skipping(batches: Iterator[pa.Table], skip: int) -> Iterator[pa.Table]:
    """Drop the first ``skip`` rows of the stream of batches."""
    for batch in batches:
        if skip >= batch.num_rows:
            skip -= batch.num_rows
            continue
        yield batch.slice(skip) if skip else batch
        skip = 0

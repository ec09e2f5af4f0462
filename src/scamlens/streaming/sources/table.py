"""A platform database table polled incrementally, as a never-ending source.

Each poll is one incremental read of :class:`scamlens.sources.DatabaseSource`: rows
whose incremental column (``updated_at`` by default) is at least the stored
high-water mark, or empty. Such a read returns the boundary rows again, so these
micro-batches ask the engine to drop records identical to a stored version
(``dedup``); the drop is exact because a re-read row has the same content, extra
columns (the primary key among them) included.

A read may span several micro-batches. Rows come in primary-key order, not in the
order of the incremental column, so a mark taken in the middle of a read could pass
rows not read yet; every micro-batch but the last of a read therefore commits the mark
the read started from, and the last one commits the new mark. After a crash the read
starts again from the old mark and the repeats are dropped.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import pyarrow as pa
import sqlalchemy as sa

from scamlens.sources import DatabaseSource, Position
from scamlens.streaming.sources.base import Pulled, StreamSource

__all__ = ["TablePollSource"]

logger = logging.getLogger(__name__)


class TablePollSource(StreamSource):
    """Rows of a database table, read again every ``poll_seconds``."""

    kind = "database"

    def __init__(
        self,
        url: str,
        table: str,
        *,
        incremental_column: str = "updated_at",
        poll_seconds: float = 1.0,
    ) -> None:
        self.url = url
        self.table = table
        self.incremental_column = incremental_column
        self.poll_seconds = poll_seconds
        self._position: dict[str, Any] | None = None
        self._source: DatabaseSource | None = None
        self._chunks: Iterator[pa.Table] | None = None
        self._next: pa.Table | None = None
        self._last_read = 0.0
        self._chunk_rows = 0
        # Fails early (unreachable server, missing table or columns).
        self._probe = DatabaseSource(
            url, table, incremental_column=incremental_column, incremental=True
        )

    @property
    def key(self) -> str:
        return self._probe.key

    def describe(self) -> str:
        return self._probe.describe()

    def open(self, position: dict[str, Any] | None) -> None:
        self._position = position

    def _start_read(self, max_records: int) -> None:
        self._source = DatabaseSource(
            self.url,
            self.table,
            incremental_column=self.incremental_column,
            chunk_rows=max_records,
            incremental=True,
        )
        start = None
        if self._position:
            start = Position(dict(self._position))
            start.data["high"] = _typed_mark(self._source, start.data.get("high"))
        self._chunks = self._source.batches(start)
        self._next = next(self._chunks, None)
        self._last_read = time.monotonic()

    def poll(self, max_records: int, max_seconds: float) -> Pulled | None:
        if self._chunks is None:
            wait = self.poll_seconds - (time.monotonic() - self._last_read)
            if wait > 0:
                time.sleep(min(wait, 0.25))
                return None
            self._start_read(max_records)
        chunk = self._next
        if chunk is None:
            self._chunks = None
            return None
        assert self._chunks is not None and self._source is not None
        self._next = next(self._chunks, None)
        if self._next is None:
            after = self._source.next_position()
            self._position = after.data if after is not None else self._position
            self._chunks = None
        position = dict(
            self._position or {"high": None, "column": self.incremental_column}
        )
        return Pulled(
            records=chunk, position=position, items=chunk.num_rows, dedup=True
        )


def _typed_mark(source: DatabaseSource, high: Any) -> Any:
    """The stored mark (JSON text) as a value of the column's own type.

    PostgreSQL will not compare a ``timestamptz`` column with a text parameter, so a
    mark kept as text must become a datetime (or date) again before the next read.
    """
    column = source.table.c.get(source.incremental_column)
    if column is None or not isinstance(high, str):
        return high
    try:
        if isinstance(column.type, sa.DateTime):
            return datetime.fromisoformat(high)
        if isinstance(column.type, sa.Date):
            return date.fromisoformat(high)
    except ValueError:
        logger.warning(
            "stored mark %r of %s is not a time; read as text",
            high,
            source.incremental_column,
        )
    return high

"""A scratch DuckDB engine for one-shot jobs, and the landing of a source into it."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from pathlib import Path

import duckdb

from scamlens.privacy.redact import Redactor
from scamlens.settings import Settings
from scamlens.sources import Source, create_landing, insert_batch
from scamlens.warehouse import connect

__all__ = ["land", "scratch_engine"]

logger = logging.getLogger(__name__)

Progress = Callable[[int], None]


def scratch_engine(settings: Settings) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that spills to a private temp folder."""
    con = connect(None, settings.engine)
    spill = Path(tempfile.mkdtemp(prefix="scamlens-spill-"))
    con.execute(f"SET temp_directory = '{spill}'")
    return con


def land(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    key: bytes,
    *,
    table: str = "_landing",
    in_place: bool = True,
    progress: Progress | None = None,
    first_seq: int = 0,
) -> tuple[str, int]:
    """Make ``source`` readable as a landing relation; return its name and row count.

    Sources DuckDB can scan in place are not copied when ``in_place`` is true.
    """
    if in_place:
        scan = source.scan(con, key)
        if scan is not None:
            count = source.size_hint() or 0
            if progress:
                progress(count)
            return scan, count
    create_landing(con, table, temp=True)
    redactor = Redactor(key)
    seq = first_seq
    for batch in source.batches(None):
        seq += insert_batch(con, table, batch, key=key, first_seq=seq, redactor=redactor)
        if progress:
            progress(batch.num_rows)
    return table, seq - first_seq

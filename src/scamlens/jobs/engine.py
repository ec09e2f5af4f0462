"""A scratch DuckDB engine for one-shot jobs, and the landing of a source into it.

A Parquet file is not copied: DuckDB scans it in place. For that scan the phone
number is *not* pseudonymised in the relation itself (two SHA-256 passes per row
would cost more than all of the cleaning): the relation carries the raw number in
``_raw_phone`` and :class:`scamlens.cleaning.citizens.CitizenKeys` pseudonymises it
only for the few rows whose citizen key is needed, inside the queries. No table,
result, log or export ever holds ``_raw_phone``.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from pathlib import Path

import duckdb

from scamlens.cleaning.citizens import RAW_PHONE
from scamlens.cleaning.parse import quote
from scamlens.contract import COLUMN_NAMES
from scamlens.privacy.redact import Redactor
from scamlens.settings import Settings
from scamlens.sources import ParquetSource, Source, create_landing, insert_batch
from scamlens.warehouse import connect

__all__ = ["deferred_scan", "land", "scratch_engine"]

logger = logging.getLogger(__name__)

Progress = Callable[[int], None]


def scratch_engine(settings: Settings) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that spills to a private temp folder."""
    con = connect(None, settings.engine)
    spill = Path(tempfile.mkdtemp(prefix="scamlens-spill-"))
    con.execute(f"SET temp_directory = '{spill}'")
    return con


def deferred_scan(source: Source) -> str | None:
    """The in-place scan of a Parquet ``source`` with its phone not yet pseudonymised.

    Same columns as :meth:`ParquetSource.scan` (contract columns other than
    ``phone``, then ``_seq``), except that ``citizen_key`` is replaced by the raw
    ``_raw_phone``; None for other sources.
    """
    if not isinstance(source, ParquetSource):
        return None
    path = str(source.path).replace("'", "''")
    contract = set(COLUMN_NAMES)
    keep = [quote(c) for c in source.columns if c in contract and c != "phone"]
    if "phone" in source.columns:
        keep.append(f'"phone" AS {RAW_PHONE}')
    return (
        f"(SELECT {', '.join(keep)}, file_row_number AS _seq "
        f"FROM read_parquet('{path}', file_row_number = true))"
    )


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

    Sources DuckDB can scan in place are not copied when ``in_place`` is true; a
    Parquet file then comes with deferred pseudonyms (see :func:`deferred_scan`).
    """
    if in_place:
        scan = deferred_scan(source) or source.scan(con, key)
        if scan is not None:
            count = source.size_hint() or 0
            if progress:
                progress(count)
            return scan, count
    create_landing(con, table, temp=True)
    redactor = Redactor(key)
    seq = first_seq
    for batch in source.batches(None):
        seq += insert_batch(
            con, table, batch, key=key, first_seq=seq, redactor=redactor
        )
        if progress:
            progress(batch.num_rows)
    return table, seq - first_seq

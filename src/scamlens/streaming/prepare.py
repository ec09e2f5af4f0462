"""Per-record work done before a micro-batch's transaction, off the engine's thread.

Everything a record's landing row and its parsed values depend on is the record
itself (and the pseudonymisation key), so it can be computed before the engine's
transaction, on another DuckDB connection and thread: the JetStream reader does it
while the engine commits the previous micro-batch, which puts the second core to
work. :func:`prepare_records` returns

* ``landing``: the landing row of every record, exactly what
  :func:`scamlens.sources.landing.insert_batch` would store (``citizen_key`` as the
  phone's pseudonym, phone numbers in free text redacted; no raw phone), without
  the read-order number, which only the engine knows;
* ``parsed``: the cleaning layer's :func:`~scamlens.cleaning.parse.parsed_select`
  over those rows (typed values, ``missing_field``, ``bad_field``) plus the local
  day and the id and cap-group hashes the engine keys its bookkeeping on.

``_seq`` in both is the record's position in the batch (0, 1, ...); the engine adds
its first read-order number. The connection is set to the warehouse's session time
zone (Asia/Shanghai): local days and naive timestamps depend on it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa

from scamlens.cleaning.parse import (
    PARSED_COLUMNS,
    local_day_sql,
    parsed_select,
    quote,
)
from scamlens.privacy.redact import Redactor
from scamlens.settings import TIMEZONE
from scamlens.sources.landing import (
    LANDING_COLUMNS,
    STORED_CONTRACT,
    citizen_key_sql,
    redact_free_text,
)

__all__ = [
    "PREPARED_COLUMNS",
    "Prepared",
    "decoder_connection",
    "group_hash_sql",
    "id_hash_sql",
    "prepare_records",
]

logger = logging.getLogger(__name__)

_RAW = "_prepare_raw"
_LANDING_PREFIX = "_landing_"

PREPARED_COLUMNS: tuple[str, ...] = tuple(
    c for c in PARSED_COLUMNS if c != "transcript"
)
"""The parsed columns a prepared batch carries: the engine's verdicts never read the
transcript (it stays in the landing row), so it is not copied a second time."""


@dataclass(frozen=True)
class Prepared:
    """The landing rows and the parsed values of one batch of records."""

    landing: pa.Table
    parsed: pa.Table

    @property
    def num_rows(self) -> int:
        return self.landing.num_rows

    def renumbered(self) -> Prepared:
        """The same rows with ``_seq`` = 0, 1, ... again (after a slice, filter or
        concatenation)."""
        seq = pa.array(np.arange(self.num_rows, dtype=np.int64))
        return Prepared(_with_seq(self.landing, seq), _with_seq(self.parsed, seq))

    def slice(self, offset: int, length: int | None = None) -> Prepared:
        return Prepared(
            self.landing.slice(offset, length), self.parsed.slice(offset, length)
        ).renumbered()

    def filter(self, mask: np.ndarray) -> Prepared:
        keep = pa.array(mask)
        return Prepared(
            self.landing.filter(keep), self.parsed.filter(keep)
        ).renumbered()

    @staticmethod
    def concat(parts: Sequence[Prepared]) -> Prepared:
        return Prepared(
            pa.concat_tables([p.landing for p in parts]),
            pa.concat_tables([p.parsed for p in parts]),
        ).renumbered()


def _with_seq(table: pa.Table, seq: pa.Array) -> pa.Table:
    return table.set_column(table.column_names.index("_seq"), "_seq", seq)


def decoder_connection() -> duckdb.DuckDBPyConnection:
    """An in-memory connection for decoding and preparing: one thread, the session
    time zone of the warehouse."""
    con = duckdb.connect()
    con.execute("SET threads = 1")
    con.execute(f"SET TimeZone = '{TIMEZONE}'")
    return con


def id_hash_sql(prefix: str = "") -> str:
    """64-bit hash of the id for cheap lookups; NULL without an id."""
    return (
        f"(CASE WHEN {prefix}outreach_id IS NOT NULL "
        f"THEN hash({prefix}outreach_id) END)"
    )


def group_hash_sql(prefix: str = "") -> str:
    """64-bit hash of the cap group; NULL when a part of it is missing."""
    parts = f"{prefix}citizen_key, {prefix}_day, {prefix}module"
    return (
        f"(CASE WHEN {prefix}citizen_key IS NOT NULL AND {prefix}_day IS NOT NULL "
        f"AND {prefix}module IS NOT NULL THEN hash({parts}) END)"
    )


def _landing_sql(present: set[str], key: bytes) -> str:
    def col(c: str) -> str:
        return quote(c) if c in present else "NULL"

    select = [
        "_n AS _seq",
        f"{citizen_key_sql(key, col('phone'), col('citizen_id'))} AS citizen_key",
        *(f"CAST({col(c)} AS VARCHAR) AS {quote(c)}" for c in STORED_CONTRACT),
        *(
            f"CAST({col(c)} AS VARCHAR) AS {quote(c)}"
            for c in ("extras", "_malformed", "_row_key")
        ),
    ]
    return f"SELECT {', '.join(select)} FROM {_RAW}"


def _prepared_sql(present: set[str], key: bytes) -> str:
    """One query giving the landing row (columns named ``_landing_<name>``) and the
    parsed values of every record, in batch order.

    The landing subquery is computed once per row (pseudonym included) and read by
    both halves, which costs less than landing to Arrow and parsing that again.
    Without ORDER BY: a projection of one registered table keeps its row order
    (``preserve_insertion_order`` is on for the decoder connection).
    """
    types = {c: "BIGINT" if c == "_seq" else "VARCHAR" for c in LANDING_COLUMNS}
    carried = {_LANDING_PREFIX + c: c for c in LANDING_COLUMNS}
    parsed = parsed_select(
        f"({_landing_sql(present, key)})",
        types,
        columns=PREPARED_COLUMNS,
        passthrough=carried,
    )
    return (
        f"SELECT *, {id_hash_sql()} AS _idh, {group_hash_sql()} AS _gh FROM ("
        f"SELECT *, {local_day_sql('initiated_at')} AS _day FROM ({parsed}))"
    )


def prepare_records(
    con: duckdb.DuckDBPyConnection,
    records: pa.Table,
    *,
    key: bytes,
    redactor: Redactor,
) -> Prepared:
    """Landing rows and parsed values of ``records`` (a text batch), on ``con``
    (whose session time zone becomes the warehouse's: local days depend on it)."""
    con.execute(f"SET TimeZone = '{TIMEZONE}'")
    con.execute("SET preserve_insertion_order = true")
    records = redact_free_text(records, redactor)
    present = set(records.column_names)
    records = records.append_column("_n", pa.array(range(records.num_rows), pa.int64()))
    con.register(_RAW, records)
    try:
        both = con.sql(_prepared_sql(present, key)).to_arrow_table()
    finally:
        con.unregister(_RAW)
    carried = [_LANDING_PREFIX + c for c in LANDING_COLUMNS]
    landing = both.select(carried).rename_columns(list(LANDING_COLUMNS))
    parsed = both.drop_columns(carried)
    return Prepared(landing, parsed)

"""The landing table: raw records as text, pseudonymised, numbered in read order.

Every source writes into a landing table of the same shape: the contract columns as
VARCHAR (``phone`` replaced by ``citizen_key``), ``extras`` (other columns, as JSON),
``_malformed`` (the redacted raw text of a row that could not be split into fields),
``_row_key`` (the primary key of a database row, so that re-reading it is recognised)
and ``_seq`` (a global read-order number). The door is :func:`insert_batch`: the raw
phone number is turned into its pseudonym inside the INSERT and never stored.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from scamlens.cleaning.parse import quote
from scamlens.contract import COLUMN_NAMES
from scamlens.privacy import pseudonym_sql
from scamlens.privacy.redact import PHONE_PREFILTER, Redactor

__all__ = [
    "LANDING_COLUMNS",
    "create_landing",
    "citizen_key_sql",
    "insert_batch",
    "redact_free_text",
    "to_text_batch",
]

logger = logging.getLogger(__name__)

STORED_CONTRACT = tuple(c for c in COLUMN_NAMES if c != "phone")
LANDING_COLUMNS: tuple[str, ...] = (
    "_seq",
    "citizen_key",
    *STORED_CONTRACT,
    "extras",
    "_malformed",
    "_row_key",
)


def create_landing(con: duckdb.DuckDBPyConnection, table: str, *, temp: bool) -> None:
    """Create the landing table ``table`` if it does not exist."""
    cols = ", ".join(
        f"{quote(c)} BIGINT" if c == "_seq" else f"{quote(c)} VARCHAR"
        for c in LANDING_COLUMNS
    )
    kind = "TEMP TABLE" if temp else "TABLE"
    con.execute(f"CREATE {kind} IF NOT EXISTS {table} ({cols})")


def citizen_key_sql(key: bytes, phone: str, citizen_id: str) -> str:
    """The citizen key: the phone's pseudonym, else the given citizen_id."""
    digits = f"regexp_replace(coalesce({phone}, ''), '[^0-9]', '', 'g')"
    return (
        f"(CASE WHEN {digits} <> '' THEN {pseudonym_sql(key, phone)} "
        f"ELSE NULLIF(trim({citizen_id}), '') END)"
    )


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return repr(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def to_text_batch(
    rows: Sequence[dict[str, object]], malformed: Sequence[str | None]
) -> pa.Table:
    """Build a text batch from parsed rows (for JSON Lines and databases).

    ``malformed[i]`` is the redacted raw text of row ``i`` when it could not be read
    as a record (its dict is then empty).
    """
    columns: dict[str, list[str | None]] = {c: [] for c in COLUMN_NAMES}
    extras: list[str | None] = []
    for row in rows:
        other = {}
        for name in COLUMN_NAMES:
            columns[name].append(_text(row.get(name)))
        for name, value in row.items():
            if name not in columns:
                other[name] = value
        extras.append(
            json.dumps(other, ensure_ascii=False, default=str) if other else None
        )
    table = {name: pa.array(values, pa.string()) for name, values in columns.items()}
    table["extras"] = pa.array(extras, pa.string())
    table["_malformed"] = pa.array(list(malformed), pa.string())
    return pa.table(table)


_FREE_TEXT = ("transcript", "extras")


def redact_free_text(batch: pa.Table, redactor: Redactor) -> pa.Table:
    """Replace phone numbers inside free-text columns with their pseudonyms."""
    for name in _FREE_TEXT:
        if name not in batch.column_names:
            continue
        column = batch[name]
        hits = pc.match_substring_regex(column, PHONE_PREFILTER)
        if not pc.any(hits).as_py():
            continue
        values = [
            redactor.redact(v) if v is not None and hit else v
            for v, hit in zip(column.to_pylist(), hits.to_pylist(), strict=True)
        ]
        index = batch.column_names.index(name)
        batch = batch.set_column(index, name, pa.array(values, pa.string()))
    return batch


def insert_batch(
    con: duckdb.DuckDBPyConnection,
    table: str,
    batch: pa.Table,
    *,
    key: bytes,
    first_seq: int,
    redactor: Redactor | None = None,
) -> int:
    """Append ``batch`` (text columns, may lack optional ones) to ``table``.

    Rows are numbered from ``first_seq`` in batch order. Returns the row count.
    """
    if batch.num_rows == 0:
        return 0
    if redactor is not None:
        batch = redact_free_text(batch, redactor)
    present = set(batch.column_names)
    batch = batch.append_column("_n", pa.array(range(batch.num_rows), pa.int64()))
    name = f"_batch_{id(batch)}"
    con.register(name, batch)

    def col(c: str) -> str:
        return quote(c) if c in present else "NULL"

    select = [
        f"{first_seq} + _n",
        citizen_key_sql(key, col("phone"), col("citizen_id")),
        *(f"CAST({col(c)} AS VARCHAR)" for c in STORED_CONTRACT),
        f"CAST({col('extras')} AS VARCHAR)",
        f"CAST({col('_malformed')} AS VARCHAR)",
        f"CAST({col('_row_key')} AS VARCHAR)",
    ]
    try:
        con.execute(
            f"INSERT INTO {table} ({', '.join(quote(c) for c in LANDING_COLUMNS)}) "
            f"SELECT {', '.join(select)} FROM {name}"
        )
    finally:
        con.unregister(name)
    return batch.num_rows

"""JSON messages → text batches of the landing shape, mostly without Python loops.

A message is one outreach record as a JSON object whose keys follow the record
contract. The batch layer reads JSON Lines with ``json.loads`` and
:func:`scamlens.sources.landing.to_text_batch`; at stream rates a Python loop per
record would be the bottleneck, so the common case goes through DuckDB's JSON
functions instead, and only unusual messages take the batch layer's own Python path.

A message takes the Python path when a cheap Arrow test cannot rule out that the
two paths would disagree: it does not parse as a JSON object in DuckDB (the Python
path then decides between a record and ``malformed_record``, exactly as for JSON
Lines), it may carry keys outside the contract (they belong in ``extras``) or
repeated keys, or a value may be an object, an array, a number in exponent form or
a NaN/Infinity (DuckDB and Python spell those differently as text). The test counts
``":`` occurrences: every key contributes one, so when their number equals the contract
keys found plus the contract keys holding ``null``, there is nothing else.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from scamlens.contract import COLUMN_NAMES
from scamlens.privacy.redact import Redactor
from scamlens.sources.landing import to_text_batch

__all__ = ["decode_json_messages", "payload_texts"]

logger = logging.getLogger(__name__)

_KEY_MARK = '":'
_CONTRACT_NULL = '"(?:' + "|".join(COLUMN_NAMES) + r')":\s*null'
_SPECIAL_VALUE = r'":\s*(?:[\[{]|-?[0-9.]+[eE]|-?(?:NaN|Infinity))'
_PATHS = "[" + ", ".join(f"'$.\"{name}\"'" for name in COLUMN_NAMES) + "]"
_VIEW = "_stream_messages"


def payload_texts(payloads: Sequence[bytes]) -> pa.Array:
    """Message bodies as an Arrow string array (invalid UTF-8 replaced, rarely)."""
    binary = pa.array(payloads, pa.binary())
    try:
        return binary.cast(pa.string())
    except pa.ArrowInvalid:
        return pa.array(
            [p.decode("utf-8", errors="replace") for p in payloads], pa.string()
        )


def _fast_columns(con: duckdb.DuckDBPyConnection, texts: pa.Array) -> pa.Table:
    """Contract columns extracted by DuckDB; all NULL where the text is no object."""
    columns = ", ".join(f"v[{i + 1}] AS {name}" for i, name in enumerate(COLUMN_NAMES))
    con.register(_VIEW, pa.table({"p": texts}))
    try:
        return con.sql(
            f"SELECT (v IS NOT NULL AND starts_with(ltrim(p, ' \t\n\r'), '{{')) "
            f"AS _object, {columns} FROM (SELECT p, "
            f"TRY(json_extract_string(p, {_PATHS})) AS v FROM {_VIEW})"
        ).to_arrow_table()
    finally:
        con.unregister(_VIEW)


def _needs_python(texts: pa.Array, fast: pa.Table) -> np.ndarray:
    """Mask of the messages the DuckDB path cannot be trusted with."""
    keys = pc.count_substring(texts, _KEY_MARK).to_numpy(zero_copy_only=False)
    nulls = pc.count_substring_regex(texts, _CONTRACT_NULL).to_numpy(
        zero_copy_only=False
    )
    special = pc.match_substring_regex(texts, _SPECIAL_VALUE).to_numpy(
        zero_copy_only=False
    )
    present = np.zeros(len(texts), dtype=np.int64)
    for name in COLUMN_NAMES:
        present += pc.is_valid(fast[name]).to_numpy(zero_copy_only=False)
    is_object = fast["_object"].to_numpy(zero_copy_only=False)
    return np.asarray(~is_object | special | (keys != present + nulls), dtype=bool)


def _python_path(texts: list[str], redactor: Redactor) -> pa.Table:
    """The batch layer's reading of each text: a record, or a malformed row."""
    rows: list[dict[str, object]] = []
    malformed: list[str | None] = []
    for text in texts:
        try:
            value = json.loads(text)
        except (json.JSONDecodeError, RecursionError):
            value = None
        if isinstance(value, dict):
            rows.append(value)
            malformed.append(None)
        else:
            rows.append({})
            malformed.append(redactor.redact(text))
    return to_text_batch(rows, malformed)


def decode_json_messages(
    con: duckdb.DuckDBPyConnection, texts: pa.Array, redactor: Redactor
) -> pa.Table:
    """Text batch (contract columns, ``extras``, ``_malformed``) of ``texts``.

    Row ``i`` of the result is message ``i``. Raw phone numbers are still present in
    ``phone``: the landing door (``insert_batch``) pseudonymises them.
    """
    fast = _fast_columns(con, texts)
    slow = _needs_python(texts, fast)
    fast = fast.drop_columns(["_object"])
    fast = fast.append_column("extras", pa.nulls(len(fast), pa.string()))
    fast = fast.append_column("_malformed", pa.nulls(len(fast), pa.string()))
    if not slow.any():
        return fast
    where = np.flatnonzero(slow)
    logger.debug("messages on the python path: %d of %d", where.size, len(texts))
    slow_texts = texts.take(pa.array(where)).to_pylist()
    python = _python_path(slow_texts, redactor).select(fast.column_names)
    kept = np.flatnonzero(~slow)
    merged = pa.concat_tables([fast.take(pa.array(kept)), python])
    order = np.argsort(np.concatenate([kept, where]), kind="stable")
    return merged.take(pa.array(order))

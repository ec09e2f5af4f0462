"""JSON messages → text batches of the landing shape, mostly without Python loops.

A message holds one outreach record as a JSON object whose keys follow the record
contract, or many records (:func:`split_messages`): a JSON array with at least one
object in it (each element is a record), or JSON Lines (each non-blank line is a
record). The batch layer reads JSON Lines with ``json.loads`` and
:func:`scamlens.sources.landing.to_text_batch`; at stream rates a Python loop per
record would be the bottleneck, so the common case goes through DuckDB's JSON
functions instead, and only unusual messages take the batch layer's own Python path.

A message takes the Python path when a cheap Arrow test cannot rule out that the
two paths would disagree: it does not parse as a JSON object in DuckDB (the Python
path then decides between a record and ``malformed_record``, exactly as for JSON
Lines), it may carry keys outside the contract (they belong in ``extras``) or
repeated keys, or a value may be an object, an array, a number in exponent form or
a NaN/Infinity (DuckDB and Python spell those differently as text). DuckDB counts
the object's keys (``json_keys``, repeats included) and the contract keys present
(``json_type``, ``null`` included): when both numbers agree, there is nothing else.
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

__all__ = ["decode_json_messages", "payload_texts", "split_messages"]

logger = logging.getLogger(__name__)

_SPECIAL_VALUE = r'":\s*(?:[\[{]|-?[0-9.]+[eE]|-?(?:NaN|Infinity))'
_PATHS = "[" + ", ".join(f"'$.\"{name}\"'" for name in COLUMN_NAMES) + "]"
_VIEW = "_stream_messages"
_ELEMENTS = "TRY(json_extract(p, '$[*]'))"
_FLOAT_TOKEN = r"[:\[,]\s*-?(?:[0-9]+(?:\.[0-9]|[eE])|NaN|Infinity)"


def payload_texts(payloads: Sequence[bytes]) -> pa.Array:
    """Message bodies as an Arrow string array (invalid UTF-8 replaced, rarely)."""
    binary = pa.array(payloads, pa.binary())
    try:
        return binary.cast(pa.string())
    except pa.ArrowInvalid:
        return pa.array(
            [p.decode("utf-8", errors="replace") for p in payloads], pa.string()
        )


def split_messages(
    con: duckdb.DuckDBPyConnection, texts: pa.Array
) -> tuple[pa.Array, np.ndarray]:
    """The record texts of every message, in order, and how many each message holds.

    A message body is, in this order of tests:

    * a JSON array holding at least one object: each element is one record (an
      element that is no object becomes a ``malformed_record``); the element's text
      is DuckDB's rewriting of it, or Python's for an array that may hold a float
      (the values the JSON Lines reader would see; ``1.50`` reads ``1.5``);
    * any other valid JSON (an object, even across lines; ``[1, 2]``; ``null``):
      one record, as before;
    * several non-blank lines: JSON Lines, one record per non-blank line, exactly
      as the batch layer reads a JSON Lines file (a broken line is malformed);
    * anything else: one record (malformed, with its raw text).

    Every message holds at least one record, so no message goes unaccounted for.
    Bodies without a newline that do not start with ``[`` are not looked at; the
    lines are split with Arrow kernels, and only bodies of several lines or
    starting with ``[`` are validated as JSON (by DuckDB).
    """
    n = len(texts)
    counts = np.ones(n, dtype=np.int64)
    if n == 0:
        return texts, counts
    is_array = _mask(pc.starts_with(pc.utf8_ltrim_whitespace(texts), "["))
    has_lines = _mask(pc.match_substring(texts, "\n")) & ~is_array
    if not (is_array.any() or has_lines.any()):
        return texts, counts
    pieces: list[tuple[np.ndarray, np.ndarray, pa.Array]] = []
    split = np.zeros(n, dtype=bool)
    where = np.flatnonzero(is_array)
    if where.size:
        bodies = texts.take(pa.array(where))
        # DuckDB rewrites numbers its own way (1e+16 as 10000000000000000.0), and
        # an id is text: arrays that may hold a float are taken apart by Python.
        floats = _mask(pc.match_substring_regex(bodies, _FLOAT_TOKEN))
        elements = pa.concat_arrays(
            [
                _array_elements(con, bodies.filter(pa.array(~floats))),
                _python_elements(bodies.filter(pa.array(floats)).to_pylist()),
            ]
        )
        where = np.concatenate([where[~floats], where[floats]])
        lengths = _mask_counts(elements)
        found = lengths > 0
        if found.any():
            split[where[found]] = True
            counts[where[found]] = lengths[found]
            owner = np.repeat(where[found], lengths[found])
            flat = pc.list_flatten(elements.filter(pa.array(found)))
            pieces.append((owner, _ranks(lengths[found]), flat))
    where = np.flatnonzero(has_lines)
    if where.size:
        lists = pc.split_pattern(texts.take(pa.array(where)), "\n")
        flat = pc.list_flatten(lists)
        parent = pc.list_parent_indices(lists).to_numpy(zero_copy_only=False)
        # A line is blank when empty or all whitespace (Python's str.strip()).
        kept = ~_mask(
            pc.or_(pc.equal(pc.binary_length(flat), 0), pc.utf8_is_space(flat))
        )
        lines = np.bincount(parent[kept], minlength=where.size)
        several = np.flatnonzero(lines > 1)
        if several.size:
            valid = _json_valid(con, texts.take(pa.array(where[several])))
            several = several[~valid]
        if several.size:
            chosen = np.zeros(where.size, dtype=bool)
            chosen[several] = True
            take = np.flatnonzero(kept & chosen[parent])
            split[where[several]] = True
            counts[where[several]] = lines[several]
            pieces.append(
                (where[parent[take]], _ranks(lines[several]), flat.take(take))
            )
    whole = np.flatnonzero(~split)
    pieces.append((whole, np.zeros(whole.size, dtype=np.int64), texts.take(whole)))
    owner = np.concatenate([p[0] for p in pieces])
    rank = np.concatenate([p[1] for p in pieces])
    values = pa.concat_arrays([p[2].cast(pa.string()) for p in pieces])
    order = np.lexsort((rank, owner))
    return values.take(pa.array(order)), counts


def _mask(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A boolean Arrow result as a numpy mask (NULL is False)."""
    filled = pc.fill_null(values, False)
    return np.asarray(filled.to_numpy(zero_copy_only=False), dtype=bool)


def _mask_counts(lists: pa.Array) -> np.ndarray:
    """List lengths, 0 for NULL lists."""
    lengths = pc.fill_null(pc.list_value_length(lists), 0)
    return np.asarray(lengths.to_numpy(zero_copy_only=False), dtype=np.int64)


def _ranks(lengths: np.ndarray) -> np.ndarray:
    """0..len-1 for each length, concatenated."""
    total = int(lengths.sum())
    starts = np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.arange(total, dtype=np.int64) - starts


def _array_elements(con: duckdb.DuckDBPyConnection, texts: pa.Array) -> pa.Array:
    """The elements (as JSON text) of each text that is a valid JSON array holding
    at least one object; NULL for every other text."""
    con.register(_VIEW, pa.table({"p": texts}))
    try:
        table = con.sql(
            f"SELECT CASE WHEN len(list_filter({_ELEMENTS}, "
            "lambda e: json_type(e) = 'OBJECT')) > 0 "
            f"THEN CAST({_ELEMENTS} AS VARCHAR[]) END AS parts FROM {_VIEW}"
        ).to_arrow_table()
    finally:
        con.unregister(_VIEW)
    return table["parts"].combine_chunks()


def _python_elements(bodies: list[str]) -> pa.Array:
    """:func:`_array_elements` by Python's reading (the batch layer's): elements
    written back with ``json.dumps``, which keeps every value as Python read it."""
    parts: list[list[str] | None] = []
    for body in bodies:
        try:
            value = json.loads(body)
        except (json.JSONDecodeError, RecursionError):
            value = None
        if isinstance(value, list) and any(isinstance(e, dict) for e in value):
            parts.append([json.dumps(e, ensure_ascii=False) for e in value])
        else:
            parts.append(None)
    return pa.array(parts, pa.list_(pa.string()))


def _json_valid(con: duckdb.DuckDBPyConnection, texts: pa.Array) -> np.ndarray:
    """Mask of the texts that are one valid JSON value (in DuckDB's reading)."""
    con.register(_VIEW, pa.table({"p": texts}))
    try:
        table = con.sql(
            f"SELECT coalesce(TRY(json_valid(p)), false) AS ok FROM {_VIEW}"
        ).to_arrow_table()
    finally:
        con.unregister(_VIEW)
    return _mask(table["ok"])


def _fast_columns(con: duckdb.DuckDBPyConnection, texts: pa.Array) -> pa.Table:
    """Contract columns extracted by DuckDB; all NULL where the text is no object.

    ``_keys`` counts the object's keys (repeats included) and ``_found`` the
    contract keys among them (holding ``null`` or not).
    """
    columns = ", ".join(f"v[{i + 1}] AS {name}" for i, name in enumerate(COLUMN_NAMES))
    con.register(_VIEW, pa.table({"p": texts}))
    try:
        return con.sql(
            f"SELECT (v IS NOT NULL AND starts_with(ltrim(p, ' \t\n\r'), '{{')) "
            f"AS _object, {columns}, _keys, _found FROM (SELECT p, "
            f"TRY(json_extract_string(p, {_PATHS})) AS v, "
            "TRY(len(json_keys(p))) AS _keys, "
            f"TRY(len(list_filter(json_type(p, {_PATHS}), "
            "lambda t: t IS NOT NULL))) AS _found "
            f"FROM {_VIEW})"
        ).to_arrow_table()
    finally:
        con.unregister(_VIEW)


def _needs_python(texts: pa.Array, fast: pa.Table) -> np.ndarray:
    """Mask of the messages the DuckDB path cannot be trusted with."""
    special = pc.match_substring_regex(texts, _SPECIAL_VALUE).to_numpy(
        zero_copy_only=False
    )
    keys = pc.fill_null(fast["_keys"], -1).to_numpy()
    found = pc.fill_null(fast["_found"], -2).to_numpy()
    is_object = fast["_object"].to_numpy(zero_copy_only=False)
    return np.asarray(~is_object | special | (keys != found), dtype=bool)


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
    fast = fast.drop_columns(["_object", "_keys", "_found"])
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

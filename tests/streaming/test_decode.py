"""Decoding JSON messages agrees with the batch layer's JSON Lines reading."""

from __future__ import annotations

import json

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scamlens.contract import COLUMN_NAMES
from scamlens.privacy.redact import Redactor
from scamlens.sources.landing import to_text_batch
from scamlens.streaming.decode import decode_json_messages, payload_texts

from .conftest import KEY

REDACTOR = Redactor(KEY)


def _reference(texts: list[str]) -> pa.Table:
    """What ``JsonLinesSource`` makes of the same lines."""
    rows, malformed = [], []
    for text in texts:
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            value = None
        if isinstance(value, dict):
            rows.append(value)
            malformed.append(None)
        else:
            rows.append({})
            malformed.append(REDACTOR.redact(text))
    return to_text_batch(rows, malformed)


_CON = duckdb.connect()


def _decode(texts: list[str]) -> pa.Table:
    return decode_json_messages(
        _CON, payload_texts([t.encode() for t in texts]), REDACTOR
    )


@pytest.mark.parametrize(
    "text",
    [
        '{"outreach_id": "OR-1", "age": 35, "connected": true, "talk_seconds": 1.5}',
        '{"outreach_id":"OR-1","age":null,"gender":null}',  # nulls, no spaces
        '{"outreach_id": "OR-1", "site": "Hangzhou"}',  # an extra column
        '{"outreach_id": "OR-1", "outreach_id": "OR-2"}',  # a repeated key
        '{"outreach_id": {"nested": [1, 2]}, "age": [3]}',  # objects and arrays
        '{"age": 1e-5, "talk_seconds": 1E400}',  # exponents, infinity
        '{"transcript": "he said \\"age\\": null to me"}',  # key-like text
        '{"age": NaN}',  # Python reads NaN, DuckDB does not
        "[1, 2]",
        '"text"',
        "not json 13812345678",
        "",
        '  {"outreach_id": "OR-3"}  ',
        '{"outreach_id": "\\u00e9\\n"}',
    ],
)
def test_decoding_matches_the_json_lines_reader(text: str) -> None:
    assert _decode([text]).to_pylist() == _reference([text]).to_pylist()


_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.lists(st.integers(), max_size=2),
)
_KEYS = st.sampled_from([*COLUMN_NAMES, "extra", "x"])


@settings(max_examples=100, deadline=None)
@given(st.lists(st.dictionaries(_KEYS, _VALUES, max_size=8), min_size=1, max_size=6))
def test_any_object_decodes_like_the_json_lines_reader(
    records: list[dict[str, object]],
) -> None:
    texts = [json.dumps(r, ensure_ascii=False) for r in records]
    assert _decode(texts).to_pylist() == _reference(texts).to_pylist()


def test_row_order_survives_mixing_fast_and_python_paths() -> None:
    texts = [
        '{"outreach_id": "A"}',
        "broken",
        '{"outreach_id": "B", "other": 1}',
        '{"outreach_id": "C"}',
    ]
    decoded = _decode(texts)
    assert decoded.column("outreach_id").to_pylist() == ["A", None, "B", "C"]
    assert decoded.column("extras").to_pylist() == [None, None, '{"other": 1}', None]
    assert decoded.column("_malformed").to_pylist() == [None, "broken", None, None]


def test_invalid_utf8_is_kept_as_malformed_text() -> None:
    texts = payload_texts([b'{"outreach_id": "A"}', b"\xff\xfe broken"])
    decoded = decode_json_messages(duckdb.connect(), texts, REDACTOR)
    assert decoded.column("outreach_id").to_pylist() == ["A", None]
    assert decoded.column("_malformed").to_pylist()[1].endswith("broken")

"""Decoding JSON messages agrees with the batch layer's JSON Lines reading."""

from __future__ import annotations

import json

import duckdb
import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scamlens.contract import COLUMN_NAMES
from scamlens.privacy.redact import Redactor
from scamlens.sources.landing import to_text_batch
from scamlens.streaming.decode import (
    decode_json_messages,
    payload_texts,
    split_messages,
)

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
        '{"outreach\\u005fid": "OR-1", "modul\\u0065": "sms"}',  # escaped keys
        '{"outreach_id": "OR-1", "outreach\\u005fid": "OR-2"}',  # repeat, escaped
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


# -- messages carrying many records ---------------------------------------------------


def _split(bodies: list[str]) -> tuple[list[str], list[int]]:
    texts, counts = split_messages(_CON, payload_texts([b.encode() for b in bodies]))
    return texts.to_pylist(), counts.tolist()


def test_json_lines_and_arrays_split_into_their_records() -> None:
    texts, counts = _split(
        [
            '{"outreach_id": "A"}',
            '{"outreach_id": "B"}\n\n{"outreach_id": "C"}\r\n  \n{broken\n',
            '[{"outreach_id": "D"}, 5, {"outreach_id": "E"}]',
            '{"outreach_id": "F"}\n',
        ]
    )
    assert counts == [1, 3, 3, 1]
    assert texts == [
        '{"outreach_id": "A"}',
        '{"outreach_id": "B"}',
        '{"outreach_id": "C"}\r',
        "{broken",
        '{"outreach_id":"D"}',
        "5",
        '{"outreach_id":"E"}',
        '{"outreach_id": "F"}\n',
    ]


@pytest.mark.parametrize(
    "body",
    [
        "[1, 2, 3]",  # an array without objects is one (malformed) record
        "[]",
        '[{"outreach_id": "A"}',  # a broken array: one malformed record
        '{\n  "outreach_id": "A",\n  "age": 3\n}',  # one object over several lines
        "null",
        "\n\n",
        "",
        "{broken",
    ],
)
def test_a_body_that_is_no_batch_stays_one_record(body: str) -> None:
    texts, counts = _split([body])
    assert counts == [1]
    assert texts == [body]


def test_malformed_records_inside_a_batch_keep_their_redacted_text() -> None:
    body = '{"outreach_id": "A"}\ncall me on 13812345678\n[1, 2]\n{"outreach_id": "B"'
    texts, counts = _split([body])
    assert counts == [4]
    decoded = _decode(texts)
    assert decoded.column("outreach_id").to_pylist() == ["A", None, None, None]
    malformed = decoded.column("_malformed").to_pylist()
    assert malformed[0] is None
    assert malformed[1].startswith("call me on <phone:")
    assert "13812345678" not in malformed[1]
    assert malformed[2:] == ["[1, 2]", '{"outreach_id": "B"']


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.dictionaries(_KEYS, _VALUES, max_size=8), min_size=1, max_size=12),
    st.integers(1, 5),
)
def test_records_in_batch_messages_decode_like_the_json_lines_reader(
    records: list[dict[str, object]], per_message: int
) -> None:
    lines = [json.dumps(r, ensure_ascii=False) for r in records]
    groups = [lines[i : i + per_message] for i in range(0, len(lines), per_message)]
    as_lines = ["\n".join(g) for g in groups]
    as_arrays = ["[" + ", ".join(g) + "]" for g in groups]
    for bodies in (as_lines, as_arrays):
        texts, counts = _split(bodies)
        assert counts == [len(g) for g in groups]
        assert _decode(texts).to_pylist() == _reference(lines).to_pylist()


def test_a_micro_batch_never_parts_the_records_of_one_message() -> None:
    from scamlens.streaming.sources.jetstream import _Chunk

    records = pa.table({"outreach_id": [f"OR-{i}" for i in range(6)]})
    chunk = _Chunk(
        [11, 12, 13], [b"r11", b"r12", b"r13"], np.array([1, 3, 2]), records, None, 0.0
    )
    head, tail = chunk.split(3)  # the second message would not fit: it waits
    assert (head.seqs, head.size, tail.seqs, tail.size) == ([11], 1, [12, 13], 5)
    head, tail = chunk.split(4)
    assert (head.seqs, head.size, tail.seqs, tail.size) == ([11, 12], 4, [13], 2)
    assert tail.records.column("outreach_id").to_pylist() == ["OR-4", "OR-5"]
    head, tail = tail.split(1)  # a message bigger than wanted still goes whole
    assert (head.seqs, head.size, tail.seqs, tail.size) == ([13], 2, [], 0)

"""Records prepared off the engine's thread equal what the landing door stores."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from scamlens.cleaning.parse import parsed_select
from scamlens.privacy.redact import Redactor
from scamlens.sources.landing import LANDING_COLUMNS, create_landing, insert_batch
from scamlens.streaming.decode import decode_json_messages, payload_texts
from scamlens.streaming.prepare import (
    PREPARED_COLUMNS,
    Prepared,
    decoder_connection,
    prepare_records,
)
from scamlens.warehouse import connect

from .conftest import KEY, records_json

REDACTOR = Redactor(KEY)
LINES = [
    records_json(outreach_id="OR-1"),
    records_json(outreach_id="OR-2", phone=None, citizen_id=" C-9 "),
    records_json(outreach_id="OR-3", transcript="call 13912345678 back", age="abc"),
    records_json(outreach_id="OR-4", initiated_at="2025-03-03T23:30:00"),
    "not json 13800138000",
]


def _records() -> pa.Table:
    texts = payload_texts([line.encode() for line in LINES])
    return decode_json_messages(decoder_connection(), texts, REDACTOR)


def test_prepared_landing_rows_equal_what_insert_batch_stores() -> None:
    records = _records()
    prepared = prepare_records(
        decoder_connection(), records, key=KEY, redactor=REDACTOR
    )
    con = connect(None)
    create_landing(con, "landed", temp=True)
    insert_batch(con, "landed", records, key=KEY, first_seq=0, redactor=REDACTOR)
    stored = con.sql("SELECT * FROM landed ORDER BY _seq").to_arrow_table()
    assert prepared.landing.column_names == list(LANDING_COLUMNS)
    assert prepared.landing.to_pylist() == stored.to_pylist()
    assert "13912345678" not in str(prepared.landing.to_pylist())
    assert "13800138000" not in str(prepared.landing.to_pylist())

    # The parsed values are the cleaning layer's reading of the stored rows, with the
    # local day (a naive time is Shanghai time) and the lookup hashes added; the
    # transcript stays in the landing row only.
    types = {c: "BIGINT" if c == "_seq" else "VARCHAR" for c in LANDING_COLUMNS}
    select = parsed_select("landed", types, columns=PREPARED_COLUMNS)
    expected = con.sql(f"SELECT * FROM ({select}) ORDER BY _seq").to_arrow_table()
    parsed = prepared.parsed
    assert "transcript" not in parsed.column_names
    assert parsed.column_names[: expected.num_columns] == expected.column_names
    assert parsed.select(expected.column_names).to_pylist() == expected.to_pylist()
    days = [str(d) if d else None for d in parsed.column("_day").to_pylist()]
    assert days == ["2025-03-03"] * 4 + [None]
    ids = parsed.column("_idh").to_pylist()
    assert len(set(ids[:4])) == 4 and ids[4] is None


def test_slices_filters_and_concatenations_renumber_the_batch() -> None:
    prepared = prepare_records(
        decoder_connection(), _records(), key=KEY, redactor=REDACTOR
    )
    head, tail = prepared.slice(0, 2), prepared.slice(2)
    joined = Prepared.concat([tail, head])
    assert joined.landing.column("_seq").to_pylist() == [0, 1, 2, 3, 4]
    assert joined.parsed.column("_seq").to_pylist() == [0, 1, 2, 3, 4]
    assert joined.parsed.column("outreach_id").to_pylist() == [
        "OR-3",
        "OR-4",
        None,
        "OR-1",
        "OR-2",
    ]
    kept = prepared.filter(np.array([False, True, False, True, True]))
    assert kept.landing.column("_seq").to_pylist() == [0, 1, 2]
    assert kept.landing.column("outreach_id").to_pylist() == ["OR-2", "OR-4", None]
    assert kept.parsed.column("outreach_id").to_pylist() == ["OR-2", "OR-4", None]

"""Fixtures of the streaming tests: engines on fresh warehouses, batch references."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from scamlens.jobs.metrics import compute_metrics
from scamlens.privacy import resolve_key
from scamlens.privacy.redact import Redactor
from scamlens.settings import Settings
from scamlens.sources import JsonLinesSource
from scamlens.streaming.config import StreamConfig
from scamlens.streaming.decode import decode_json_messages, payload_texts
from scamlens.streaming.engine import MicroBatch, StreamEngine
from scamlens.streaming.prepare import decoder_connection, prepare_records
from scamlens.warehouse import connect

# The root conftest's settings carry this key (SCAMLENS_HMAC_KEY); the batch
# reference and the engines must pseudonymise alike.
KEY = b"test-key-0123456789abcdef-not-secret"

EngineFactory = Callable[..., tuple[duckdb.DuckDBPyConnection, StreamEngine]]


@pytest.fixture
def make_engine(settings: Settings) -> Iterator[EngineFactory]:
    """A stream engine on a fresh in-memory warehouse (detection off by default)."""
    assert resolve_key(settings) == KEY
    opened: list[duckdb.DuckDBPyConnection] = []

    def build(**changes: Any) -> tuple[duckdb.DuckDBPyConnection, StreamEngine]:
        clock = changes.pop("clock", None)
        changes.setdefault("detection", None)
        anomaly = changes.pop("anomaly", None)
        con = connect(None)
        opened.append(con)
        config = StreamConfig(**changes)
        extra = {"clock": clock} if clock else {}
        engine = StreamEngine(
            con, config, settings.cleaning, key=KEY, anomaly=anomaly, **extra
        )
        return con, engine

    yield build
    for con in opened:
        con.close()


def feed(
    engine: StreamEngine,
    lines: Sequence[str],
    sizes: Sequence[int],
    *,
    decoder: duckdb.DuckDBPyConnection | None = None,
) -> None:
    """Send ``lines`` as JSON messages in micro-batches of the given sizes."""
    decoder = decoder or decoder_connection()
    redactor = Redactor(KEY)
    start = 0
    for n, size in enumerate(sizes):
        chunk = lines[start : start + size]
        if not chunk:
            break
        texts = payload_texts([line.encode() for line in chunk])
        records = decode_json_messages(decoder, texts, redactor)
        start += len(chunk)
        # Every other micro-batch comes prepared off the engine's thread, as the
        # JetStream reader does it; the others land through insert_batch.
        prepared = (
            prepare_records(decoder, records, key=KEY, redactor=redactor)
            if n % 2 == 0
            else None
        )
        engine.process(
            MicroBatch("test", "test", {"batch": n}, records, prepared=prepared)
        )


def batch_counts(
    settings: Settings,
    lines: Sequence[str],
    dims: Sequence[str],
    as_of: datetime,
    tmp_path: Path,
) -> pa.Table:
    """``scamlens metrics`` counts of the same records, read as JSON Lines."""
    path = tmp_path / "records.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    source = JsonLinesSource(path, redactor=Redactor(KEY))
    return compute_metrics(source, dims, settings, as_of).counts


def by_group(
    table: pa.Table, dims: Sequence[str]
) -> dict[tuple[Any, ...], tuple[int, ...]]:
    """Counts keyed by the breakdown values."""
    counts = ("initiated", "succeeded", "accurate", "victims", "publicity")
    rows = table.to_pylist()
    return {tuple(r[d] for d in dims): tuple(int(r[c]) for c in counts) for r in rows}


def records_json(**fields: Any) -> str:
    """One clean record as JSON, overridden by ``fields``."""
    record = {
        "outreach_id": "OR-1",
        "phone": "13800138000",
        "channel": "voice",
        "module": "warning",
        "fraud_type": "fake_loan",
        "region_code": "330106",
        "age": "40",
        "gender": "F",
        "initiated_at": "2025-03-03T10:00:00+08:00",
        "connected": "true",
        "talk_seconds": "30",
        "content_seconds": "60",
        "played_seconds": "60",
        "confirmed_accurate": "true",
        "reported_defrauded": "false",
        "updated_at": "2025-03-03T10:01:00+08:00",
    }
    record.update(fields)
    return json.dumps({k: v for k, v in record.items() if v is not None})

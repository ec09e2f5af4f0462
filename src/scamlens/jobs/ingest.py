"""Ingestion: new records from a source into the warehouse, in one transaction.

Only what changed since the source's stored position is read. A new version that is
identical to the latest stored version of the same ``outreach_id`` is not stored
again (re-reading the boundary of an incremental read, or the same export twice).
The batches, the position and the ingest log are committed together: a failure in
the middle leaves the warehouse as it was, with everything ingested before intact.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from scamlens.cleaning.parse import quote
from scamlens.jobs.labelling import Labeller
from scamlens.privacy.redact import Redactor
from scamlens.sources import Position, Source, create_landing, insert_batch
from scamlens.sources.files import FileSource
from scamlens.sources.landing import LANDING_COLUMNS, STORED_CONTRACT
from scamlens.warehouse.keycheck import check_key
from scamlens.warehouse.schema import ensure_schema

__all__ = ["IngestResult", "ingest"]

logger = logging.getLogger(__name__)

_STAGE = "_incoming"


@dataclass(frozen=True)
class IngestResult:
    """What one ingestion did."""

    source: str
    rows_read: int
    rows_new: int
    rows_unchanged: int
    skipped: bool


def _load_position(con: duckdb.DuckDBPyConnection, key: str) -> Position | None:
    rows = con.execute(
        "SELECT position FROM source_positions WHERE source_key = ?", [key]
    ).fetchall()
    return Position(json.loads(rows[0][0])) if rows else None


def _content_hash() -> str:
    parts = ", ".join(f"coalesce({quote(c)}, '\\0')" for c in STORED_CONTRACT)
    return f"md5(concat_ws('\\x1f', citizen_key, {parts}, coalesce(extras, '')))"


def ingest(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    key: bytes,
    *,
    progress: object = None,
    labeller: Labeller | None = None,
) -> IngestResult:
    """Read what is new in ``source`` into ``record_versions``.

    ``labeller`` (see :mod:`scamlens.jobs.labelling`) fills empty outcome flags.
    """
    ensure_schema(con)
    position = _load_position(con, source.key)
    if isinstance(source, FileSource) and source.already_read(position):
        logger.info("source %s was ingested before; skipped", source.describe())
        return IngestResult(source.describe(), 0, 0, 0, skipped=True)
    started = datetime.now(UTC)
    con.execute("BEGIN TRANSACTION")
    try:
        check_key(con, key)
        result = _ingest_in_transaction(
            con, source, key, position, started, progress, labeller
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        con.execute(f"DROP TABLE IF EXISTS {_STAGE}")
    return result


def _ingest_in_transaction(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    key: bytes,
    position: Position | None,
    started: datetime,
    progress: object,
    labeller: Labeller | None,
) -> IngestResult:
    con.execute(f"DROP TABLE IF EXISTS {_STAGE}")
    create_landing(con, _STAGE, temp=True)
    first = int(
        con.execute(
            "SELECT coalesce(max(_seq), -1) + 1 FROM record_versions"
        ).fetchall()[0][0]
    )
    ingest_id = int(
        con.execute(
            "SELECT coalesce(max(ingest_id), 0) + 1 FROM ingest_log"
        ).fetchall()[0][0]
    )
    redactor = Redactor(key)
    seq = first
    for batch in source.batches(position):
        if labeller is not None:
            batch = labeller(batch)
        seq += insert_batch(
            con, _STAGE, batch, key=key, first_seq=seq, redactor=redactor
        )
        if callable(progress):
            progress(batch.num_rows)
    read = seq - first
    columns = ", ".join(quote(c) for c in LANDING_COLUMNS)
    # What is not new: a database row whose latest stored version (same primary
    # key) has the same content; a version identical to the version of its id read
    # just before it
    # (the fold of versions is unaffected); a record without an id identical to one
    # stored (it is identified by its whole content).
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _incoming_hashed AS SELECT *, "
        f"{_content_hash()} AS h, NULLIF(trim(outreach_id), '') AS _id FROM {_STAGE}"
    )
    con.execute(
        f"INSERT INTO record_versions SELECT {columns}, {ingest_id}, h FROM ("
        "SELECT i.*, coalesce(lag(i.h) OVER (PARTITION BY i._id ORDER BY i._seq), "
        "l.h) AS previous_h, row_number() OVER (PARTITION BY i.h ORDER BY i._seq) "
        "AS copy_n FROM _incoming_hashed i LEFT JOIN (SELECT outreach_id, "
        "arg_max(_content_hash, _seq) AS h FROM record_versions WHERE outreach_id IN "
        "(SELECT _id FROM _incoming_hashed) GROUP BY outreach_id) l ON l.outreach_id "
        "= i._id) n WHERE CASE "
        "WHEN _row_key IS NOT NULL THEN NOT EXISTS (SELECT 1 FROM (SELECT _row_key, "
        "arg_max(_content_hash, _seq) AS h FROM record_versions WHERE _row_key IN "
        "(SELECT _row_key FROM _incoming_hashed) GROUP BY _row_key) r "
        "WHERE r._row_key = n._row_key AND r.h = n.h) "
        "WHEN _id IS NULL THEN copy_n = 1 AND NOT EXISTS ("
        "SELECT 1 FROM record_versions r WHERE NULLIF(trim(r.outreach_id), '') IS NULL "
        "AND r._content_hash = n.h) ELSE previous_h IS DISTINCT FROM h END"
    )
    con.execute("DROP TABLE _incoming_hashed")
    new = int(
        con.execute(
            "SELECT count(*) FROM record_versions WHERE _ingest_id = ?", [ingest_id]
        ).fetchall()[0][0]
    )
    after = source.next_position()
    if after is not None:
        con.execute(
            "INSERT INTO source_positions VALUES (?, ?, ?, ?) ON CONFLICT (source_key) "
            "DO UPDATE SET position = excluded.position, "
            "updated_at = excluded.updated_at",
            [source.key, source.kind, json.dumps(after.data, default=str), started],
        )
    con.execute(
        "INSERT INTO ingest_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            ingest_id,
            source.key,
            started,
            datetime.now(UTC),
            read,
            new,
            read - new,
            first,
            seq - 1,
        ],
    )
    logger.info(
        "ingested source=%s read=%d new=%d unchanged=%d",
        source.describe(),
        read,
        new,
        read - new,
    )
    return IngestResult(source.describe(), read, new, read - new, skipped=False)

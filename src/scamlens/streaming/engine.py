"""The streaming engine: one DuckDB transaction per micro-batch.

A micro-batch is a text batch of records (the landing shape every source produces)
and the source position after it. :meth:`StreamEngine.process` lands the records
through the pseudonymising door, numbers them in read order, quarantines those older
than the watermark minus the allowed lateness as ``too_late``, stores the others as
versions, recomputes the exact verdicts they can change, folds the count deltas into
every window table, hands newly closed windows to anomaly detection, and saves the
state and the source position — all in one transaction. Acknowledging the source
comes after the commit (the caller's job), so a crash at any point either loses the
whole micro-batch (it is read again) or keeps all of it (its position says so).

Lateness is decided record by record in read order against the watermark *before*
that record (the committed watermark and the earlier records of the batch), so the
decision does not depend on where micro-batches happen to be cut. Records whose time
is after the cut-off (``future_time``) never move the watermark.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb
import pyarrow as pa

from scamlens.anomaly import AnomalyEngine
from scamlens.cleaning.parse import quote, value_sql
from scamlens.privacy.redact import Redactor
from scamlens.settings import CleaningSettings
from scamlens.sources.landing import (
    LANDING_COLUMNS,
    STORED_CONTRACT,
    create_landing,
    insert_batch,
)
from scamlens.streaming.apply import apply_deltas, ensure_window_tables
from scamlens.streaming.closing import WindowCloser
from scamlens.streaming.config import StreamConfig
from scamlens.streaming.prepare import Prepared
from scamlens.streaming.recompute import Recompute
from scamlens.streaming.tables import (
    StreamState,
    ensure_stream_schema,
    load_position,
    load_state,
    save_position,
    save_state,
)
from scamlens.warehouse.alerts import ALERT_SCHEMA, ensure_alerts_table
from scamlens.warehouse.keycheck import check_key

__all__ = ["BatchResult", "MicroBatch", "StreamEngine"]

logger = logging.getLogger(__name__)

_STAGE = "_stream_stage"
_TIMES = "_stream_times"
_LANDING = "_stream_prepared_landing"
_PARSED = "_stream_prepared_parsed"


@dataclass
class MicroBatch:
    """Records read from one source and the position after them.

    ``dedup`` drops records identical to a stored version (sources that re-read
    their boundary, like an incremental database read). ``prepared`` is what
    :func:`scamlens.streaming.prepare.prepare_records` made of ``records`` off the
    engine's thread (not with ``dedup``); without it the engine lands the records
    through :func:`scamlens.sources.landing.insert_batch` and parses them in its
    transaction, which costs less for a small batch (one SQL plan fewer).
    """

    source_key: str
    source_kind: str
    position: dict[str, Any]
    records: pa.Table | None
    dedup: bool = False
    prepared: Prepared | None = None
    """``records`` already landed and parsed off the engine's thread (optional)."""


@dataclass
class BatchResult:
    """What one committed micro-batch did."""

    records: int = 0
    repeats: int = 0
    late: int = 0
    versions: int = 0
    changed: int = 0
    watermark: datetime | None = None
    alerts: pa.Table = field(default_factory=ALERT_SCHEMA.empty_table)
    seconds: float = 0.0


def _content_hash() -> str:
    parts = ", ".join(f"coalesce({quote(c)}, '\\0')" for c in STORED_CONTRACT)
    return (
        f"md5_number(concat_ws('\\x1f', coalesce(citizen_key, '\\0'), {parts}, "
        "coalesce(extras, ''), coalesce(_malformed, '')))"
    )


class StreamEngine:
    """Keeps the windowed indicators of one warehouse up to date, batch by batch."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        config: StreamConfig,
        cleaning: CleaningSettings,
        *,
        key: bytes,
        anomaly: AnomalyEngine | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.con = con
        self.config = config
        self.key = key
        self.redactor = Redactor(key)
        self.clock = clock
        self.recompute = Recompute(con, cleaning)
        self.closer = (
            WindowCloser(anomaly, config.specs, config.segment_sets)
            if anomaly
            else None
        )
        self.anomaly = anomaly
        self._transaction(self._prepare)

    def _transaction(self, work: Callable[[], Any]) -> Any:
        self.con.execute("BEGIN TRANSACTION")
        try:
            result = work()
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        return result

    def _prepare(self) -> None:
        check_key(self.con, self.key)
        ensure_stream_schema(self.con)
        ensure_alerts_table(self.con)
        ensure_window_tables(self.con, self.config.specs)

    def position(self, source_key: str) -> dict[str, Any] | None:
        """The committed position of ``source_key``."""
        return load_position(self.con, source_key)

    def state(self) -> StreamState:
        """The committed read-order counter and watermark."""
        return load_state(self.con)

    def process(self, batch: MicroBatch) -> BatchResult:
        """Apply ``batch`` and its position in one transaction; then notify alerts."""
        started = time.perf_counter()
        result = self._transaction(lambda: self._apply(batch))
        if self.anomaly is not None and result.alerts.num_rows:
            self.anomaly.notify(result.alerts)
        result.seconds = time.perf_counter() - started
        return result

    def tick(self, source_key: str, source_kind: str) -> BatchResult | None:
        """An empty micro-batch: re-decide expired ``future_time`` verdicts and close
        windows, keeping ``source_key``'s committed position."""
        position = self.position(source_key)
        if position is None:
            return None
        return self.process(MicroBatch(source_key, source_kind, position, None))

    def _apply(self, batch: MicroBatch) -> BatchResult:
        now = self.clock()
        as_of = self.config.as_of or now
        state = load_state(self.con)
        result = BatchResult(watermark=state.watermark)
        records = batch.records
        if records is not None and records.num_rows and batch.prepared is not None:
            result = self._land_prepared(batch.prepared, state, as_of)
            state = StreamState(state.next_seq + records.num_rows, result.watermark)
        elif records is not None and records.num_rows:
            result = self._land(records, state, as_of, dedup=batch.dedup)
            state = StreamState(state.next_seq + records.num_rows, result.watermark)
        elif self.config.as_of is None and self._future_due(as_of):
            self._recompute_and_apply("(SELECT * FROM stream_versions LIMIT 0)", as_of)
        if self.closer is not None:
            result.alerts = self.closer.close(self.con, state.watermark)
        save_state(self.con, state, now)
        save_position(
            self.con, batch.source_key, batch.source_kind, batch.position, now
        )
        return result

    def _future_due(self, as_of: datetime) -> bool:
        rows = self.con.execute(
            "SELECT count(*) FROM stream_verdicts WHERE reason = 'future_time' "
            "AND initiated_at <= ?",
            [as_of],
        ).fetchall()
        return bool(rows[0][0])

    def _land(
        self, records: pa.Table, state: StreamState, as_of: datetime, *, dedup: bool
    ) -> BatchResult:
        """Store ``records`` as versions numbered from ``state.next_seq``."""
        first = state.next_seq
        result = BatchResult(records=records.num_rows)
        if dedup:
            result.repeats = self._land_new_only(records, first)
        else:
            insert_batch(
                self.con,
                "stream_versions",
                records,
                key=self.key,
                first_seq=first,
                redactor=self.redactor,
            )
        landed = f"(SELECT * FROM stream_versions WHERE _seq >= {int(first)})"
        initiated = value_sql("initiated_at", {"initiated_at": "VARCHAR"})
        result.late, result.watermark = self._split_late(
            landed, f"(SELECT _seq, {initiated} AS ev FROM {landed})", state, as_of
        )
        result.versions = result.records - result.repeats - result.late
        result.changed = self._recompute_and_apply(landed, as_of)
        return result

    def _land_prepared(
        self, prepared: Prepared, state: StreamState, as_of: datetime
    ) -> BatchResult:
        """Store prepared records as versions numbered from ``state.next_seq``.

        The landing rows are copied as they are; lateness and the recomputation
        read the parsed values instead of parsing the stored text again.
        """
        con = self.con
        first = int(state.next_seq)
        result = BatchResult(records=prepared.num_rows)
        columns = ", ".join(quote(c) for c in LANDING_COLUMNS)
        values = ", ".join(
            f"{first} + _seq" if c == "_seq" else quote(c) for c in LANDING_COLUMNS
        )
        con.register(_LANDING, prepared.landing)
        con.register(_PARSED, prepared.parsed)
        try:
            con.execute(
                f"INSERT INTO stream_versions ({columns}) SELECT {values} "
                f"FROM {_LANDING}"
            ).fetchall()
            parsed = f"(SELECT * REPLACE ({first} + _seq AS _seq) FROM {_PARSED})"
            landed = f"(SELECT * FROM stream_versions WHERE _seq >= {first})"
            result.late, result.watermark = self._split_late(
                landed,
                f"(SELECT _seq, initiated_at AS ev FROM {parsed})",
                state,
                as_of,
            )
            if result.late:
                # The late ones left stream_versions; the others are still there.
                parsed = f"(SELECT * FROM {parsed} SEMI JOIN {landed} USING (_seq))"
            result.versions = result.records - result.late
            result.changed = self._recompute_and_apply(parsed, as_of, parsed=True)
        finally:
            con.unregister(_LANDING)
            con.unregister(_PARSED)
        return result

    def _land_new_only(self, records: pa.Table, first: int) -> int:
        """Store the records not identical to a stored version; return the repeats."""
        con = self.con
        con.execute(f"DROP TABLE IF EXISTS {_STAGE}")
        create_landing(con, _STAGE, temp=True)
        insert_batch(
            con, _STAGE, records, key=self.key, first_seq=first, redactor=self.redactor
        )
        repeats = con.execute(
            f"DELETE FROM {_STAGE} WHERE {_content_hash()} IN (SELECT _content_hash "
            "FROM stream_versions WHERE _content_hash IS NOT NULL) RETURNING 1"
        ).fetchall()
        columns = ", ".join(quote(c) for c in LANDING_COLUMNS)
        con.execute(
            f"INSERT INTO stream_versions SELECT {columns}, {_content_hash()} "
            f"FROM {_STAGE}"
        ).fetchall()
        con.execute(f"DROP TABLE {_STAGE}")
        return len(repeats)

    def _split_late(
        self, landed: str, times: str, state: StreamState, as_of: datetime
    ) -> tuple[int, datetime | None]:
        """Move versions older than watermark − lateness to ``stream_late``.

        ``landed`` is the new versions as stored, ``times`` their ``_seq`` and
        event time ``ev``.
        """
        con = self.con
        watermark = state.watermark
        lateness = int(self.config.allowed_lateness_seconds)
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {_TIMES} AS SELECT _seq, ev, wm, "
            f"coalesce(ev < wm - to_seconds({lateness}), false) AS late FROM ("
            "SELECT _seq, ev, greatest(CAST(? AS TIMESTAMPTZ), max(CASE WHEN ev <= ? "
            "THEN ev END) OVER (ORDER BY _seq ROWS BETWEEN UNBOUNDED PRECEDING AND "
            f"1 PRECEDING)) AS wm FROM {times})",
            [watermark, as_of],
        ).fetchall()
        late = con.execute(f"SELECT count(*) FROM {_TIMES} WHERE late").fetchall()[0][0]
        if late:
            columns = ", ".join(quote(c) for c in LANDING_COLUMNS)
            con.execute(
                f"INSERT INTO stream_late SELECT {columns}, t.ev, t.wm FROM "
                f"{landed} v JOIN {_TIMES} t USING (_seq) WHERE t.late"
            ).fetchall()
            con.execute(
                "DELETE FROM stream_versions WHERE _seq IN (SELECT _seq FROM "
                f"{_TIMES} WHERE late)"
            ).fetchall()
            logger.warning(
                "records too late: %d older than the watermark minus %d s; "
                "quarantined as too_late",
                late,
                lateness,
            )
        top = con.execute(
            f"SELECT greatest(CAST(? AS TIMESTAMPTZ), max(ev) FILTER (WHERE ev <= ? "
            f"AND NOT late)) FROM {_TIMES}",
            [watermark, as_of],
        ).fetchall()
        con.execute(f"DROP TABLE {_TIMES}")
        return int(late), top[0][0]

    def _recompute_and_apply(
        self, relation: str, as_of: datetime, *, parsed: bool = False
    ) -> int:
        stats = self.recompute.run(
            relation, as_of, live_clock=self.config.as_of is None, parsed=parsed
        )
        for spec in self.config.specs:
            apply_deltas(self.con, spec, self.recompute.deltas)
        self.recompute.drop_temps()
        return stats.changed

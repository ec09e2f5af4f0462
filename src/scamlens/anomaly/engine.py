"""The anomaly engine: run every detector over windows as they close, raise alerts.

Windows arrive as one Arrow table per segment set. Pass every segment set of a
closed window together (a sequence of tables): false discoveries are controlled over
all their tests at once, so an hour of nine segment sets is one family, not nine.
A single table is accepted everywhere a sequence is.

Two ways in:

* :meth:`AnomalyEngine.detect` is pure: closed windows and their history in, an alert
  table out. The batch layer and the tests use it.
* :meth:`AnomalyEngine.record` keeps its own history in the warehouse and writes the
  alerts there, on the caller's connection and inside the caller's transaction; it
  returns only alerts not already in the table. The streaming engine calls it in the
  transaction that commits its source position, and calls :meth:`notify` (log,
  webhook, NATS) once that transaction has committed, so a crash can at worst repeat
  a notification (with the same alert id), never lose or double an alert row.

:meth:`process` does both steps for callers without a transaction of their own.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TypeAlias

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from scamlens.anomaly.alerts import Finding, build_alerts
from scamlens.anomaly.baseline import comparable_starts
from scamlens.anomaly.config import GRAIN_SECONDS, DetectionConfig
from scamlens.anomaly.detectors import Detector, default_detectors
from scamlens.anomaly.evaluation import SetEvaluation, control, evaluate_set
from scamlens.anomaly.frame import normalise_windows, segment_dims
from scamlens.anomaly.rolling import rolling_starts
from scamlens.anomaly.sinks.base import AlertSink
from scamlens.anomaly.sinks.log import LogSink
from scamlens.anomaly.state import load_history, prune_history, save_windows
from scamlens.errors import UsageError
from scamlens.warehouse.alerts import ALERT_SCHEMA, ensure_alerts_table, insert_alerts

__all__ = ["AnomalyEngine", "WindowSets"]

logger = logging.getLogger(__name__)

WindowSets: TypeAlias = pa.Table | Sequence[pa.Table]
"""One table of windows, or one table per segment set."""

_SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _as_list(tables: WindowSets) -> list[pa.Table]:
    return [tables] if isinstance(tables, pa.Table) else list(tables)


def _histories(
    count: int, history: pa.Table | Sequence[pa.Table | None] | None
) -> list[pa.Table | None]:
    if history is None:
        return [None] * count
    if isinstance(history, pa.Table):
        if count != 1:
            raise UsageError(
                f"one history table was given for `{count}` segment sets; pass one "
                "history per windows table, in the same order"
            )
        return [history]
    items = list(history)
    if len(items) != count:
        raise UsageError(
            f"`{len(items)}` history tables were given for `{count}` windows tables; "
            "pass one per windows table, in the same order"
        )
    return items


class AnomalyEngine:
    """Runs ``detectors`` over closed windows and hands alerts to ``sinks``.

    ``names`` maps region codes to display names for the messages. ``clock`` gives
    the ``raised_at`` time. Call :meth:`close` (or use the engine as a context
    manager) to release the sinks' connections.
    """

    def __init__(
        self,
        config: DetectionConfig | None = None,
        *,
        detectors: Sequence[Detector] | None = None,
        sinks: Sequence[AlertSink] | None = None,
        names: Mapping[str, str] | None = None,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.config = config or DetectionConfig()
        self.detectors = tuple(detectors or default_detectors())
        self.sinks = tuple(sinks if sinks is not None else (LogSink(),))
        self.names = dict(names or {})
        self.clock = clock

    def __enter__(self) -> AnomalyEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close every sink."""
        for sink in self.sinks:
            try:
                sink.close()
            except Exception:  # closing must not mask the caller's own error
                logger.exception("closing sink %s failed", sink.name)

    # -- detection -------------------------------------------------------------

    def evaluate(
        self,
        windows: WindowSets,
        history: pa.Table | Sequence[pa.Table | None] | None = None,
    ) -> list[tuple[pa.Table, list[Finding]]]:
        """Every detector's test of every segment-window, before alerts are made.

        Returns, for each windows table in order, the windows actually tested
        (normalised, tested grains only) followed by its trailing windows (one entry
        per ``rolling_hours``), each with one :class:`Finding` per detector holding
        p-values, q-values and the alert mask, aligned with those windows. Public
        for diagnostics and calibration.
        """
        tables = _as_list(windows)
        histories = _histories(len(tables), history)
        sets: list[SetEvaluation] = [
            part
            for t, h in zip(tables, histories, strict=True)
            for part in evaluate_set(t, h, self.detectors, self.config)
        ]
        findings = control(sets, self.detectors, self.config.fdr)
        return [(s.windows, f) for s, f in zip(sets, findings, strict=True)]

    def detect(
        self,
        windows: WindowSets,
        history: pa.Table | Sequence[pa.Table | None] | None = None,
    ) -> pa.Table:
        """Alerts for the closed ``windows`` against ``history``.

        ``windows`` is one table per segment set (or a single table); ``history``
        holds one matching table of earlier windows each (or None). Windows of
        grains not in the configuration are ignored. Windows in a table serve as
        history for later windows in it, so a day of hourly windows can be passed
        at once and is judged as if they had closed one by one.
        """
        raised_at = self.clock()
        parts = []
        tests = 0
        for tested, findings in self.evaluate(windows, history):
            if not findings:
                continue
            tests += sum(int(f.evaluation.tested.sum()) for f in findings)
            parts.append(
                build_alerts(
                    tested,
                    segment_dims(tested),
                    findings,
                    self.config,
                    raised_at=raised_at,
                    names=self.names,
                )
            )
        alerts = pa.concat_tables(parts) if parts else ALERT_SCHEMA.empty_table()
        logger.info("detection done tests=%d alerts=%d", tests, alerts.num_rows)
        return _sorted(alerts)

    # -- persistence and delivery ---------------------------------------------

    def record(
        self,
        con: duckdb.DuckDBPyConnection,
        windows: WindowSets,
        *,
        history: pa.Table | Sequence[pa.Table | None] | None = None,
    ) -> pa.Table:
        """Detect on ``windows`` with the history saved in the warehouse; save both.

        Runs on ``con`` without committing: alerts go to the ``alerts`` table, the
        windows to the detection history (pruned to the longest lookback). Returns
        the alerts that were not in the table yet. ``history`` is saved first: it
        seeds the state with windows the warehouse does not hold yet (first use).
        """
        given = [normalise_windows(t) for t in _as_list(windows)]
        pairs = [
            (table, extra)
            for table, extra in zip(given, _histories(len(given), history), strict=True)
            if table.num_rows
        ]
        if not pairs:
            return ALERT_SCHEMA.empty_table()
        tables = [table for table, _ in pairs]
        saved: list[pa.Table | None] = []
        for table, extra in pairs:
            dims = segment_dims(table)
            if extra is not None and extra.num_rows:
                save_windows(con, normalise_windows(extra, what="history", dims=dims))
            saved.append(self._saved_history(con, table, dims))
        alerts = self.detect(tables, saved)
        new = _unseen(con, alerts)
        insert_alerts(con, new)
        save_windows(con, tables)
        self._prune(con, tables)
        return new

    def _saved_history(
        self, con: duckdb.DuckDBPyConnection, windows: pa.Table, dims: Sequence[str]
    ) -> pa.Table:
        tested = windows.filter(
            pc.is_in(windows.column("grain"), pa.array(self.config.grains))
        )
        wanted = [comparable_starts(tested, self.config.baselines)]
        days = self.config.baseline("1h").days if self.config.rolling else 0
        wanted += [rolling_starts(tested, h, days) for h in self.config.rolling]
        return load_history(con, dims, starts=pa.concat_tables(wanted))

    def _prune(
        self, con: duckdb.DuckDBPyConnection, tables: Sequence[pa.Table]
    ) -> None:
        last = max(pc.max(t.column("window_start")).as_py() for t in tables)
        for grain in self.config.grains:
            seconds = self.config.baseline(grain).lookback_seconds(grain)
            keep = timedelta(seconds=seconds + GRAIN_SECONDS[grain])
            prune_history(con, grain, last - keep)

    def notify(self, alerts: pa.Table) -> None:
        """Hand ``alerts`` to every sink; a failing sink is logged and skipped."""
        if alerts.num_rows == 0:
            return
        for sink in self.sinks:
            try:
                sink.send(alerts)
            except Exception:  # one broken sink must not silence the others
                logger.exception(
                    "alert sink %s failed alerts=%d", sink.name, alerts.num_rows
                )

    def process(
        self,
        windows: WindowSets,
        history: pa.Table | Sequence[pa.Table | None] | None = None,
        *,
        con: duckdb.DuckDBPyConnection | None = None,
    ) -> pa.Table:
        """Detect, then deliver. With ``con``, as :meth:`record` then :meth:`notify`."""
        if con is None:
            alerts = self.detect(windows, history)
        else:
            alerts = self.record(con, windows, history=history)
        self.notify(alerts)
        return alerts


def _unseen(con: duckdb.DuckDBPyConnection, alerts: pa.Table) -> pa.Table:
    """The alerts whose id is not in the warehouse's alerts table yet."""
    if alerts.num_rows == 0:
        return alerts
    ensure_alerts_table(con)
    ids = alerts.column("alert_id").to_pylist()
    known = {
        row[0]
        for row in con.execute(
            "SELECT alert_id FROM alerts WHERE alert_id IN (SELECT unnest(?))", [ids]
        ).fetchall()
    }
    if not known:
        return alerts
    keep = pa.array([alert not in known for alert in ids])
    return alerts.filter(keep)


def _sorted(alerts: pa.Table) -> pa.Table:
    if alerts.num_rows < 2:
        return alerts
    rank = pa.array(
        [_SEVERITY_ORDER.get(s, 3) for s in alerts.column("severity").to_pylist()]
    )
    ordered = alerts.append_column("_rank", rank).sort_by(
        [("window_end", "ascending"), ("_rank", "ascending"), ("alert_id", "ascending")]
    )
    return ordered.drop_columns(["_rank"])

"""The log sink: one WARNING line of ``key=value`` fields per alert.

The log is the sink that always works, so it carries enough to act on: the id, the
severity, the segment, the window, observed against expected, and the English text.
"""

from __future__ import annotations

import logging

import pyarrow as pa

from scamlens.anomaly.sinks.base import AlertSink
from scamlens.logs import kv

__all__ = ["LogSink"]

logger = logging.getLogger(__name__)


class LogSink(AlertSink):
    """Write each alert as a log line at ``level`` (WARNING by default)."""

    name = "log"

    def __init__(self, level: int = logging.WARNING) -> None:
        self.level = level

    def send(self, alerts: pa.Table) -> None:
        for row in alerts.to_pylist():
            start = row["window_start"]
            logger.log(
                self.level,
                "anomaly alert %s",
                kv(
                    alert_id=row["alert_id"],
                    severity=row["severity"],
                    kind=row["kind"],
                    metric=row["metric"],
                    segment=row["segment"],
                    grain=row["grain"],
                    window_start=start.isoformat() if start else None,
                    observed=row["observed"],
                    expected=row["expected"],
                    p_value=row["p_value"],
                    message=row["message_en"],
                ),
            )

"""The warehouse sink: alerts into the ``alerts`` table, idempotently by alert id."""

from __future__ import annotations

import logging

import duckdb
import pyarrow as pa

from scamlens.anomaly.sinks.base import AlertSink
from scamlens.warehouse.alerts import insert_alerts

__all__ = ["WarehouseSink"]

logger = logging.getLogger(__name__)


class WarehouseSink(AlertSink):
    """Insert alerts into the warehouse behind ``con``; a known alert id is skipped.

    For the streaming engine, prefer :meth:`AnomalyEngine.record`, which writes the
    alerts inside the caller's transaction; this sink suits batch runs and tools.
    """

    name = "warehouse"

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.written = 0

    def send(self, alerts: pa.Table) -> None:
        try:
            self.written += insert_alerts(self.con, alerts)
        except duckdb.Error as exc:
            logger.error(
                "alerts not written to the warehouse: %s offered=%d",
                str(exc).splitlines()[0],
                alerts.num_rows,
            )

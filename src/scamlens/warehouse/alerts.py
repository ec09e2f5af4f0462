"""The alerts table: every signal raised by the anomaly detectors or the language layer.

One row per alert. ``kind`` says who raised it (``rate_drop``, ``count_surge``,
``victim_now``, ...); ``segment`` is a JSON object of the dimension values the alert is
about; ``observed``/``expected`` with ``lower``/``upper`` give the evidence. Alerts are
written idempotently: the same ``alert_id`` written twice stays one row.
"""

from __future__ import annotations

import logging

import duckdb
import pyarrow as pa

__all__ = ["ALERT_SCHEMA", "ensure_alerts_table", "insert_alerts"]

logger = logging.getLogger(__name__)

ALERT_SCHEMA = pa.schema(
    [
        ("alert_id", pa.string()),
        ("kind", pa.string()),
        ("raised_at", pa.timestamp("us", tz="UTC")),
        ("severity", pa.string()),
        ("segment", pa.string()),
        ("grain", pa.string()),
        ("window_start", pa.timestamp("us", tz="UTC")),
        ("window_end", pa.timestamp("us", tz="UTC")),
        ("metric", pa.string()),
        ("observed", pa.float64()),
        ("expected", pa.float64()),
        ("lower", pa.float64()),
        ("upper", pa.float64()),
        ("p_value", pa.float64()),
        ("message_zh", pa.string()),
        ("message_en", pa.string()),
        ("details", pa.string()),
    ]
)

_DDL = """
CREATE TABLE IF NOT EXISTS alerts (
    alert_id VARCHAR PRIMARY KEY,
    kind VARCHAR NOT NULL,
    raised_at TIMESTAMPTZ NOT NULL,
    severity VARCHAR NOT NULL,
    segment VARCHAR,
    grain VARCHAR,
    window_start TIMESTAMPTZ,
    window_end TIMESTAMPTZ,
    metric VARCHAR,
    observed DOUBLE,
    expected DOUBLE,
    lower DOUBLE,
    upper DOUBLE,
    p_value DOUBLE,
    message_zh VARCHAR,
    message_en VARCHAR,
    details VARCHAR
)
"""


def ensure_alerts_table(con: duckdb.DuckDBPyConnection) -> None:
    """Create the alerts table if it does not exist yet."""
    con.execute(_DDL)


def insert_alerts(con: duckdb.DuckDBPyConnection, alerts: pa.Table) -> int:
    """Insert ``alerts`` (shaped as :data:`ALERT_SCHEMA`); return how many are new."""
    ensure_alerts_table(con)
    if alerts.num_rows == 0:
        return 0
    alerts = alerts.select(ALERT_SCHEMA.names).cast(ALERT_SCHEMA)
    before = con.execute("SELECT count(*) FROM alerts").fetchall()[0]
    con.register("_new_alerts", alerts)
    try:
        con.execute(
            "INSERT INTO alerts SELECT * FROM _new_alerts "
            "ON CONFLICT (alert_id) DO NOTHING"
        )
    finally:
        con.unregister("_new_alerts")
    after = con.execute("SELECT count(*) FROM alerts").fetchall()[0]
    added = int(after[0]) - int(before[0]) if before and after else 0
    logger.info("alerts written new=%d offered=%d", added, alerts.num_rows)
    return added

"""The DuckDB warehouse: connection, tables of records, quarantine, windows, alerts."""

from scamlens.warehouse.alerts import ALERT_SCHEMA, ensure_alerts_table, insert_alerts
from scamlens.warehouse.connection import connect

__all__ = ["ALERT_SCHEMA", "connect", "ensure_alerts_table", "insert_alerts"]

"""Where alerts go: the log, the warehouse, a webhook, a NATS subject."""

from scamlens.anomaly.sinks.base import AlertSink, alert_payloads
from scamlens.anomaly.sinks.factory import sinks_from_settings
from scamlens.anomaly.sinks.log import LogSink
from scamlens.anomaly.sinks.nats import NatsSink
from scamlens.anomaly.sinks.warehouse import WarehouseSink
from scamlens.anomaly.sinks.webhook import WebhookSink

__all__ = [
    "AlertSink",
    "LogSink",
    "NatsSink",
    "WarehouseSink",
    "WebhookSink",
    "alert_payloads",
    "sinks_from_settings",
]

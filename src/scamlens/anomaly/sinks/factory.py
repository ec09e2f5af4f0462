"""The sinks a deployment's settings ask for.

The log always receives alerts; ``stream.alert_webhook`` adds a webhook and
``stream.alert_subject`` a NATS subject (on the given server). The warehouse is not
a sink here: :meth:`AnomalyEngine.record` writes alerts inside the caller's
transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from scamlens.anomaly.sinks.base import AlertSink
from scamlens.anomaly.sinks.log import LogSink
from scamlens.anomaly.sinks.nats import NatsSink
from scamlens.anomaly.sinks.webhook import WebhookSink
from scamlens.settings import StreamSettings

__all__ = ["sinks_from_settings"]

logger = logging.getLogger(__name__)


def sinks_from_settings(
    stream: StreamSettings,
    *,
    nats_servers: str | Sequence[str] = "nats://127.0.0.1:4222",
) -> list[AlertSink]:
    """Log sink, plus webhook and NATS sinks when the settings name them."""
    sinks: list[AlertSink] = [LogSink()]
    if stream.alert_webhook:
        sinks.append(WebhookSink(stream.alert_webhook))
    if stream.alert_subject:
        sinks.append(NatsSink(nats_servers, stream.alert_subject))
    logger.debug("alert sinks: %s", ", ".join(s.name for s in sinks))
    return sinks

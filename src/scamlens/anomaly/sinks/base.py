"""The sink interface and the JSON form of an alert shared by the network sinks.

A sink delivers alerts somewhere: the log, the warehouse, a webhook, a NATS subject.
Sinks must never raise into the detection loop: a webhook that is down must not stop
indicators from being computed. The engine also guards every call, but each sink logs
its own failures with enough context to replay them.
"""

from __future__ import annotations

import json
import logging
from abc import ABC, abstractmethod
from datetime import datetime
from typing import Any

import pyarrow as pa

__all__ = ["AlertSink", "alert_payloads"]

logger = logging.getLogger(__name__)

_JSON_FIELDS = ("segment", "details")


class AlertSink(ABC):
    """Somewhere alerts go. ``send`` receives a table shaped like ALERT_SCHEMA."""

    name: str = "sink"

    @abstractmethod
    def send(self, alerts: pa.Table) -> None:
        """Deliver ``alerts``; log failures instead of raising them."""

    def close(self) -> None:  # noqa: B027 - most sinks hold nothing to release
        """Release connections held by the sink."""


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def alert_payloads(alerts: pa.Table) -> list[dict[str, Any]]:
    """Alerts as JSON-ready dicts: ISO-8601 times, segment and details as objects."""
    payloads = []
    for row in alerts.to_pylist():
        payload = {key: _jsonable(value) for key, value in row.items()}
        for key in _JSON_FIELDS:
            if isinstance(payload.get(key), str):
                payload[key] = json.loads(payload[key])
        payloads.append(payload)
    return payloads

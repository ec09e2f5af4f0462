"""The webhook sink: each alert POSTed as JSON, retried with exponential backoff.

Duty systems (an IM robot, a ticketing gateway) receive one JSON object per alert, the
ALERT_SCHEMA fields with ``segment`` and ``details`` as objects, and an
``Idempotency-Key`` header carrying the alert id so a receiver can drop the duplicates
a retry or a restart may cause. Connection errors, timeouts, 408, 425, 429 and 5xx
answers are retried ``retries`` times, waiting ``backoff * 2**attempt`` seconds
(capped at ``max_backoff``, or the server's ``Retry-After`` when it sends one). Any
other 4xx is not retried. A delivery that finally fails is logged at ERROR with the
alert id; the caller never sees an exception.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx
import pyarrow as pa

from scamlens.anomaly.sinks.base import AlertSink, alert_payloads

__all__ = ["WebhookSink"]

logger = logging.getLogger(__name__)

_RETRY_STATUS = frozenset({408, 425, 429})


class WebhookSink(AlertSink):
    """POST alerts to ``url`` as JSON.

    ``timeout`` bounds each request in seconds; ``transport`` lets a caller supply
    an httpx transport (proxies, TLS settings); ``sleep`` is how the sink waits
    between attempts.
    """

    name = "webhook"

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 5.0,
        retries: int = 4,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        headers: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.url = url
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self._sleep = sleep
        self._client = httpx.Client(
            timeout=timeout,
            headers={"User-Agent": "scamlens-alerts", **dict(headers or {})},
            transport=transport,
        )
        self.delivered = 0
        self.failed = 0

    def send(self, alerts: pa.Table) -> None:
        for payload in alert_payloads(alerts):
            if self._post(payload):
                self.delivered += 1
            else:
                self.failed += 1

    def close(self) -> None:
        self._client.close()

    def _wait(self, attempt: int, response: httpx.Response | None) -> None:
        delay = min(self.backoff * 2**attempt, self.max_backoff)
        if response is not None:
            retry_after = response.headers.get("Retry-After", "")
            if retry_after.isdigit():
                delay = min(float(retry_after), self.max_backoff)
        self._sleep(delay)

    def _post(self, payload: dict[str, Any]) -> bool:
        alert = payload.get("alert_id", "")
        headers = {"Idempotency-Key": str(alert)}
        problem = ""
        for attempt in range(self.retries + 1):
            response: httpx.Response | None = None
            try:
                response = self._client.post(self.url, json=payload, headers=headers)
            except httpx.HTTPError as exc:
                problem = f"{type(exc).__name__}: {exc}"
            else:
                if response.is_success:
                    logger.debug("webhook delivered alert_id=%s", alert)
                    return True
                problem = f"HTTP {response.status_code}"
                if not (
                    response.status_code in _RETRY_STATUS or response.status_code >= 500
                ):
                    break
            if attempt < self.retries:
                logger.info(
                    "webhook attempt failed alert_id=%s attempt=%d problem=%s",
                    alert,
                    attempt + 1,
                    problem,
                )
                self._wait(attempt, response)
        logger.error(
            "webhook gave up alert_id=%s url=%s problem=%s", alert, self.url, problem
        )
        return False

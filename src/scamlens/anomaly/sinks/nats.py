"""The NATS sink: each alert published as JSON on a subject.

The message body is the same JSON object the webhook sends; the ``Nats-Msg-Id``
header carries the alert id, so a JetStream stream capturing the subject drops the
duplicates a restart may publish. nats-py is asyncio-only while detection is called
synchronously (often from inside the streaming engine's own event loop), so the sink
runs its own event loop on a daemon thread and waits for each batch with a timeout.
Failures (server down, timeout) are logged at ERROR and never raised.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Sequence
from typing import Any

import nats
import pyarrow as pa
from nats.aio.client import Client

from scamlens.anomaly.sinks.base import AlertSink, alert_payloads

__all__ = ["NatsSink"]

logger = logging.getLogger(__name__)


async def _log_error(exc: Exception) -> None:
    # nats-py's default callback logs every failed attempt with a traceback; the
    # sink's caller logs the failure once with its retries.
    logger.debug("nats client error: %s", exc)


class NatsSink(AlertSink):
    """Publish alerts to ``subject`` on the NATS server(s) ``servers``.

    ``timeout`` bounds the connect-publish-flush of one batch in seconds.
    """

    name = "nats"

    def __init__(
        self,
        servers: str | Sequence[str] = "nats://127.0.0.1:4222",
        subject: str = "scamlens.alerts",
        *,
        timeout: float = 5.0,
    ) -> None:
        self.servers = [servers] if isinstance(servers, str) else list(servers)
        self.subject = subject
        self.timeout = timeout
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._client: Client | None = None
        self.published = 0

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            loop = asyncio.new_event_loop()
            thread = threading.Thread(
                target=loop.run_forever, name="scamlens-nats-sink", daemon=True
            )
            thread.start()
            self._loop, self._thread = loop, thread
        return self._loop

    async def _connected(self) -> Client:
        if self._client is None or not self._client.is_connected:
            self._client = await nats.connect(
                servers=self.servers,
                connect_timeout=self.timeout,
                allow_reconnect=True,
                max_reconnect_attempts=3,
                error_cb=_log_error,
            )
        return self._client

    async def _publish(self, payloads: list[dict[str, Any]]) -> int:
        client = await self._connected()
        for payload in payloads:
            body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
            await client.publish(
                self.subject,
                body,
                headers={"Nats-Msg-Id": str(payload.get("alert_id", ""))},
            )
        await client.flush(timeout=max(1, round(self.timeout)))
        return len(payloads)

    def send(self, alerts: pa.Table) -> None:
        if alerts.num_rows == 0:
            return
        payloads = alert_payloads(alerts)
        loop = self._ensure_loop()
        future = asyncio.run_coroutine_threadsafe(self._publish(payloads), loop)
        try:
            self.published += future.result(timeout=self.timeout * 2)
        except Exception as exc:  # a sink failure must never reach the detector
            future.cancel()
            logger.error(
                "nats publish failed subject=%s alerts=%d problem=%s: %s",
                self.subject,
                len(payloads),
                type(exc).__name__,
                exc,
            )

    async def _shutdown(self) -> None:
        """Cancel what is still pending (a timed-out publish), then disconnect."""
        current = asyncio.current_task()
        pending = [t for t in asyncio.all_tasks() if t is not current]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        if self._client is not None and not self._client.is_closed:
            await self._client.close()

    def close(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None:
            return
        future = asyncio.run_coroutine_threadsafe(self._shutdown(), loop)
        try:
            future.result(timeout=self.timeout)
        except Exception as exc:  # closing is best effort
            logger.debug("nats close failed: %s", exc)
        loop.call_soon_threadsafe(loop.stop)
        if thread is not None:
            thread.join(timeout=self.timeout)
        loop.close()
        self._loop = self._thread = self._client = None

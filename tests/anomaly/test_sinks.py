"""Sinks against real receivers: a local HTTP server, the local NATS, the log."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import nats
import pyarrow as pa
import pytest

from scamlens.anomaly import (
    LogSink,
    NatsSink,
    WebhookSink,
    alert_id,
    sinks_from_settings,
)
from scamlens.settings import StreamSettings
from scamlens.warehouse import ALERT_SCHEMA

START = datetime(2024, 5, 1, 6, 0, tzinfo=UTC)


def _alerts(count: int = 2) -> pa.Table:
    rows = []
    for i in range(count):
        segment = json.dumps({"region_code": f"33010{i}"})
        rows.append(
            {
                "alert_id": alert_id("rate_drop", "success_rate", segment, "1h", START),
                "kind": "rate_drop",
                "raised_at": START + timedelta(hours=1, seconds=5),
                "severity": "critical",
                "segment": segment,
                "grain": "1h",
                "window_start": START,
                "window_end": START + timedelta(hours=1),
                "metric": "success_rate",
                "observed": 0.12,
                "expected": 0.485,
                "lower": 0.10,
                "upper": 0.14,
                "p_value": 1e-12,
                "message_zh": "西湖区 接通率 12.0%",
                "message_en": "West Lake: success rate 12.0%",
                "details": json.dumps({"q_value": 1e-10}),
            }
        )
    return pa.Table.from_pylist(rows, schema=ALERT_SCHEMA)


class _Receiver:
    """A real HTTP server on 127.0.0.1 that fails the first ``fail`` requests."""

    def __init__(self, fail: int = 0, status: int = 503) -> None:
        self.fail = fail
        self.status = status
        self.requests: list[tuple[dict[str, str], dict]] = []
        self.attempts = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers["Content-Length"])
                body = json.loads(self.rfile.read(length))
                receiver.attempts += 1
                if receiver.attempts <= receiver.fail:
                    self.send_response(receiver.status)
                    self.end_headers()
                    return
                receiver.requests.append((dict(self.headers), body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(
            target=self.server.serve_forever, args=(0.05,), daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[_Receiver]:
    made: list[_Receiver] = []

    def factory(**kwargs: int) -> _Receiver:
        made.append(_Receiver(**kwargs))
        return made[-1]

    yield factory  # type: ignore[misc]
    for r in made:
        r.close()


def test_webhook_posts_each_alert_as_json(receiver) -> None:
    server = receiver()
    sink = WebhookSink(server.url, backoff=0.01)
    alerts = _alerts(2)
    sink.send(alerts)
    sink.close()
    assert sink.delivered == 2
    bodies = [body for _, body in server.requests]
    assert [b["alert_id"] for b in bodies] == alerts.column("alert_id").to_pylist()
    first_headers, first = server.requests[0]
    assert first_headers["Idempotency-Key"] == first["alert_id"]
    assert first["segment"] == {"region_code": "330100"}
    assert first["details"] == {"q_value": 1e-10}
    assert first["window_start"] == "2024-05-01T06:00:00+00:00"
    assert first["message_zh"] == "西湖区 接通率 12.0%"


def test_webhook_retries_with_exponential_backoff(receiver) -> None:
    server = receiver(fail=3)
    waits: list[float] = []
    sink = WebhookSink(server.url, retries=4, backoff=0.01, sleep=waits.append)
    sink.send(_alerts(1))
    sink.close()
    assert server.attempts == 4
    assert sink.delivered == 1
    assert waits == pytest.approx([0.01, 0.02, 0.04])


def test_webhook_gives_up_and_logs_without_raising(receiver, caplog) -> None:
    server = receiver(fail=100)
    sink = WebhookSink(server.url, retries=2, backoff=0.001)
    with caplog.at_level(logging.ERROR):
        sink.send(_alerts(1))
    sink.close()
    assert server.attempts == 3
    assert sink.failed == 1
    assert "webhook gave up" in caplog.text and "HTTP 503" in caplog.text


def test_webhook_does_not_retry_a_client_error(receiver) -> None:
    server = receiver(fail=100, status=400)
    sink = WebhookSink(server.url, retries=5, backoff=0.001)
    sink.send(_alerts(1))
    sink.close()
    assert server.attempts == 1
    assert sink.failed == 1


def test_webhook_survives_a_dead_endpoint(caplog) -> None:
    # Nothing listens on port 9 (discard) on this machine: connection refused.
    sink = WebhookSink("http://127.0.0.1:9/hook", retries=1, backoff=0.001, timeout=1)
    sink.send(_alerts(1))
    sink.close()
    assert sink.failed == 1
    assert "ConnectError" in caplog.text


@pytest.mark.services
def test_nats_sink_publishes_alert_json() -> None:
    subject = f"scamlens.test.alerts.{datetime.now(UTC).timestamp():.0f}"
    received: list[bytes] = []
    ready = threading.Event()
    done = threading.Event()

    async def listen() -> None:
        nc = await nats.connect("nats://127.0.0.1:4222")

        async def handler(msg) -> None:
            received.append(msg.data)
            if msg.headers:
                received.append(msg.headers.get("Nats-Msg-Id", "").encode())
            if len(received) >= 4:
                done.set()

        await nc.subscribe(subject, cb=handler)
        await nc.flush()
        ready.set()
        for _ in range(100):
            if done.is_set():
                break
            await asyncio.sleep(0.05)
        await nc.close()

    listener = threading.Thread(target=lambda: asyncio.run(listen()))
    listener.start()
    assert ready.wait(5)
    sink = NatsSink("nats://127.0.0.1:4222", subject)
    alerts = _alerts(2)
    sink.send(alerts)
    sink.close()
    listener.join(10)
    assert sink.published == 2
    bodies = [json.loads(b) for b in received[0::2]]
    assert [b["alert_id"] for b in bodies] == alerts.column("alert_id").to_pylist()
    assert bodies[0]["segment"] == {"region_code": "330100"}
    assert received[1].decode() == bodies[0]["alert_id"]


def test_nats_sink_logs_when_the_server_is_down(caplog) -> None:
    sink = NatsSink("nats://127.0.0.1:9", "scamlens.nowhere", timeout=0.5)
    sink.send(_alerts(1))
    sink.close()
    assert sink.published == 0
    assert "nats publish failed" in caplog.text


def test_log_sink_writes_a_warning_with_key_value_fields(caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="scamlens"):
        LogSink().send(_alerts(2))
    lines = [r for r in caplog.records if r.name == "scamlens.anomaly.sinks.log"]
    assert len(lines) == 2
    assert all(r.levelno == logging.WARNING for r in lines)
    text = lines[0].getMessage()
    assert "severity='critical'" in text
    assert "metric='success_rate'" in text
    assert "window_start='2024-05-01T06:00:00+00:00'" in text
    assert "message='West Lake: success rate 12.0%'" in text


def test_sinks_from_settings_follow_the_stream_settings() -> None:
    assert [s.name for s in sinks_from_settings(StreamSettings())] == ["log"]
    sinks = sinks_from_settings(
        StreamSettings(alert_webhook="http://127.0.0.1:9/h", alert_subject="a.b")
    )
    assert [s.name for s in sinks] == ["log", "webhook", "nats"]
    assert sinks[2].subject == "a.b"  # type: ignore[attr-defined]
    for sink in sinks:
        sink.close()

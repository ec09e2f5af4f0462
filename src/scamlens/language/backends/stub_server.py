"""A deterministic OpenAI-compatible chat server for tests, benchmarks and demos.

It answers ``POST /v1/chat/completions`` the way the llm backend expects: it reads
the JSON batch in the last user message and replies with one result per item,
decided by a small keyword table, so answers are repeatable and need no model. It can
misbehave on purpose: fail the first N requests with HTTP 500, answer with invalid
JSON, refuse ``json_schema``, or sleep before answering (to exercise timeouts and
concurrency). It counts requests and the largest number in flight at once.

Run it by hand with ``python -m scamlens.language.backends.stub_server``.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["StubConfig", "StubServer", "stub_classify", "stub_label"]

logger = logging.getLogger(__name__)

_TYPE_WORDS: tuple[tuple[str, str], ...] = (
    ("刷单", "order_brushing"),
    ("点赞", "order_brushing"),
    ("佣金", "order_brushing"),
    ("安全账户", "impersonate_police"),
    ("公安", "impersonate_police"),
    ("洗钱", "impersonate_police"),
    ("征信", "fake_credit_repair"),
    ("校园贷", "fake_credit_repair"),
    ("贷款", "fake_loan"),
    ("解冻", "fake_loan"),
    ("股票", "fake_investment"),
    ("投资", "fake_investment"),
    ("理财", "fake_investment"),
    ("客服", "fake_customer_service"),
    ("退款", "fake_customer_service"),
    ("理赔", "fake_customer_service"),
    ("领导", "impersonate_acquaintance"),
    ("游戏", "game_trading"),
    ("皮肤", "game_trading"),
    ("网恋", "romance"),
    ("交友", "romance"),
    ("中奖", "other"),
    ("发货", "fake_shopping"),
)


def stub_classify(text: str) -> dict[str, Any]:
    """The stub's verdict: the first keyword of the table found in ``text``."""
    for word, code in _TYPE_WORDS:
        if word in text and f"没有{word}" not in text and f"没{word}" not in text:
            return {"fraud_type": code, "confidence": 0.9, "evidence": [word]}
    return {"fraud_type": "none", "confidence": 0.8, "evidence": []}


def stub_label(text: str) -> dict[str, Any]:
    """The stub's dialogue label by a few fixed words."""
    if "正在" in text:
        intent, confirmed, defrauded = "being_defrauded_now", True, False
    elif "被骗" in text and "没被骗" not in text:
        intent, confirmed, defrauded = "already_defrauded", True, True
    elif "怎么办" in text:
        intent, confirmed, defrauded = "asks_for_help", True, False
    elif text.startswith(("是", "对")):
        intent, confirmed, defrauded = "confirms", True, False
    elif text.startswith(("没", "不")):
        intent, confirmed, defrauded = "denies", False, False
    else:
        intent, confirmed, defrauded = "other", False, False
    return {
        "intent": intent,
        "confirmed_accurate": confirmed,
        "reported_defrauded": defrauded,
        "confidence": 0.9,
        "evidence": [],
    }


@dataclass
class StubConfig:
    """How the stub behaves; counters are updated while it runs."""

    fail_first: int = 0
    garbage_first: int = 0
    delay_seconds: float = 0.0
    refuse_json_schema: bool = False
    requests: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    bodies: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _answer(body: dict[str, Any]) -> dict[str, Any]:
    messages = body.get("messages") or []
    user = next(
        (m["content"] for m in reversed(messages) if m.get("role") == "user"), ""
    )
    system = next((m["content"] for m in messages if m.get("role") == "system"), "")
    payload = json.loads(user[user.find("{") :]) if "{" in user else {"items": []}
    items = payload.get("items", [])
    if "话术库的编辑" in system:
        joined = " ".join(i["text"] for i in items)
        verdict = stub_classify(joined)
        content: dict[str, Any] = {
            "name": "新话术",
            "fraud_type": verdict["fraud_type"],
            "persona": "未知",
            "hook": joined[:30],
            "actions": ["transfer"],
            "keywords": verdict["evidence"] or [joined[:4]],
        }
    elif "回访质检员" in system:
        content = {"results": [{"id": i["id"], **stub_label(i["text"])} for i in items]}
    else:
        content = {
            "results": [{"id": i["id"], **stub_classify(i["text"])} for i in items]
        }
    return {
        "id": "stub-1",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "stub"),
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {
                    "role": "assistant",
                    "content": json.dumps(content, ensure_ascii=False),
                },
            }
        ],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
    }


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        logger.debug("stub: " + format, *args)

    def _send(self, status: int, payload: Any) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802
        self._send(200, {"object": "list", "data": [{"id": "stub", "object": "model"}]})

    def do_POST(self) -> None:  # noqa: N802
        cfg = self.server.config
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length) or b"{}")
        with cfg.lock:
            cfg.requests += 1
            number = cfg.requests
            cfg.in_flight += 1
            cfg.max_in_flight = max(cfg.max_in_flight, cfg.in_flight)
            cfg.bodies.append(body)
        try:
            if cfg.delay_seconds:
                time.sleep(cfg.delay_seconds)
            if number <= cfg.fail_first:
                self._send(
                    500, {"error": {"message": "stub failure", "type": "server"}}
                )
                return
            kind = (body.get("response_format") or {}).get("type")
            if cfg.refuse_json_schema and kind == "json_schema":
                self._send(
                    400,
                    {
                        "error": {
                            "message": "response_format json_schema is not supported",
                            "type": "invalid_request",
                        }
                    },
                )
                return
            if number <= cfg.fail_first + cfg.garbage_first:
                answer = _answer(body)
                answer["choices"][0]["message"]["content"] = "sorry, not json"
                self._send(200, answer)
                return
            self._send(200, _answer(body))
        finally:
            with cfg.lock:
                cfg.in_flight -= 1


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    config: StubConfig


class StubServer:
    """Context manager: ``with StubServer() as stub: stub.url`` (on 127.0.0.1)."""

    def __init__(self, config: StubConfig | None = None) -> None:
        self.config = config or StubConfig()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}/v1"

    def __enter__(self) -> StubServer:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.config = self.config
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


if __name__ == "__main__":  # pragma: no cover - manual use
    with StubServer() as stub:
        print(f"stub OpenAI-compatible server at {stub.url}; Ctrl-C to stop")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass

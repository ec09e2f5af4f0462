"""The llm backend against a local OpenAI-compatible stub server (no network)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import httpx
import pytest

from scamlens.errors import ConfigError
from scamlens.language.backends.cache import DuckDBCache, MemoryCache
from scamlens.language.backends.llm import LLMBackend
from scamlens.language.backends.stub_server import StubConfig, StubServer
from scamlens.settings import LanguageSettings


def _settings(url: str, **kw: object) -> LanguageSettings:
    base = {
        "backend": "llm",
        "llm_base_url": url,
        "llm_model": "stub-model",
        "llm_timeout_seconds": 5.0,
        "llm_concurrency": 4,
        "llm_max_retries": 2,
    }
    base.update(kw)
    return LanguageSettings(**base)  # type: ignore[arg-type]


@pytest.fixture
def stub() -> Iterator[StubServer]:
    with StubServer() as server:
        yield server


def test_classify_batches_and_validates_answers(stub: StubServer) -> None:
    backend = LLMBackend(_settings(stub.url), batch_size=3)
    texts = ["刷单日结佣金", "您好", "", "我在游戏里卖皮肤", "公安局说我洗钱", "中奖了"]
    results = backend.classify(texts)
    assert [r.fraud_type for r in results] == [
        "order_brushing",
        "none",
        "none",
        "game_trading",
        "impersonate_police",
        "other",
    ]
    assert results[0].evidence == ("刷单",) and results[0].backend == "llm"
    assert results[2].note == "empty text"
    assert stub.config.requests == 2  # five non-empty texts in batches of three
    body = stub.config.bodies[0]
    assert body["model"] == "stub-model"
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["schema"]["required"] == ["results"]


def test_answers_are_cached_by_text_and_prompt(stub: StubServer) -> None:
    cache = MemoryCache()
    backend = LLMBackend(_settings(stub.url), cache=cache)
    backend.classify(["刷单日结", "理财收益高"])
    requests = stub.config.requests
    again = backend.classify(["理财收益高", "刷单日结"])
    assert stub.config.requests == requests
    assert [r.fraud_type for r in again] == ["fake_investment", "order_brushing"]
    assert backend.stats["cached"] == 2


def test_duckdb_cache_survives_a_new_backend(stub: StubServer, tmp_path) -> None:
    path = tmp_path / "cache.duckdb"
    first = LLMBackend(_settings(stub.url), cache=DuckDBCache(path))
    first.classify(["刷单日结"])
    first.close()
    second = LLMBackend(_settings(stub.url), cache=DuckDBCache(path))
    before = stub.config.requests
    assert second.classify(["刷单日结"])[0].fraud_type == "order_brushing"
    assert stub.config.requests == before
    second.close()


def test_failures_are_retried_with_backoff() -> None:
    with StubServer(StubConfig(fail_first=1, garbage_first=1)) as server:
        backend = LLMBackend(
            _settings(server.url, llm_max_retries=2), backoff_seconds=0.01
        )
        (result,) = backend.classify(["刷单日结"])
        assert result.backend == "llm" and result.fraud_type == "order_brushing"
        assert server.config.requests == 3
        assert backend.stats["failures"] == 2


def test_endpoint_down_falls_back_to_rules_with_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with StubServer(StubConfig(fail_first=100)) as server:
        backend = LLMBackend(
            _settings(server.url, llm_max_retries=1), backoff_seconds=0.01
        )
        with caplog.at_level(logging.WARNING, logger="scamlens.language"):
            results = backend.classify(["诚招兼职点赞关注一单3元日结", "您好"])
            labels = backend.label(["我已经被骗了转了五千"])
    assert [r.backend for r in results] == ["rules", "rules"]
    assert results[0].fraud_type == "order_brushing"
    assert "llm failed" in results[0].note
    assert labels[0].backend == "rules" and labels[0].reported_defrauded
    assert "used rules" in caplog.text


def test_timeout_falls_back_to_rules() -> None:
    with StubServer(StubConfig(delay_seconds=1.0)) as server:
        backend = LLMBackend(
            _settings(server.url, llm_timeout_seconds=0.2, llm_max_retries=0)
        )
        (result,) = backend.classify(["刷单日结佣金"])
    assert result.backend == "rules" and result.fraud_type == "order_brushing"


def test_server_refusing_json_schema_gets_json_object() -> None:
    with StubServer(StubConfig(refuse_json_schema=True)) as server:
        backend = LLMBackend(_settings(server.url), backoff_seconds=0.01)
        (result,) = backend.classify(["刷单日结"])
        kinds = [b["response_format"]["type"] for b in server.config.bodies]
    assert result.backend == "llm"
    assert kinds == ["json_schema", "json_object"]


def test_concurrency_limit_is_respected() -> None:
    with StubServer(StubConfig(delay_seconds=0.1)) as server:
        backend = LLMBackend(_settings(server.url, llm_concurrency=3), batch_size=1)
        backend.classify([f"刷单任务{i}" for i in range(9)])
        assert server.config.requests == 9
        assert 2 <= server.config.max_in_flight <= 3


def test_label_reads_intents(stub: StubServer) -> None:
    backend = LLMBackend(_settings(stub.url))
    labels = backend.label(["是的我被骗了", "没有", "他正在让我转账", ""])
    assert [lb.intent for lb in labels] == [
        "already_defrauded",
        "denies",
        "being_defrauded_now",
        "busy_or_hung_up",
    ]
    assert labels[0].reported_defrauded and not labels[1].confirmed_accurate


def test_injected_transport_replaces_the_network() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        body = json.loads(request.content)
        items = json.loads(body["messages"][-1]["content"])["items"]
        content = {
            "results": [
                {
                    "id": i["id"],
                    "fraud_type": "romance",
                    "confidence": 7,
                    "evidence": ["不在原文"],
                }
                for i in items
            ]
        }
        return httpx.Response(
            200,
            json={
                "id": "x",
                "object": "chat.completion",
                "created": 0,
                "model": "m",
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "stop",
                        "message": {
                            "role": "assistant",
                            "content": json.dumps(content),
                        },
                    }
                ],
            },
        )

    client = httpx.Client(transport=httpx.MockTransport(handler))
    backend = LLMBackend(_settings("http://llm.invalid/v1"), http_client=client)
    (result,) = backend.classify(["宝贝我想你"])
    assert seen == ["http://llm.invalid/v1/chat/completions"]
    assert result.confidence == 1.0  # clipped
    assert result.evidence == ()  # spans not in the text are dropped


def test_missing_endpoint_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="llm_base_url"):
        LLMBackend(LanguageSettings(backend="llm"))


def test_summarise_returns_a_script_sketch(stub: StubServer) -> None:
    backend = LLMBackend(_settings(stub.url))
    summary = backend.summarise(["刷单日结", "刷单赚佣金"])
    assert summary is not None and summary["fraud_type"] == "order_brushing"

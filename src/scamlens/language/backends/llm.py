"""The ``llm`` backend: any OpenAI-compatible chat endpoint (vLLM, Ollama, Qwen...).

How a batch of texts travels:

1. Texts are cleaned and cut to :data:`PROMPT_CHARS`; answers already in the cache
   (keyed by task, model, prompt version and text) are taken from it.
2. The rest go in requests of ``batch_size`` texts, at most ``llm_concurrency`` in
   flight (a thread pool; the OpenAI client is thread-safe), each with the
   configured timeout and a JSON-schema ``response_format``. Servers that refuse
   ``json_schema`` are asked again with ``json_object`` from then on.
3. A failed request (HTTP error, timeout, invalid JSON, missing items) is retried
   with exponential backoff up to ``llm_max_retries`` times; after that its texts
   are answered by the fallback backend (rules) and a warning is logged once per
   batch. Every text always gets an answer.

Answers are validated: unknown codes become the fallback's answer, confidences are
clipped to 0..1 and evidence spans that do not occur in the text are dropped (a
model may paraphrase; the evidence column promises spans of the input).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from scamlens.errors import ConfigError
from scamlens.language.backends.base import Backend, Classification
from scamlens.language.backends.cache import LLMCache, MemoryCache, cache_key
from scamlens.language.backends.prompts import (
    CLASSIFY_SCHEMA,
    LABEL_SCHEMA,
    PROMPT_VERSION,
    SUMMARY_SCHEMA,
    classify_messages,
    label_messages,
    summary_messages,
)
from scamlens.language.backends.rules import RulesBackend
from scamlens.language.dialogue.intents import DialogueLabel, Intent
from scamlens.language.library.model import Library
from scamlens.language.taxonomy import CODES, NONE
from scamlens.language.text import mask_pii, prepare
from scamlens.settings import LanguageSettings

__all__ = ["LLMBackend", "LLMError", "PROMPT_CHARS"]

logger = logging.getLogger(__name__)

PROMPT_CHARS = 2000
"""Characters of one text sent to the model; a long call keeps its beginning."""

_INTENTS = {i.value for i in Intent}


class LLMError(Exception):
    """One request failed in a way a retry may fix (internal to this module)."""


class LLMBackend(Backend):
    """Classify and label with a chat model behind an OpenAI-compatible API."""

    name = "llm"

    def __init__(
        self,
        settings: LanguageSettings,
        *,
        library: Library | None = None,
        http_client: httpx.Client | None = None,
        cache: LLMCache | None = None,
        fallback: Backend | None = None,
        batch_size: int = 8,
        backoff_seconds: float = 0.5,
    ) -> None:
        if not settings.llm_base_url or not settings.llm_model:
            raise ConfigError(
                "the llm backend needs language.llm_base_url and language.llm_model "
                f"(got `{settings.llm_base_url}` and `{settings.llm_model}`); set "
                "SCAMLENS_LLM_BASE_URL and SCAMLENS_LLM_MODEL or pick another backend"
            )
        import openai

        self.settings = settings
        self.model = settings.llm_model
        self.batch_size = max(1, batch_size)
        self.backoff_seconds = backoff_seconds
        self.cache = cache or MemoryCache()
        self.fallback = fallback or RulesBackend(library)
        self._client = openai.OpenAI(
            base_url=settings.llm_base_url,
            api_key=settings.llm_api_key or "not-needed",
            timeout=settings.llm_timeout_seconds,
            max_retries=0,
            http_client=http_client,  # type: ignore[arg-type]
        )
        self._schema_mode = "json_schema"
        self.stats = {"requests": 0, "failures": 0, "fallbacks": 0, "cached": 0}

    # -- transport -------------------------------------------------------------

    def _complete(
        self, messages: list[dict[str, str]], name: str, schema: dict[str, Any]
    ) -> dict[str, Any]:
        import openai

        if self._schema_mode == "json_schema":
            response_format: dict[str, Any] = {
                "type": "json_schema",
                "json_schema": {"name": name, "schema": schema, "strict": True},
            }
        else:
            response_format = {"type": "json_object"}
        try:
            self.stats["requests"] += 1
            completions: Any = self._client.chat.completions
            reply = completions.create(
                model=self.model,
                messages=messages,
                temperature=0,
                response_format=response_format,
            )
        except openai.BadRequestError as exc:
            if self._schema_mode == "json_schema" and "response_format" in str(exc):
                logger.warning("endpoint refuses json_schema; using json_object")
                self._schema_mode = "json_object"
            raise LLMError(f"bad request: {str(exc)[:200]}") from None
        except (openai.APIError, httpx.HTTPError) as exc:
            raise LLMError(f"{type(exc).__name__}: {str(exc)[:200]}") from None
        content = reply.choices[0].message.content if reply.choices else None
        if not content:
            raise LLMError("empty answer")
        try:
            data = json.loads(_strip_fences(content))
        except json.JSONDecodeError as exc:
            raise LLMError(f"answer is not JSON ({exc.msg})") from None
        if not isinstance(data, dict):
            raise LLMError("answer is not a JSON object")
        return data

    def _with_retries(
        self, call: Callable[[], dict[str, Any]]
    ) -> dict[str, Any] | None:
        attempts = 1 + max(0, self.settings.llm_max_retries)
        for attempt in range(attempts):
            try:
                return call()
            except LLMError as exc:
                self.stats["failures"] += 1
                if attempt + 1 == attempts:
                    logger.warning(
                        "LLM request failed after %d attempts: %s", attempts, exc
                    )
                    return None
                delay = self.backoff_seconds * (2**attempt)
                logger.info("LLM request failed (%s); retry in %.2fs", exc, delay)
                time.sleep(delay)
        return None

    # -- batching ---------------------------------------------------------------

    def _run(
        self,
        task: str,
        texts: list[str],
        build: Callable[[list[tuple[int, str]]], list[dict[str, str]]],
        schema: dict[str, Any],
    ) -> list[dict[str, Any] | None]:
        """Answers for ``texts`` (None where the endpoint could not answer)."""
        keys = [cache_key(task, self.model, PROMPT_VERSION, t) for t in texts]
        cached = self.cache.get_many(sorted(set(keys)))
        answers: list[dict[str, Any] | None] = [cached.get(k) for k in keys]
        self.stats["cached"] += sum(1 for a in answers if a is not None)
        todo: dict[str, int] = {}
        for i, (key, answer) in enumerate(zip(keys, answers, strict=True)):
            if answer is None and texts[i] and key not in todo:
                todo[key] = i
        order = list(todo.values())
        batches = [
            order[s : s + self.batch_size]
            for s in range(0, len(order), self.batch_size)
        ]

        def one(batch: list[int]) -> dict[int, dict[str, Any]]:
            items = [(n, texts[i]) for n, i in enumerate(batch)]
            data = self._with_retries(
                lambda: self._complete(build(items), task, schema)
            )
            found: dict[int, dict[str, Any]] = {}
            results = data.get("results") if data else None
            if isinstance(results, list):
                for item in results:
                    if isinstance(item, dict) and isinstance(item.get("id"), int):
                        n = item["id"]
                        if 0 <= n < len(batch):
                            found[batch[n]] = item
            return found

        fresh: dict[str, dict[str, Any]] = {}
        workers = max(1, min(self.settings.llm_concurrency, len(batches) or 1))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for found in pool.map(one, batches):
                for i, item in found.items():
                    fresh[keys[i]] = item
        self.cache.put_many(fresh, task)
        return [
            a if a is not None else fresh.get(k)
            for a, k in zip(answers, keys, strict=True)
        ]

    # -- public API ---------------------------------------------------------------

    def classify(self, texts: Sequence[object]) -> list[Classification]:
        prepared = [prepare(t) for t in texts]
        cut = [p.text[:PROMPT_CHARS] for p in prepared]
        answers = self._run("classify", cut, classify_messages, CLASSIFY_SCHEMA)
        results: list[Classification] = []
        missing = [i for i, a in enumerate(answers) if _bad_class(a) and cut[i]]
        backup = dict(
            zip(
                missing,
                self.fallback.classify([prepared[i].text for i in missing]),
                strict=True,
            )
        )
        if missing:
            self.stats["fallbacks"] += len(missing)
            logger.warning(
                "LLM gave no usable answer for %d of %d texts; used %s",
                len(missing),
                len(texts),
                self.fallback.name,
            )
        for i, (p, answer) in enumerate(zip(prepared, answers, strict=True)):
            if not p.text:
                results.append(Classification(NONE, 0.5, "", (), self.name, p.note))
            elif i in backup:
                b = backup[i]
                note = "; ".join(
                    x for x in (p.note, f"llm failed, {b.backend} used") if x
                )
                results.append(
                    Classification(
                        b.fraud_type,
                        b.confidence,
                        b.script_id,
                        b.evidence,
                        b.backend,
                        note,
                        b.matched,
                    )
                )
            else:
                assert answer is not None
                code = str(answer["fraud_type"])
                rules = self.fallback.classify([p.text])[0] if code != NONE else None
                script = rules.script_id if rules and rules.fraud_type == code else ""
                results.append(
                    Classification(
                        code,
                        _clip(answer.get("confidence")),
                        script,
                        _spans(answer.get("evidence"), p.text),
                        self.name,
                        p.note,
                        code != NONE,
                    )
                )
        return results

    def label(self, transcripts: Sequence[object]) -> list[DialogueLabel]:
        prepared = [prepare(t) for t in transcripts]
        cut = [p.text[:PROMPT_CHARS] for p in prepared]
        answers = self._run("label", cut, label_messages, LABEL_SCHEMA)
        missing = [i for i, a in enumerate(answers) if _bad_label(a) and cut[i]]
        backup = dict(
            zip(
                missing,
                self.fallback.label([transcripts[i] for i in missing]),
                strict=True,
            )
        )
        if missing:
            self.stats["fallbacks"] += len(missing)
            logger.warning(
                "LLM gave no usable label for %d of %d transcripts; used %s",
                len(missing),
                len(transcripts),
                self.fallback.name,
            )
        labels: list[DialogueLabel] = []
        for i, (p, answer) in enumerate(zip(prepared, answers, strict=True)):
            if not p.text:
                labels.append(
                    DialogueLabel(
                        Intent.BUSY_OR_HUNG_UP,
                        False,
                        False,
                        0.6,
                        backend=self.name,
                        note=p.note,
                    )
                )
            elif i in backup:
                labels.append(backup[i])
            else:
                assert answer is not None
                labels.append(
                    DialogueLabel(
                        str(answer["intent"]),
                        bool(answer["confirmed_accurate"]),
                        bool(answer["reported_defrauded"]),
                        _clip(answer.get("confidence")),
                        _spans(answer.get("evidence"), p.text),
                        NONE,
                        self.name,
                        p.note,
                    )
                )
        return labels

    def summarise(self, texts: Sequence[str]) -> dict[str, Any] | None:
        """Persona, hook, actions and keywords shared by ``texts`` (None on failure)."""
        sample = [prepare(t).text[:400] for t in texts[:12]]
        data = self._with_retries(
            lambda: self._complete(summary_messages(sample), "summary", SUMMARY_SCHEMA)
        )
        if not data or data.get("fraud_type") not in CODES:
            return None
        return data

    def close(self) -> None:
        self._client.close()
        self.cache.close()


def _strip_fences(content: str) -> str:
    text = content.strip()
    if text.startswith("```"):
        text = text.strip("`")
        text = text[text.find("{") :] if "{" in text else text
    return text


def _bad_class(answer: dict[str, Any] | None) -> bool:
    return answer is None or answer.get("fraud_type") not in CODES


def _bad_label(answer: dict[str, Any] | None) -> bool:
    return (
        answer is None
        or answer.get("intent") not in _INTENTS
        or not isinstance(answer.get("confirmed_accurate"), bool)
        or not isinstance(answer.get("reported_defrauded"), bool)
    )


def _clip(value: object) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0.5
    return round(min(max(number, 0.0), 1.0), 3)


def _spans(value: object, text: str) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    spans = [str(v).strip().lower() for v in value if isinstance(v, str)]
    return tuple(dict.fromkeys(mask_pii(s) for s in spans if s and s in text))

"""A cache of LLM answers keyed by the text, the task, the model and the prompt version.

Asking a model the same question twice costs money and time and may even get a
different answer; the cache makes re-runs cheap and repeatable. Changing the prompt
(its version) or the model changes the key, so stale answers are never reused. The
durable cache is a DuckDB file of its own (table ``lang_llm_cache``) so it never
competes with the warehouse for its write lock; when it cannot be opened the backend
keeps going with an in-memory cache and says so in the log.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["DuckDBCache", "LLMCache", "MemoryCache", "cache_key"]

logger = logging.getLogger(__name__)


def cache_key(task: str, model: str, prompt_version: str, text: str) -> str:
    """The hex SHA-256 of everything that determines an answer."""
    raw = "\x1f".join((task, model, prompt_version, text))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class LLMCache:
    """Interface: ``get`` a stored answer or None, ``put`` a new one."""

    def get_many(self, keys: list[str]) -> dict[str, dict[str, Any]]:
        raise NotImplementedError

    def put_many(self, items: dict[str, dict[str, Any]], task: str) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Release the storage (nothing by default)."""


class MemoryCache(LLMCache):
    """A per-process dict; what tests and one-off runs use."""

    def __init__(self) -> None:
        self._data: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def get_many(self, keys: list[str]) -> dict[str, dict[str, Any]]:
        with self._lock:
            return {k: self._data[k] for k in keys if k in self._data}

    def put_many(self, items: dict[str, dict[str, Any]], task: str) -> None:
        with self._lock:
            self._data.update(items)

    def __len__(self) -> int:
        return len(self._data)


class DuckDBCache(LLMCache):
    """Answers stored in ``lang_llm_cache`` of a DuckDB file."""

    def __init__(self, path: Path) -> None:
        import duckdb

        path.parent.mkdir(parents=True, exist_ok=True)
        self._con = duckdb.connect(str(path))
        self._con.execute(
            "CREATE TABLE IF NOT EXISTS lang_llm_cache (key VARCHAR PRIMARY KEY, "
            "task VARCHAR, answer VARCHAR, created_at TIMESTAMPTZ)"
        )
        self._lock = threading.Lock()

    def get_many(self, keys: list[str]) -> dict[str, dict[str, Any]]:
        if not keys:
            return {}
        with self._lock:
            rows = self._con.execute(
                "SELECT key, answer FROM lang_llm_cache "
                "WHERE key IN (SELECT unnest(?))",
                [keys],
            ).fetchall()
        return {k: json.loads(a) for k, a in rows}

    def put_many(self, items: dict[str, dict[str, Any]], task: str) -> None:
        if not items:
            return
        now = datetime.now(UTC)
        rows = [
            (k, task, json.dumps(v, ensure_ascii=False), now) for k, v in items.items()
        ]
        with self._lock:
            self._con.executemany(
                "INSERT INTO lang_llm_cache VALUES (?, ?, ?, ?) ON CONFLICT (key) DO "
                "UPDATE SET answer = excluded.answer, created_at = excluded.created_at",
                rows,
            )

    def close(self) -> None:
        self._con.close()


def open_cache(path: Path | None) -> LLMCache:
    """A durable cache at ``path`` when it can be opened, else an in-memory one."""
    if path is None:
        return MemoryCache()
    try:
        return DuckDBCache(path)
    except Exception as exc:  # locked by another process, read-only disk, ...
        logger.warning(
            "LLM cache %s cannot be opened (%s); caching in memory only",
            path,
            str(exc).splitlines()[0],
        )
        return MemoryCache()

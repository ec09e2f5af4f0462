"""What every source of outreach records provides.

A source yields *text batches*: pyarrow tables whose columns are contract columns
(any subset, as text), ``extras`` (JSON of the other columns) and ``_malformed``
(redacted raw text of a row that could not be read as a record). Batches are small
(``engine.chunk_rows``), so memory does not grow with the size of the input.

Sources that can be read in place by DuckDB (Parquet) also offer :meth:`Source.scan`,
which the one-shot ``metrics`` path uses to avoid copying anything.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from scamlens.contract import REQUIRED
from scamlens.errors import SchemaMismatch

__all__ = ["Position", "Source", "check_columns", "is_database_url"]

logger = logging.getLogger(__name__)


@dataclass
class Position:
    """How far a source has been read; stored in the warehouse between runs."""

    data: dict[str, Any] = field(default_factory=dict)


def check_columns(where: str, columns: list[str]) -> None:
    """Raise :class:`SchemaMismatch` when required contract columns are absent, or
    a column name appears twice (which of the two values would count?)."""
    seen: dict[str, int] = {}
    for position, name in enumerate(columns, 1):
        if name in seen:
            raise SchemaMismatch(
                f"{where} has column `{name}` twice (columns {seen[name]} and "
                f"{position}); keep one of them, or rename the other"
            )
        seen[name] = position
    present = set(columns)
    missing = [c for c in REQUIRED if c not in present]
    if "phone" not in present and "citizen_id" not in present:
        missing.append("phone or citizen_id")
    if missing:
        shown = ", ".join(columns[:12]) + (" ..." if len(columns) > 12 else "")
        raise SchemaMismatch(
            f"{where} lacks required column(s) `{'`, `'.join(missing)}`; it has: "
            f"{shown or 'no columns'}. Rename the columns to the record contract "
            "(docs/data-dictionary.md) or check the delimiter and encoding"
        )


class Source(ABC):
    """A place outreach records are read from."""

    kind: str = "source"

    @property
    @abstractmethod
    def key(self) -> str:
        """Stable identity for remembering positions (no secrets in it)."""

    @abstractmethod
    def describe(self) -> str:
        """Short human description for progress bars and reports."""

    @abstractmethod
    def batches(self, position: Position | None) -> Iterator[pa.Table]:
        """Yield text batches of records not read before ``position``."""

    def next_position(self) -> Position | None:
        """The position after the batches just yielded (None: nothing to store)."""
        return None

    def scan(self, con: Any, key: bytes) -> str | None:
        """A DuckDB relation reading the source in place, or None if unsupported."""
        return None

    def size_hint(self) -> int | None:
        """Rough number of rows, for progress bars."""
        return None


def text_columns(
    names: list[str], mapping: Mapping[str, str] | None = None
) -> list[str]:
    """Apply an optional rename ``mapping`` (source name → contract name)."""
    if not mapping:
        return names
    return [mapping.get(n, n) for n in names]


def is_database_url(text: str) -> bool:
    """True when ``text`` looks like a SQLAlchemy URL rather than a path."""
    head = text.split("://", 1)[0]
    return "://" in text and head.replace("+", "").replace("_", "").isalnum()

"""What a streaming source provides: polls of records with a position, then acks.

A streaming source differs from a batch :class:`scamlens.sources.Source` in that it
never ends and must be told when a micro-batch is safely committed: JetStream wants
its acknowledgements only then. A poll returns a text batch (the landing shape) and
the position *after* it; the engine commits both together, then the runner calls
:meth:`StreamSource.committed`.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from scamlens.streaming.prepare import Prepared

__all__ = ["Pulled", "StreamSource"]

logger = logging.getLogger(__name__)


@dataclass
class Pulled:
    """One poll's worth of records.

    ``items`` counts what the source consumed (messages, rows, including ones it
    skipped); ``token`` is whatever :meth:`StreamSource.committed` needs (acks).
    """

    records: pa.Table | None
    position: dict[str, Any]
    items: int
    dedup: bool = False
    token: Any = None
    last_item: int | None = None
    """Source-specific number of the last item (the JetStream stream sequence)."""
    prepared: Prepared | None = None
    """``records`` landed and parsed ahead (:mod:`scamlens.streaming.prepare`)."""


class StreamSource(ABC):
    """A never-ending source of outreach records."""

    kind: str = "stream"

    @property
    @abstractmethod
    def key(self) -> str:
        """Stable identity for the stored position (no secrets in it)."""

    @abstractmethod
    def open(self, position: dict[str, Any] | None) -> None:
        """Start reading after the committed ``position`` (None: from the start)."""

    @abstractmethod
    def poll(self, max_records: int, max_seconds: float) -> Pulled | None:
        """Records that arrived, at most ``max_records``, waiting at most
        ``max_seconds`` after the first one; None when nothing arrived for a while."""

    def committed(self, pulled: Pulled) -> None:  # noqa: B027 - most sources need nothing
        """Called once ``pulled`` and its position are committed."""

    def close(self) -> None:  # noqa: B027 - most sources hold nothing
        """Release connections and threads."""

    def describe(self) -> str:
        return self.key

"""The one interface every language backend implements.

A backend answers two questions about a batch of raw texts: which fraud script does
each text match (:meth:`Backend.classify`), and what does each citizen's reply say
(:meth:`Backend.label`). Raw values go in (None, bytes, HTML, anything); every input
gets exactly one result back, in order, so callers can zip results onto their rows.
Backends are built by :mod:`.registry` from the settings; built-in and extra
backends register the same way.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from scamlens.language.dialogue.intents import DialogueLabel

__all__ = ["Backend", "Classification"]

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class Classification:
    """Which script a text matches, how sure the backend is, and why (a value)."""

    fraud_type: str
    confidence: float
    script_id: str = ""
    evidence: tuple[str, ...] = ()
    backend: str = ""
    note: str = ""
    matched: bool = False
    """A library entry (fraud or benign) explains the text well (for coverage)."""


class Backend(ABC):
    """Base of the rules, model and llm backends."""

    name: ClassVar[str] = ""

    @abstractmethod
    def classify(self, texts: Sequence[object]) -> list[Classification]:
        """One :class:`Classification` per text, in order."""

    @abstractmethod
    def label(self, transcripts: Sequence[object]) -> list[DialogueLabel]:
        """One :class:`DialogueLabel` per transcript, in order."""

    def close(self) -> None:  # noqa: B027 - optional hook, a no-op by default
        """Release connections or pools (nothing by default)."""

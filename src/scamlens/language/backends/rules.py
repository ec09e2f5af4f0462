"""The rules backend: the library's keywords, personas, actions and patterns.

The default backend: offline, deterministic and fast (the matcher is a single trie
regex plus a negation look-back per hit). Evidence strings are masked so a phone or
card number in a text never reaches an output through the evidence column.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from scamlens.language.backends.base import Backend, Classification
from scamlens.language.dialogue.intents import DialogueLabel
from scamlens.language.dialogue.labeller import DialogueRules
from scamlens.language.library.default import default_library
from scamlens.language.library.model import Library
from scamlens.language.matching.matcher import Matcher, MatchResult
from scamlens.language.text import MAX_CHARS, mask_pii, prepare

__all__ = ["RulesBackend", "to_classification"]

logger = logging.getLogger(__name__)


def to_classification(result: MatchResult, backend: str, note: str) -> Classification:
    """Turn a matcher verdict into the backend-neutral result."""
    return Classification(
        result.fraud_type,
        result.confidence,
        result.script_id,
        tuple(dict.fromkeys(mask_pii(e.text) for e in result.evidence)),
        backend,
        note,
        result.matched,
    )


class RulesBackend(Backend):
    """Classify and label with the feature library's rules."""

    name = "rules"

    def __init__(self, library: Library | None = None, *, max_chars: int = MAX_CHARS):
        self.library = library or default_library()
        self.matcher = Matcher(self.library)
        self.dialogue = DialogueRules(self.matcher)
        self.max_chars = max_chars

    def classify_one(self, text: object) -> Classification:
        prepared = prepare(text, max_chars=self.max_chars)
        return to_classification(
            self.matcher.match(prepared.text), self.name, prepared.note
        )

    def classify(self, texts: Sequence[object]) -> list[Classification]:
        return [self.classify_one(t) for t in texts]

    def label(self, transcripts: Sequence[object]) -> list[DialogueLabel]:
        return [self.dialogue.label(t) for t in transcripts]

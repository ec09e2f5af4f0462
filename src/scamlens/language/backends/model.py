"""The ``model`` backend: a trained linear classifier over n-grams and rule scores.

The model file is the one trained with ``scamlens train`` into the data folder when
present, else the default shipped with the package (trained on the default library).
Evidence is the rules' spans for the predicted type when the rules saw that type, else
the character n-grams that pushed the prediction most. Dialogue labels use the
dialogue rules with the model deciding whether the reply describes a scam.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from scamlens.language.backends.base import Backend, Classification
from scamlens.language.backends.training import DEFAULT_MODEL_PATH, load_model
from scamlens.language.dialogue.intents import DialogueLabel
from scamlens.language.dialogue.labeller import DialogueRules
from scamlens.language.library.default import default_library
from scamlens.language.library.model import Library
from scamlens.language.matching.matcher import Matcher
from scamlens.language.taxonomy import NONE
from scamlens.language.text import MAX_CHARS, mask_pii, prepare

__all__ = ["ModelBackend", "model_path"]

logger = logging.getLogger(__name__)


def model_path(data_dir: Path | None) -> Path:
    """``<data_dir>/models/language_model.joblib`` if it exists, else the shipped."""
    if data_dir is not None:
        candidate = Path(data_dir) / "models" / "language_model.joblib"
        if candidate.is_file():
            return candidate
    return DEFAULT_MODEL_PATH


class _ModelAsMatcher:
    """Adapter so the dialogue rules can ask the model whether a reply is a scam."""

    def __init__(self, backend: ModelBackend) -> None:
        self.backend = backend

    def match(self, text: str) -> Any:
        return self.backend._match_like(text)


class ModelBackend(Backend):
    """Classify with the trained model."""

    name = "model"

    def __init__(
        self,
        library: Library | None = None,
        *,
        path: Path | None = None,
        max_chars: int = MAX_CHARS,
    ) -> None:
        self.library = library or default_library()
        self.path = path or DEFAULT_MODEL_PATH
        self.model = load_model(self.path, self.library)
        self.matcher = Matcher(self.library)
        self.dialogue = DialogueRules(_ModelAsMatcher(self))  # type: ignore[arg-type]
        self.max_chars = max_chars
        self._classes = [str(c) for c in self.model.pipeline.classes_]

    @property
    def version(self) -> str:
        return self.model.version

    def classify(self, texts: Sequence[object]) -> list[Classification]:
        prepared = [prepare(t, max_chars=self.max_chars) for t in texts]
        results: list[Classification] = []
        cleaned = [p.text for p in prepared]
        probabilities = (
            self.model.pipeline.predict_proba(cleaned) if cleaned else np.zeros((0, 0))
        )
        for p, row in zip(prepared, probabilities, strict=True):
            if not p.text:
                results.append(Classification(NONE, 0.5, "", (), self.name, p.note))
                continue
            best = int(np.argmax(row))
            code = self._classes[best]
            rules = self.matcher.match(p.text)
            script_id = rules.best_scripts.get(code, "")
            if code == NONE:
                evidence = (
                    tuple(e.text for e in rules.evidence)
                    if (rules.fraud_type == NONE)
                    else ()
                )
            elif rules.fraud_type == code:
                evidence = tuple(e.text for e in rules.evidence)
            else:
                evidence = ()
            results.append(
                Classification(
                    code,
                    round(float(row[best]), 3),
                    script_id,
                    tuple(dict.fromkeys(mask_pii(e) for e in evidence)),
                    self.name,
                    p.note,
                    rules.matched,
                )
            )
        return results

    def _match_like(self, text: str) -> Any:
        found = self.classify([text])[0]

        class _Result:
            fraud_type = found.fraud_type
            confidence = found.confidence
            evidence = ()

        return _Result()

    def label(self, transcripts: Sequence[object]) -> list[DialogueLabel]:
        labels = [self.dialogue.label(t) for t in transcripts]
        return [
            DialogueLabel(
                lb.intent,
                lb.confirmed_accurate,
                lb.reported_defrauded,
                lb.confidence,
                lb.evidence,
                lb.fraud_type,
                self.name,
                lb.note,
            )
            for lb in labels
        ]

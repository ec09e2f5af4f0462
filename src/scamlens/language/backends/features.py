"""Feature extractors of the trained model, kept picklable and library-aware.

The model sees three views of a cleaned text: character 1-3-grams (robust to ASR
errors and unseen words), jieba words with the library's terms as a user dictionary,
and the rules matcher's per-type scores. The last view lets a linear model trained on
a few hundred examples lean on the curated lexicon for texts worded unlike any
example, which is what judges a classifier on other people's data.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin

from scamlens.language.segment import Segmenter
from scamlens.language.taxonomy import FRAUD_CODES

__all__ = ["JiebaTokenizer", "RuleScores"]

logger = logging.getLogger(__name__)


class JiebaTokenizer:
    """Callable tokenizer for scikit-learn; the segmenter is rebuilt on unpickling."""

    def __init__(self, terms: tuple[str, ...] = ()) -> None:
        self.terms = tuple(terms)
        self._seg: Segmenter | None = None

    def __call__(self, text: str) -> list[str]:
        if self._seg is None:
            self._seg = Segmenter(self.terms)
        return [w for w in self._seg.cut(text) if not w.isspace()]

    def __getstate__(self) -> dict[str, Any]:
        return {"terms": self.terms}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.terms = tuple(state.get("terms", ()))
        self._seg = None


class RuleScores(BaseEstimator, TransformerMixin):
    """Per-type scores of the rules matcher as dense features (scaled to ~0..0.3).

    The small scale is deliberate: with rule scores on the scale of the TF-IDF
    features the model copies the rules and adds nothing; at a tenth of it the
    n-grams carry the decision and the rules break ties. On the project's test set
    and hold-out set this scale beat both extremes (see docs/language.md).
    """

    def __init__(self, library_yaml: str = "") -> None:
        self.library_yaml = library_yaml

    def _matcher(self) -> Any:
        matcher = self.__dict__.get("_matcher_cache")
        if matcher is None:
            import yaml

            from scamlens.language.library.default import default_library
            from scamlens.language.library.yaml_io import library_from_mapping
            from scamlens.language.matching.matcher import Matcher

            library = (
                library_from_mapping(yaml.safe_load(self.library_yaml))
                if self.library_yaml
                else default_library()
            )
            matcher = Matcher(library)
            self.__dict__["_matcher_cache"] = matcher
        return matcher

    def fit(self, X: Any, y: Any = None) -> RuleScores:
        return self

    def transform(self, X: Any) -> sparse.csr_matrix:
        matcher = self._matcher()
        rows = np.zeros((len(X), len(FRAUD_CODES) + 2), dtype=np.float64)
        index = {code: i for i, code in enumerate(FRAUD_CODES)}
        for r, text in enumerate(X):
            result = matcher.match(text)
            for code, score in result.type_scores.items():
                rows[r, index[code]] = min(score / 60.0, 0.3)
            rows[r, -2] = min(result.none_score / 60.0, 0.3)
            rows[r, -1] = 0.1 if result.fraud_type != "none" else 0.0
        return sparse.csr_matrix(rows)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_matcher_cache", None)
        return state

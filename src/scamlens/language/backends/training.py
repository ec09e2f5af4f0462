"""Training, saving and loading the linear classifier of the ``model`` backend.

Training data are the library's example texts plus short synthetic texts built from
each script's terms (so every keyword is seen at least once), optionally with extra
labelled rows. The pipeline is TF-IDF on character n-grams and jieba words plus the
rules matcher's scores, into a class-balanced logistic regression.

A saved model is a joblib file with a JSON sidecar (version, time, scikit-learn
version, library version, sizes, cross-validated metrics). Pickles are tied to the
scikit-learn version that wrote them, so :func:`load_model` treats any failure or
version warning while unpickling as "retrain from the library in memory" with a
logged warning instead of an error or, worse, a silently different model.
"""

from __future__ import annotations

import json
import logging
import random
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = [
    "DEFAULT_MODEL_PATH",
    "TrainedModel",
    "load_model",
    "save_model",
    "train_model",
    "training_examples",
]

logger = logging.getLogger(__name__)

DEFAULT_MODEL_PATH = (
    Path(__file__).resolve().parent.parent / "data" / "model" / "default_model.joblib"
)


@dataclass
class TrainedModel:
    """A fitted pipeline and what is known about it."""

    pipeline: Any
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def version(self) -> str:
        return str(self.meta.get("version", "unknown"))


def _synthetic(library: Any, per_entry: int, seed: int) -> tuple[list[str], list[str]]:
    """Short texts made of each script's own terms, persona and action cues."""
    rng = random.Random(seed)
    texts, labels = [], []
    for entry in library.active:
        pool = list(entry.strong) * 2 + list(entry.medium)
        if not pool:
            continue
        persona = library.persona(entry.persona)
        cues = [
            c for a in entry.actions if (act := library.action(a)) for c in act.cues[:6]
        ]
        for _ in range(per_entry):
            words = rng.sample(pool, k=min(len(pool), rng.randint(2, 5)))
            if persona and persona.cues and rng.random() < 0.5:
                words.append(rng.choice(persona.cues))
            if cues and rng.random() < 0.6:
                words.append(rng.choice(cues))
            rng.shuffle(words)
            texts.append("，".join(words))
            labels.append(entry.fraud_type)
    return texts, labels


def training_examples(
    library: Any, *, synthetic_per_entry: int = 8, seed: int = 7
) -> tuple[list[str], list[str]]:
    """Texts and labels from ``library``: examples, then synthetic term texts."""
    from scamlens.language.text import prepare

    texts, labels = [], []
    for entry in library.active:
        for example in entry.examples:
            texts.append(prepare(example).text)
            labels.append(entry.fraud_type)
    s_texts, s_labels = _synthetic(library, synthetic_per_entry, seed)
    return texts + s_texts, labels + s_labels


def _pipeline(library: Any) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline

    from scamlens.language.backends.features import JiebaTokenizer, RuleScores
    from scamlens.language.library.yaml_io import dump_library

    terms = tuple(sorted(library.terms()))
    features = FeatureUnion(
        [
            (
                "chars",
                TfidfVectorizer(
                    analyzer="char",
                    ngram_range=(1, 3),
                    min_df=1,
                    sublinear_tf=True,
                    max_features=40_000,
                    lowercase=False,
                ),
            ),
            (
                "words",
                TfidfVectorizer(
                    tokenizer=JiebaTokenizer(terms),
                    token_pattern=None,
                    lowercase=False,
                    sublinear_tf=True,
                    min_df=1,
                    max_features=20_000,
                ),
            ),
            ("rules", RuleScores(dump_library(library))),
        ]
    )
    classifier = LogisticRegression(C=8.0, max_iter=3000, class_weight="balanced")
    return Pipeline([("features", features), ("clf", classifier)])


def _cv_metrics(library: Any, texts: list[str], labels: list[str]) -> dict[str, Any]:
    from sklearn.metrics import f1_score
    from sklearn.model_selection import StratifiedKFold

    folds = StratifiedKFold(n_splits=4, shuffle=True, random_state=3)
    predicted = [""] * len(texts)
    for train_idx, test_idx in folds.split(texts, labels):
        pipe = _pipeline(library)
        pipe.fit([texts[i] for i in train_idx], [labels[i] for i in train_idx])
        for i, label in zip(
            test_idx, pipe.predict([texts[i] for i in test_idx]), strict=True
        ):
            predicted[i] = str(label)
    return {
        "cv_macro_f1": round(float(f1_score(labels, predicted, average="macro")), 4),
        "cv_folds": 4,
    }


def train_model(
    library: Any,
    *,
    extra_texts: Sequence[str] = (),
    extra_labels: Sequence[str] = (),
    cross_validate: bool = True,
) -> TrainedModel:
    """Fit the model on ``library`` (plus extra labelled texts)."""
    import sklearn

    from scamlens.language.text import prepare

    texts, labels = training_examples(library)
    texts += [prepare(t).text for t in extra_texts]
    labels += list(extra_labels)
    metrics = _cv_metrics(library, texts, labels) if cross_validate else {}
    pipe = _pipeline(library)
    pipe.fit(texts, labels)
    trained_at = datetime.now(UTC)
    meta = {
        "version": f"lib{library.version}-{trained_at:%Y%m%d%H%M%S}",
        "trained_at": trained_at.isoformat(timespec="seconds"),
        "sklearn_version": sklearn.__version__,
        "library_version": library.version,
        "n_examples": len(texts),
        "n_extra": len(extra_texts),
        "classes": sorted(set(labels)),
        "metrics": metrics,
    }
    logger.info("model trained version=%s examples=%d", meta["version"], len(texts))
    return TrainedModel(pipe, meta)


def save_model(model: TrainedModel, path: Path) -> Path:
    """Write the joblib file and its JSON sidecar; return the joblib path."""
    import joblib

    path.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump({"pipeline": model.pipeline, "meta": model.meta}, path, compress=3)
    path.with_suffix(".json").write_text(
        json.dumps(model.meta, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    return path


def load_model(path: Path, library: Any) -> TrainedModel:
    """Load a saved model; retrain from ``library`` if it cannot be used as is."""
    import joblib
    import sklearn

    try:
        from sklearn.exceptions import InconsistentVersionWarning
    except ImportError:  # scikit-learn < 1.3 has no such warning
        InconsistentVersionWarning = UserWarning  # noqa: N806
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", InconsistentVersionWarning)
            stored = joblib.load(path)
        model = TrainedModel(stored["pipeline"], dict(stored["meta"]))
        if model.meta.get("sklearn_version") != sklearn.__version__:
            raise ValueError(
                f"written by scikit-learn {model.meta.get('sklearn_version')}"
            )
        return model
    except Exception as exc:
        logger.warning(
            "model file %s cannot be used (%s: %s); retraining from the library in "
            "memory; run `scamlens train` to store a fresh model",
            path,
            type(exc).__name__,
            str(exc)[:200],
        )
        model = train_model(library, cross_validate=False)
        model.meta["retrained_because"] = f"{type(exc).__name__}"
        return model

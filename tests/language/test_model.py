"""The model backend: training, saving with metadata, and safe loading."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import joblib
import pytest

from scamlens.language.backends.model import ModelBackend, model_path
from scamlens.language.backends.training import (
    DEFAULT_MODEL_PATH,
    load_model,
    save_model,
    train_model,
    training_examples,
)
from scamlens.language.library.model import Library


@pytest.fixture(scope="module")
def small_library(library: Library) -> Library:
    keep = [
        e
        for e in library.entries
        if e.fraud_type in {"order_brushing", "impersonate_police", "none"}
    ]
    return library.with_entries(tuple(keep))


@pytest.fixture(scope="module")
def small_model(small_library: Library):
    return train_model(small_library, cross_validate=False)


def test_training_examples_include_library_examples_and_term_texts(
    small_library: Library,
) -> None:
    texts, labels = training_examples(small_library, synthetic_per_entry=2)
    n_examples = sum(len(e.examples) for e in small_library.active)
    assert len(texts) == n_examples + 2 * len(small_library.active)
    assert set(labels) == {"order_brushing", "impersonate_police", "none"}


def test_trained_model_predicts_its_classes(small_model) -> None:
    predicted = small_model.pipeline.predict(
        ["点赞关注做任务返佣金", "你涉嫌洗钱转到安全账户"]
    )
    assert list(predicted) == ["order_brushing", "impersonate_police"]
    assert small_model.meta["classes"] == [
        "impersonate_police",
        "none",
        "order_brushing",
    ]


def test_save_and_load_round_trip_keeps_version(
    tmp_path: Path, small_model, small_library: Library
) -> None:
    path = save_model(small_model, tmp_path / "m.joblib")
    meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    assert meta["version"] == small_model.version
    loaded = load_model(path, small_library)
    assert loaded.version == small_model.version
    assert "retrained_because" not in loaded.meta


def test_unusable_model_file_retrains_in_memory_with_warning(
    tmp_path: Path, small_library: Library, caplog: pytest.LogCaptureFixture
) -> None:
    broken = tmp_path / "broken.joblib"
    broken.write_bytes(b"not a pickle at all")
    with caplog.at_level(logging.WARNING, logger="scamlens.language"):
        model = load_model(broken, small_library)
    assert (
        model.meta["retrained_because"] == "UnpicklingError"
        or model.meta["retrained_because"]
    )
    assert "retraining from the library" in caplog.text
    assert model.pipeline.predict(["刷单返佣金"])[0] == "order_brushing"


def test_model_from_another_sklearn_version_is_retrained(
    tmp_path: Path,
    small_model,
    small_library: Library,
    caplog: pytest.LogCaptureFixture,
) -> None:
    path = tmp_path / "old.joblib"
    joblib.dump(
        {
            "pipeline": small_model.pipeline,
            "meta": {**small_model.meta, "sklearn_version": "0.0.1"},
        },
        path,
    )
    with caplog.at_level(logging.WARNING, logger="scamlens.language"):
        model = load_model(path, small_library)
    assert "0.0.1" in caplog.text
    assert model.meta["retrained_because"] == "ValueError"


def test_shipped_model_is_current_and_data_dir_model_wins(tmp_path: Path) -> None:
    meta = json.loads(
        DEFAULT_MODEL_PATH.with_suffix(".json").read_text(encoding="utf-8")
    )
    assert meta["metrics"]["cv_macro_f1"] > 0.9
    assert model_path(tmp_path) == DEFAULT_MODEL_PATH
    own = tmp_path / "models" / "language_model.joblib"
    own.parent.mkdir()
    own.write_bytes(b"x")
    assert model_path(tmp_path) == own


def test_model_backend_reports_evidence_and_script(library: Library) -> None:
    backend = ModelBackend(library)
    (result,) = backend.classify(["您好我是淘宝客服，您买的衣服有质量问题给您双倍赔偿"])
    assert result.fraud_type == "fake_customer_service"
    assert result.script_id.startswith("CS-") and result.evidence
    assert backend.classify([""])[0].fraud_type == "none"

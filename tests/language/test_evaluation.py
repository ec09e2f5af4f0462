"""Scoring: per-class figures, macro averages, mappings for coarser datasets."""

from __future__ import annotations

from pathlib import Path

import pytest

from scamlens.errors import UsageError
from scamlens.language.evaluation import binary_f1, evaluate, parse_mapping


def test_evaluate_counts_per_class_and_confusion() -> None:
    gold = ["romance", "romance", "none", "fake_loan"]
    pred = ["romance", "none", "none", "romance"]
    report = evaluate(gold, pred)
    romance = report.score("romance")
    assert (romance.precision, romance.recall, romance.support) == (0.5, 0.5, 2)
    assert report.score("fake_loan").f1 == 0.0
    assert report.accuracy == 0.5
    index = {label: i for i, label in enumerate(report.labels)}
    assert report.confusion[index["romance"]][index["none"]] == 1
    assert report.macro_f1 == pytest.approx((0.5 + 2 / 3 + 0.0) / 3, abs=1e-4)


def test_gold_labels_in_chinese_are_recognised() -> None:
    report = evaluate(["刷单返利类", "正常"], ["order_brushing", "none"])
    assert report.macro_f1 == 1.0


def test_pred_map_merges_types_for_coarse_datasets() -> None:
    mapping = parse_mapping("fake_loan=loan_credit,fake_credit_repair=loan_credit")
    report = evaluate(
        ["贷款、征信类", "贷款、征信类"],
        ["fake_loan", "fake_credit_repair"],
        gold_map={"贷款、征信类": "loan_credit"},
        pred_map=mapping,
    )
    assert report.labels == ("loan_credit",) and report.macro_f1 == 1.0


def test_binary_preset_and_file_mappings(tmp_path: Path) -> None:
    binary = parse_mapping("binary")
    assert binary["romance"] == "fraud" and binary["none"] == "none"
    path = tmp_path / "map.yaml"
    path.write_text("'1': fraud\n'0': none\n", encoding="utf-8")
    report = evaluate(
        ["1", "0", "1"],
        ["romance", "none", "none"],
        gold_map=parse_mapping(str(path)),
        pred_map=binary,
    )
    assert report.score("fraud").recall == 0.5
    with pytest.raises(UsageError, match="FROM=TO"):
        parse_mapping("nonsense")


def test_binary_f1() -> None:
    assert binary_f1([True, True, False], [True, False, True]) == (0.5, 0.5, 0.5)

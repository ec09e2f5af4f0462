"""Scoring predictions against labels: per-class P/R/F1, macro-F1, confusion matrix.

Public datasets label at other grains: binary fraud/normal, or merged classes such as
"贷款、征信类". Both sides can be mapped before scoring: ``gold_map`` turns dataset
labels into taxonomy codes (Chinese names and common spellings are recognised without
it), and ``pred_map`` turns taxonomy codes into the dataset's coarser labels. A gold
label that is neither known nor mapped is kept as written, so a mismatch shows up in
the confusion matrix instead of being dropped silently.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from scamlens.errors import UsageError
from scamlens.language.taxonomy import FRAUD_CODES, NONE, normalise_label

__all__ = [
    "BINARY_MAP",
    "ClassScore",
    "Report",
    "binary_f1",
    "evaluate",
    "parse_mapping",
]

logger = logging.getLogger(__name__)

BINARY_MAP: dict[str, str] = {**{code: "fraud" for code in FRAUD_CODES}, NONE: "none"}
"""Preset ``binary``: every fraud type becomes ``fraud``."""


@dataclass(frozen=True)
class ClassScore:
    label: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class Report:
    """Per-class scores, macro averages and the confusion matrix (gold x predicted)."""

    classes: tuple[ClassScore, ...]
    macro_precision: float
    macro_recall: float
    macro_f1: float
    accuracy: float
    labels: tuple[str, ...]
    confusion: tuple[tuple[int, ...], ...]
    n: int

    def score(self, label: str) -> ClassScore:
        return next(c for c in self.classes if c.label == label)

    def render(self) -> str:
        """Plain-text report (the CLI renders its own tables with rich)."""
        lines = [f"{'class':<26}{'precision':>10}{'recall':>8}{'f1':>8}{'support':>9}"]
        for c in self.classes:
            lines.append(
                f"{c.label:<26}{c.precision:>10.3f}{c.recall:>8.3f}"
                f"{c.f1:>8.3f}{c.support:>9d}"
            )
        lines.append(
            f"{'macro':<26}{self.macro_precision:>10.3f}"
            f"{self.macro_recall:>8.3f}{self.macro_f1:>8.3f}{self.n:>9d}"
        )
        lines.append(f"accuracy {self.accuracy:.3f}")
        return "\n".join(lines)


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def evaluate(
    gold: Sequence[object],
    predicted: Sequence[str],
    *,
    gold_map: Mapping[str, str] | None = None,
    pred_map: Mapping[str, str] | None = None,
) -> Report:
    """Score ``predicted`` taxonomy codes against ``gold`` labels after mapping."""
    if len(gold) != len(predicted):
        raise UsageError(
            f"`{len(gold)}` labels but `{len(predicted)}` predictions; "
            "they must pair up"
        )
    gold_map = {str(k).strip(): v for k, v in (gold_map or {}).items()}
    pred_map = dict(pred_map or {})
    g_all, p_all = [], []
    for raw, pred in zip(gold, predicted, strict=True):
        text = "" if raw is None else str(raw).strip()
        label = gold_map.get(text, text)
        code = normalise_label(label)
        label = code if code is not None else label
        g_all.append(pred_map.get(label, label))
        p_all.append(pred_map.get(pred, pred))
    labels = tuple(sorted(set(g_all)))
    extra = tuple(sorted(set(p_all) - set(labels)))
    matrix_labels = labels + extra
    index = {label: i for i, label in enumerate(matrix_labels)}
    confusion = [[0] * len(matrix_labels) for _ in matrix_labels]
    for g, p in zip(g_all, p_all, strict=True):
        confusion[index[g]][index[p]] += 1
    pred_counts = Counter(p_all)
    scores = []
    for label in labels:
        i = index[label]
        tp = confusion[i][i]
        support = sum(confusion[i])
        precision = tp / pred_counts[label] if pred_counts[label] else 0.0
        recall = tp / support if support else 0.0
        scores.append(
            ClassScore(
                label,
                round(precision, 4),
                round(recall, 4),
                round(_f1(precision, recall), 4),
                support,
            )
        )
    n = len(g_all)
    k = len(scores) or 1
    correct = sum(confusion[i][i] for i in range(len(labels)))
    return Report(
        tuple(scores),
        round(sum(s.precision for s in scores) / k, 4),
        round(sum(s.recall for s in scores) / k, 4),
        round(sum(s.f1 for s in scores) / k, 4),
        round(correct / n, 4) if n else 0.0,
        matrix_labels,
        tuple(tuple(row) for row in confusion),
        n,
    )


def binary_f1(
    gold: Sequence[bool], predicted: Sequence[bool]
) -> tuple[float, float, float]:
    """Precision, recall and F1 of the positive class of two boolean sequences."""
    tp = sum(1 for g, p in zip(gold, predicted, strict=True) if g and p)
    fp = sum(1 for g, p in zip(gold, predicted, strict=True) if p and not g)
    fn = sum(1 for g, p in zip(gold, predicted, strict=True) if g and not p)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return round(precision, 4), round(recall, 4), round(_f1(precision, recall), 4)


def parse_mapping(spec: str | None) -> dict[str, str]:
    """``a=b,c=d``, the preset ``binary``, or a YAML/JSON/CSV file of pairs."""
    if not spec:
        return {}
    if spec == "binary":
        return dict(BINARY_MAP)
    path = Path(spec)
    if path.is_file():
        import csv

        import yaml

        if path.suffix.lower() == ".csv":
            with path.open(encoding="utf-8-sig", newline="") as fh:
                return {
                    row[0].strip(): row[1].strip()
                    for row in csv.reader(fh)
                    if len(row) >= 2 and row[0].strip()
                }
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise UsageError(
                f"mapping file `{spec}` must hold a mapping of label: label"
            )
        return {str(k): str(v) for k, v in data.items()}
    pairs = {}
    for item in spec.split(","):
        if "=" not in item:
            raise UsageError(
                f"mapping item `{item}` has no `=`; write FROM=TO pairs separated by "
                "commas, `binary`, or a file path"
            )
        left, right = item.split("=", 1)
        pairs[left.strip()] = right.strip()
    return pairs

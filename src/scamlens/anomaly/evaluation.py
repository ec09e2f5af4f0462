"""From windows and baselines to tested, false-discovery-controlled findings.

Two steps, kept apart because they span different scopes:

1. :func:`evaluate_set` runs every detector over the windows of **one** segment set
   (one table): baseline statistics, then p-values, effects and intervals.
   Dispersion estimates are pooled over the segments of that set that closed
   together, since segments of one granularity vary alike.
2. :func:`control` applies Benjamini-Hochberg over **all** tests made when one
   window closes: every detector, every segment, every segment set passed together.
   One hourly window of nine segment sets yields one family, so the chance of a
   false alarm under pure noise is about ``fdr`` per closed window, not ``fdr`` per
   segment set. Each segment set gets an equal share of that budget (weighted
   Benjamini-Hochberg), so a coarse set with few segments keeps its power.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from scamlens.anomaly.alerts import Finding
from scamlens.anomaly.baseline import compute_baselines
from scamlens.anomaly.config import COUNT_COLUMNS, DetectionConfig
from scamlens.anomaly.detectors import Detector, Evaluation, SegmentData
from scamlens.anomaly.fdr import bh_qvalues_grouped, equal_share_weights
from scamlens.anomaly.frame import normalise_windows, segment_dims
from scamlens.anomaly.rolling import rolling_windows

__all__ = ["SetEvaluation", "control", "evaluate_set", "family_keys"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SetEvaluation:
    """The tested windows of one segment set and each detector's evaluation."""

    windows: pa.Table
    evaluations: tuple[Evaluation, ...]
    keys: np.ndarray
    """Family key of each row: the end of its window (comparable across sets)."""


def family_keys(windows: pa.Table) -> np.ndarray:
    """A key per row naming the moment its window closed (its end, in µs).

    Every test made at one closing moment (the hour, the trailing spans ending with
    it and, at midnight, the day) belongs to one multiple-testing family.
    """
    return windows.column("window_end").cast(pa.int64()).to_numpy()


def _segment_data(
    windows: pa.Table, base: pa.Table, config: DetectionConfig, keys: np.ndarray
) -> SegmentData:
    current = {
        c: windows.column(c).to_numpy().astype(np.float64) for c in COUNT_COLUMNS
    }
    stats = {
        name: base.column(name).to_numpy().astype(np.float64)
        for name in base.schema.names
    }
    grains = np.asarray(windows.column("grain").to_pylist())
    min_windows = np.ones(windows.num_rows, dtype=np.float64)
    for grain in set(grains.tolist()):
        min_windows[grains == grain] = config.baseline(grain).min_windows
    # Dispersion is pooled over segments of one grain closing together.
    pooled = np.stack([keys, np.unique(grains, return_inverse=True)[1]], axis=1)
    family = np.unique(pooled, axis=0, return_inverse=True)[1].astype(np.int64)
    return SegmentData(
        current=current, base=stats, min_windows=min_windows, family=family
    )


def _evaluate(
    windows: pa.Table,
    history: pa.Table | None,
    detectors: Sequence[Detector],
    config: DetectionConfig,
) -> SetEvaluation:
    keys = family_keys(windows)
    if windows.num_rows == 0:
        return SetEvaluation(windows, (), keys)
    grains = set(windows.column("grain").to_pylist())
    baselines = {g: config.baseline(g) for g in grains}
    base = compute_baselines(windows, history, baselines)
    data = _segment_data(windows, base, config, keys)
    evaluations = tuple(d.evaluate(data) for d in detectors)
    return SetEvaluation(windows, evaluations, keys)


def evaluate_set(
    windows: pa.Table,
    history: pa.Table | None,
    detectors: Sequence[Detector],
    config: DetectionConfig,
) -> list[SetEvaluation]:
    """Run ``detectors`` over the windows of one segment set (tested grains only).

    Returns the evaluation of the windows themselves, then one per trailing window
    length (see :mod:`scamlens.anomaly.rolling`) when hourly windows are present.
    """
    windows = normalise_windows(windows)
    keep = pc.is_in(windows.column("grain"), pa.array(config.grains))
    windows = windows.filter(keep)
    if history is not None:
        history = normalise_windows(history, what="history", dims=segment_dims(windows))
    parts = [_evaluate(windows, history, detectors, config)]
    if windows.num_rows == 0:
        return parts
    has_hours = pc.any(pc.equal(windows.column("grain"), "1h")).as_py()
    for hours in config.rolling if has_hours else ():
        days = config.baseline("1h").days
        current, earlier = rolling_windows(windows, history, hours, days)
        parts.append(_evaluate(current, earlier, detectors, config))
    return parts


def control(
    sets: Sequence[SetEvaluation],
    detectors: Sequence[Detector],
    fdr: float,
) -> list[list[Finding]]:
    """Benjamini-Hochberg over every test of each closed window, across all sets.

    Returns, per set, one :class:`Finding` per detector. A row becomes an alert when
    it was tested, meets the detector's minimum effect and has a q-value <= ``fdr``.
    """
    p_parts: list[np.ndarray] = []
    key_parts: list[np.ndarray] = []
    block_parts: list[np.ndarray] = []
    grain_codes: dict[str, int] = {}
    for index, item in enumerate(sets):
        grains = item.windows.column("grain").to_pylist()
        codes = np.array([grain_codes.setdefault(g, len(grain_codes)) for g in grains])
        # Each segment set and grain is one block with an equal share of the budget.
        blocks = index * 64 + codes
        for ev in item.evaluations:
            p_parts.append(ev.p_value)
            key_parts.append(item.keys)
            block_parts.append(blocks)
    if not p_parts:
        return [[] for _ in sets]
    p_all = np.concatenate(p_parts)
    keys = np.concatenate(key_parts)
    weights = equal_share_weights(keys, np.concatenate(block_parts), ~np.isnan(p_all))
    q_all = bh_qvalues_grouped(p_all, keys, weights)
    findings: list[list[Finding]] = []
    offset = 0
    for item in sets:
        mine = []
        for detector, ev in zip(detectors, item.evaluations, strict=True):
            q = q_all[offset : offset + ev.p_value.size]
            offset += ev.p_value.size
            significant = np.nan_to_num(q, nan=1.0) <= fdr
            alert = ev.tested & ev.meets_effect & significant
            mine.append(Finding(detector, ev, q, alert))
        findings.append(mine)
    return findings

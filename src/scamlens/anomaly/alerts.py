"""Turning significant, large-enough effects into alert rows.

Alert rows follow :data:`scamlens.warehouse.ALERT_SCHEMA`. ``observed`` and
``expected`` are the window's value and the baseline's; ``lower``/``upper`` are the
95 % interval of the *observed* value (Wilson for a rate, exact Poisson for a count);
the interval the value was expected in, the q-value, the effect and the counts behind
a rate are in ``details`` (JSON) and in the message.

``alert_id`` is a hash of kind, metric, segment, grain and window start only, so the
same window processed twice (a restart, a replay, a late correction) yields the same
id, and the warehouse keeps one row.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pyarrow as pa

from scamlens.anomaly.config import BaselineConfig, DetectionConfig
from scamlens.anomaly.detectors import Detector, Evaluation
from scamlens.anomaly.frame import segment_json, segment_set_name
from scamlens.anomaly.messages import render_message
from scamlens.warehouse.alerts import ALERT_SCHEMA

__all__ = ["Finding", "alert_id", "build_alerts", "severity_of"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Finding:
    """One detector's evaluation of a table of windows, with its q-values."""

    detector: Detector
    evaluation: Evaluation
    q_value: np.ndarray
    alert: np.ndarray
    """Boolean mask of the rows that become alerts."""


def alert_id(
    kind: str, metric: str, segment: str, grain: str, window_start: datetime
) -> str:
    """Deterministic id of an alert (hex, 32 characters)."""
    stamp = window_start.isoformat()
    text = "|".join((kind, metric, segment, grain, stamp))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def severity_of(strength: float, q_value: float, config: DetectionConfig) -> str:
    """``critical``, ``warning`` or ``info`` from effect strength and q-value."""
    if strength >= config.critical_strength and q_value <= config.fdr / 100:
        return "critical"
    if strength >= config.warning_strength and q_value <= config.fdr / 10:
        return "warning"
    return "info"


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def build_alerts(
    windows: pa.Table,
    dims: Sequence[str],
    findings: Sequence[Finding],
    config: DetectionConfig,
    *,
    raised_at: datetime,
    names: Mapping[str, str] | None = None,
) -> pa.Table:
    """Alert rows for every row of ``windows`` a finding marks, in ALERT_SCHEMA."""
    columns: dict[str, list[object]] = {name: [] for name in ALERT_SCHEMA.names}
    rows = sorted({int(r) for f in findings for r in np.flatnonzero(f.alert)})
    if not rows:
        return ALERT_SCHEMA.empty_table()
    # Only the alerted rows are converted to Python objects.
    picked = windows.take(pa.array(rows, pa.int64()))
    position = {row: i for i, row in enumerate(rows)}
    grains = picked.column("grain").to_pylist()
    starts = picked.column("window_start").to_pylist()
    ends = picked.column("window_end").to_pylist()
    dim_values = {d: picked.column(d).to_pylist() for d in dims}
    seg_set = segment_set_name(dims)
    for finding in findings:
        for row in np.flatnonzero(finding.alert):
            i = position[int(row)]
            segment = {d: dim_values[d][i] for d in dims}
            baseline = config.baseline(grains[i])
            _append(
                columns,
                finding,
                int(row),
                segment,
                seg_set,
                grains[i],
                starts[i],
                ends[i],
                baseline,
                config,
                raised_at,
                names,
            )
    return pa.table(columns, schema=ALERT_SCHEMA)


def _append(
    columns: dict[str, list[object]],
    finding: Finding,
    row: int,
    segment: dict[str, str | None],
    seg_set: str,
    grain: str,
    start: datetime,
    end: datetime,
    baseline: BaselineConfig,
    config: DetectionConfig,
    raised_at: datetime,
    names: Mapping[str, str] | None,
) -> None:
    det, ev = finding.detector, finding.evaluation
    seg = segment_json(segment)
    q = float(finding.q_value[row])
    effect = float(ev.effect[row])
    # With no minimum effect configured, any significant effect counts as strong.
    strength = effect / det.min_rel_effect if det.min_rel_effect > 0 else math.inf
    zh, en = render_message(
        kind=det.kind,
        metric=det.metric,
        segment=segment,
        grain=grain,
        window_start=start,
        window_end=end,
        observed=float(ev.observed[row]),
        expected=float(ev.expected[row]),
        expected_lower=float(ev.expected_lower[row]),
        expected_upper=float(ev.expected_upper[row]),
        numerator=float(ev.numerator[row]),
        sample=float(ev.sample[row]),
        baseline=baseline,
        names=names,
    )
    details = {
        "segment_set": seg_set,
        "detector": type(det).__name__,
        "q_value": q,
        "effect": _finite(ev.effect[row]),
        "strength": _finite(strength),
        "expected_lower": _finite(ev.expected_lower[row]),
        "expected_upper": _finite(ev.expected_upper[row]),
        "numerator": _finite(ev.numerator[row]),
        "sample": _finite(ev.sample[row]),
        "baseline_mode": baseline.mode,
    }
    values: dict[str, object] = {
        "alert_id": alert_id(det.kind, det.metric, seg, grain, start),
        "kind": det.kind,
        "raised_at": raised_at,
        "severity": severity_of(strength, q, config),
        "segment": seg,
        "grain": grain,
        "window_start": start,
        "window_end": end,
        "metric": det.metric,
        "observed": _finite(ev.observed[row]),
        "expected": _finite(ev.expected[row]),
        "lower": _finite(ev.observed_lower[row]),
        "upper": _finite(ev.observed_upper[row]),
        "p_value": _finite(ev.p_value[row]),
        "message_zh": zh,
        "message_en": en,
        "details": json.dumps(details, ensure_ascii=False, sort_keys=True),
    }
    for name, value in values.items():
        columns[name].append(value)

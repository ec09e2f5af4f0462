"""Measured effects of what was planted: high-risk groups and streaming anomalies.

A planted multiplier says what the generator aimed for; the measurement says what
ended up in the counted records, which is what a risk model or a detector can see.
Both go into the ground truth, so a test can demand "find the group whose victim
rate is several times the rest" without guessing at sampling noise.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from scamlens.simulate import profile
from scamlens.simulate.anomalies import DESCRIPTIONS
from scamlens.simulate.config import LOCAL_TZ
from scamlens.simulate.context import ActiveAnomaly, SimContext
from scamlens.simulate.frame import QUARANTINED, TAG_SPIKE, Frame
from scamlens.simulate.runaway import spike_expectation

__all__ = ["AnomalyTally", "GroupTally", "age_band", "ratio"]

logger = logging.getLogger(__name__)

_AGE_EDGES = np.array([18, 25, 35, 45, 55, 65])
_DAY = 86_400
Masks = dict[str, np.ndarray]


def ratio(numerator: float, denominator: float) -> float | None:
    """``numerator / denominator`` rounded to 6 places; None for a zero denominator."""
    return round(float(numerator) / float(denominator), 6) if denominator else None


def age_band(age: np.ndarray) -> np.ndarray:
    """Band index of each age (0 for 0-17 ... 6 for 65+), 7 where unknown."""
    band = np.digitize(np.nan_to_num(age, nan=-1.0), _AGE_EDGES)
    return np.where(np.isnan(age), 7, band)


class GroupTally:
    """Counted dialogue attempts and victims inside, beside and outside each group."""

    _KEYS = ("group", "control", "rest")

    def __init__(self, ctx: SimContext) -> None:
        self.ctx = ctx
        self.tallies = [
            {key: np.zeros(2, np.int64) for key in self._KEYS} for _ in ctx.groups
        ]

    def add(self, frame: Frame, masks: Masks) -> None:
        """Fold in one chunk, given its indicator masks."""
        dialogue = masks["succeeded"] & (frame["module"] != profile.PUBLICITY)
        victims = masks["victims"]
        band = age_band(frame["age"])
        region = frame["region"]
        valid = (region >= 0) & (region < len(self.ctx.region_codes))
        city = np.where(valid, self.ctx.region_city[np.where(valid, region, 0)], "")
        for group, tally in zip(self.ctx.groups, self.tallies, strict=True):
            member = (band == group.age_band) & (frame["fraud"] == group.fraud)
            if group.city:
                member &= city == group.city
            control = ~member & (frame["fraud"] == group.fraud)
            for key, mask in zip(self._KEYS, (member, control, ~member), strict=True):
                tally[key] += [
                    int((dialogue & mask).sum()),
                    int((dialogue & mask & victims).sum()),
                ]

    def to_json(self) -> list[dict[str, Any]]:
        """One entry per planted group, with its dimensions and measured rates."""
        return [
            self._one(g, t) for g, t in zip(self.ctx.groups, self.tallies, strict=True)
        ]

    @staticmethod
    def _one(group: Any, tally: dict[str, np.ndarray]) -> dict[str, Any]:
        dims = {
            "age_band": profile.AGE_BANDS[group.age_band],
            "fraud_type": profile.FRAUD_TYPES[group.fraud],
        }
        if group.city:
            dims["city"] = group.city
        measured: dict[str, Any] = {}
        for key, prefix in zip(
            GroupTally._KEYS, ("", "control_", "rest_"), strict=True
        ):
            succeeded, victims = (int(x) for x in tally[key])
            measured[f"{prefix}succeeded"] = succeeded
            measured[f"{prefix}victims"] = victims
            measured[f"{prefix}victim_rate"] = ratio(victims, succeeded)
        return {
            "name": group.name,
            "zh": group.zh,
            "en": group.en,
            "dimensions": dims,
            "metric": "victim_rate",
            "metric_definition": (
                "victims / succeeded over counted warning and follow_up attempts; "
                "control = same fraud type outside the group, rest = everyone "
                "outside it"
            ),
            "planted_multiplier": group.multiplier,
            "multiplier_applies_to": (
                "the chance that an accurate lead's citizen has already lost money, "
                "versus the same fraud type and age band elsewhere"
            ),
            "measured": measured,
        }


class AnomalyTally:
    """What each planted anomaly did to the records of its segment and window."""

    def __init__(self, ctx: SimContext) -> None:
        self.ctx = ctx
        self.measured: list[dict[str, Any]] = [{} for _ in ctx.anomalies]

    def add(self, day: int, frame: Frame, masks: Masks) -> None:
        """Fold in one chunk of ``day``."""
        for anomaly, into in zip(self.ctx.anomalies, self.measured, strict=True):
            if anomaly.day == day:
                for key, value in _measure(self.ctx, anomaly, frame, masks).items():
                    into[key] = into.get(key, 0) + value

    def to_json(self) -> list[dict[str, Any]]:
        """One entry per anomaly: kind, segment, window, planted factor, measured."""
        return [
            self._one(a, m)
            for a, m in zip(self.ctx.anomalies, self.measured, strict=True)
        ]

    def _one(self, anomaly: ActiveAnomaly, measured: dict[str, Any]) -> dict[str, Any]:
        spec = anomaly.spec
        zh, en = DESCRIPTIONS.get(spec.kind, ("", ""))
        m: dict[str, Any] = {
            k: float(v) if isinstance(v, float) else int(v) for k, v in measured.items()
        }
        if spec.kind == "connection_drop":
            m["success_rate"] = ratio(m.get("succeeded", 0), m.get("initiated", 0))
            m["expected_success_rate"] = ratio(
                m.get("expected_succeeded", 0.0), m.get("initiated", 0)
            )
            m["before_success_rate"] = ratio(
                m.get("before_succeeded", 0), m.get("before_initiated", 0)
            )
        elif spec.kind == "victim_surge":
            m["victim_rate"] = ratio(m.get("victims", 0), m.get("succeeded", 0))
            m["rest_of_day_victim_rate"] = ratio(
                m.get("rest_victims", 0), m.get("rest_succeeded", 0)
            )
        elif spec.kind == "volume_spike":
            m["expected_region_rows"] = round(spike_expectation(self.ctx, anomaly), 1)
        return {
            "kind": spec.kind,
            "zh": zh,
            "en": en,
            "segment": spec.segment_dict(),
            "start": spec.start.astimezone(LOCAL_TZ).isoformat(),
            "end": spec.end.astimezone(LOCAL_TZ).isoformat(),
            "planted_factor": spec.factor,
            "measured": m,
        }


def _measure(
    ctx: SimContext, anomaly: ActiveAnomaly, frame: Frame, masks: Masks
) -> dict[str, Any]:
    time = frame["initiated"]
    midnight = ctx.day_start(anomaly.day)
    inside = (time >= anomaly.start) & (time < anomaly.end) & ~frame["init_null"]
    seg = np.ones(len(frame), dtype=bool)
    for code, column in (
        (anomaly.region, "region"),
        (anomaly.channel, "channel"),
        (anomaly.module, "module"),
        (anomaly.fraud, "fraud"),
    ):
        if code >= 0:
            seg &= frame[column] == code
    counted, succeeded = masks["initiated"], masks["succeeded"]
    kind = anomaly.spec.kind
    if kind == "connection_drop":
        here = seg & counted & inside
        before = seg & (time >= midnight) & (time < anomaly.start)
        return {
            "initiated": int(here.sum()),
            "succeeded": int((here & succeeded).sum()),
            "expected_succeeded": float(np.nansum(frame["p_connect"][here])),
            "before_initiated": int((before & counted).sum()),
            "before_succeeded": int((before & succeeded).sum()),
        }
    if kind == "victim_surge":
        talk = seg & succeeded & (frame["module"] != profile.PUBLICITY)
        rest = talk & (time >= midnight) & (time < midnight + _DAY) & ~inside
        return {
            "succeeded": int((talk & inside).sum()),
            "victims": int((talk & inside & masks["victims"]).sum()),
            "rest_succeeded": int(rest.sum()),
            "rest_victims": int((rest & masks["victims"]).sum()),
        }
    spike = frame["tag"] == TAG_SPIKE
    here = seg & inside
    region = frame["region"] == anomaly.region if anomaly.region >= 0 else True
    return {
        "region_rows_without_spike": int((region & inside & ~spike).sum()),
        "rows_in_window": int(here.sum()),
        "spike_rows": int((here & spike).sum()),
        "baseline_rows": int((here & ~spike).sum()),
        "spike_rows_quarantined": int((spike & (frame["status"] == QUARANTINED)).sum()),
        "spike_rows_counted": int((spike & counted).sum()),
        "counted_rows": int((here & counted).sum()),
    }

"""The ground truth: what a correct cleaning and indicator run must find.

The generator knows the fate of every row it writes (counted, superseded, or
quarantined for one named reason) and the values a correct parser reads from it, so
the expected counts are tallied from those labels chunk by chunk, in constant
memory. The indicator counts are computed from the written values with the
contract's reading (empty flags are false; an empty ``fully_played`` is inferred as
``played_seconds >= content_seconds`` when both are known), not from the generator's
intentions.

The JSON layout is documented in ``docs/simulator.md``. It holds no phone number
and no ``citizen_id``: only counts, codes and times.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from scamlens import __version__
from scamlens.simulate.context import SimContext
from scamlens.simulate.frame import (
    COUNTED,
    QUARANTINED,
    REASONS,
    SUPERSEDED,
    TAG_PREDECESSOR,
    TAG_RUNAWAY,
    Frame,
)
from scamlens.simulate.measures import AnomalyTally, GroupTally, ratio
from scamlens.simulate.messes import DEFECTS
from scamlens.simulate.versions import CONTENT_KINDS, TIMINGS

__all__ = ["FORMAT", "GroundTruth", "INDICATORS", "TruthBuilder", "indicator_masks"]

logger = logging.getLogger(__name__)

FORMAT = "scamlens-simulation-truth/1"
INDICATORS: tuple[str, ...] = (
    "initiated",
    "succeeded",
    "accurate",
    "victims",
    "publicity",
)
_COPY = CONTENT_KINDS.index("copy")
_RATES = (
    ("success_rate", "succeeded", "initiated"),
    ("accuracy_rate", "accurate", "succeeded"),
    ("victim_rate", "victims", "succeeded"),
    ("publicity_rate", "publicity", "succeeded"),
)


class GroundTruth:
    """The expected results of a simulation, as a JSON-ready mapping."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    @property
    def counts(self) -> dict[str, Any]:
        """``read``, ``superseded``, ``quarantined`` (per reason) and ``counted``."""
        return dict(self.data["counts"])

    @property
    def indicators(self) -> dict[str, int]:
        """Expected indicator counts over the counted (clean) records."""
        return dict(self.data["indicators"])

    @property
    def as_of(self) -> str:
        """The as-of time (ISO-8601) the ``future_time`` counts assume."""
        return str(self.data["as_of"])

    def to_json(self) -> str:
        """Pretty JSON text (UTF-8, Chinese kept readable)."""
        return json.dumps(self.data, ensure_ascii=False, indent=2) + "\n"

    def save(self, path: Path) -> Path:
        """Write the truth to ``path`` and return it."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_json(), encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: Path) -> GroundTruth:
        """Read a truth file written by :meth:`save`."""
        return cls(json.loads(path.read_text(encoding="utf-8")))


def indicator_masks(frame: Frame) -> dict[str, np.ndarray]:
    """Boolean masks of the five indicators for the rows of ``frame`` counted clean."""
    counted = frame["status"] == COUNTED
    succeeded = counted & (frame["connected"] == 1)
    played, content, fully = frame["played"], frame["content"], frame["fully"]
    known = ~np.isnan(played) & ~np.isnan(content)
    inferred = known & (np.nan_to_num(played) >= np.nan_to_num(content))
    effective = np.where(fully >= 0, fully == 1, inferred)
    return {
        "initiated": counted,
        "succeeded": succeeded,
        "accurate": succeeded & (frame["confirmed"] == 1),
        "victims": succeeded & (frame["reported"] == 1),
        "publicity": succeeded & effective,
    }


class TruthBuilder:
    """Tallies the ground truth from the frames of a simulation, chunk by chunk."""

    def __init__(self, ctx: SimContext) -> None:
        self.ctx = ctx
        self.days: dict[int, dict[str, Any]] = {}
        self.defects = np.zeros(len(DEFECTS), dtype=np.int64)
        self.versions = np.zeros((len(TIMINGS), len(CONTENT_KINDS)), dtype=np.int64)
        self.filled = {"accurate": 0, "victims": 0}
        self.runaway = {"tasks": 0, "rows": 0, "quarantined": 0}
        self.groups = GroupTally(ctx)
        self.anomalies = AnomalyTally(ctx)

    def add(self, day: int, frame: Frame) -> None:
        """Fold in one chunk of ``day``."""
        tally = self.days.setdefault(day, _empty_day())
        status, reason = frame["status"], frame["reason"]
        tally["read"] += len(frame)
        tally["superseded"] += int((status == SUPERSEDED).sum())
        older = frame["tag"] == TAG_PREDECESSOR
        copies = frame["version_kind"] % len(CONTENT_KINDS) == _COPY
        tally["unchanged_rereads"] += int((older & copies).sum())
        quarantined = np.bincount(reason[status == QUARANTINED], minlength=len(REASONS))
        for name, count in zip(REASONS, quarantined, strict=True):
            tally["quarantined"][name] += int(count)
        masks = indicator_masks(frame)
        for name in INDICATORS:
            tally["indicators"][name] += int(masks[name].sum())
        succeeded = masks["succeeded"]
        self.filled["accurate"] += int(
            (
                succeeded
                & (
                    (frame["confirmed"] == 1)
                    | ((frame["confirmed"] == -1) & frame["true_confirmed"])
                )
            ).sum()
        )
        self.filled["victims"] += int(
            (
                succeeded
                & (
                    (frame["reported"] == 1)
                    | ((frame["reported"] == -1) & frame["true_reported"])
                )
            ).sum()
        )
        defect = frame["defect"]
        self.defects += np.bincount(defect[defect >= 0], minlength=len(DEFECTS))
        kind = frame["version_kind"][frame["tag"] == TAG_PREDECESSOR]
        self.versions += np.bincount(kind, minlength=self.versions.size).reshape(
            self.versions.shape
        )
        self._runaway(frame)
        self.groups.add(frame, masks)
        self.anomalies.add(day, frame, masks)

    def _runaway(self, frame: Frame) -> None:
        task = frame["tag"] == TAG_RUNAWAY
        self.runaway["tasks"] += len(np.unique(frame["citizen"][task]))
        self.runaway["rows"] += int(task.sum())
        self.runaway["quarantined"] += int(
            (task & (frame["status"] == QUARANTINED)).sum()
        )

    def finish(self) -> GroundTruth:
        """The complete truth once every chunk was added."""
        cfg = self.ctx.config
        total = _empty_day()
        by_day = []
        for day in sorted(self.days):
            tally = self.days[day]
            _add_day(total, tally)
            by_day.append(
                {"date": self.ctx.day_date(day).isoformat(), **_finish_day(tally)}
            )
        summary = _finish_day(total)
        data: dict[str, Any] = {
            "format": FORMAT,
            "generator": {"package": "scamlens", "version": __version__},
            "config": _config_json(self.ctx),
            "as_of": cfg.as_of.isoformat(),
            "assumes": {
                "as_of": cfg.as_of.isoformat(),
                "timezone": "Asia/Shanghai",
                "daily_cap": cfg.daily_cap,
                "max_talk_seconds": cfg.max_talk_seconds,
                "disabled_rules": [],
                "fill_missing_flags": False,
                "empty_outreach_id_rows_are_not_versions_of_each_other": True,
            },
            "counts": {
                k: summary[k]
                for k in (
                    "read",
                    "superseded",
                    "unchanged_rereads",
                    "quarantined",
                    "quarantined_total",
                    "counted",
                )
            },
            "indicators": summary["indicators"],
            "rates": _rates(summary["indicators"]),
            "if_flags_filled": {
                **summary["indicators"],
                "accurate": self.filled["accurate"],
                "victims": self.filled["victims"],
            },
            "by_day": by_day,
            "planted_defects": {
                d.key: int(n) for d, n in zip(DEFECTS, self.defects, strict=True)
            },
            "versions": {
                "by_timing": {
                    t: int(n)
                    for t, n in zip(TIMINGS, self.versions.sum(axis=1), strict=True)
                },
                "by_content": {
                    c: int(n)
                    for c, n in zip(
                        CONTENT_KINDS, self.versions.sum(axis=0), strict=True
                    )
                },
            },
            "runaway_tasks": dict(self.runaway),
            "planted_groups": self.groups.to_json(),
            "anomalies": self.anomalies.to_json(),
        }
        return GroundTruth(data)


def _empty_day() -> dict[str, Any]:
    return {
        "read": 0,
        "superseded": 0,
        "unchanged_rereads": 0,
        "quarantined": dict.fromkeys(REASONS, 0),
        "indicators": dict.fromkeys(INDICATORS, 0),
    }


def _add_day(total: dict[str, Any], day: dict[str, Any]) -> None:
    for key in ("read", "superseded", "unchanged_rereads"):
        total[key] += day[key]
    for key in ("quarantined", "indicators"):
        for name, value in day[key].items():
            total[key][name] += value


def _finish_day(tally: dict[str, Any]) -> dict[str, Any]:
    quarantined = sum(tally["quarantined"].values())
    return {
        "read": tally["read"],
        "superseded": tally["superseded"],
        "unchanged_rereads": tally["unchanged_rereads"],
        "quarantined": dict(tally["quarantined"]),
        "quarantined_total": quarantined,
        "counted": tally["read"] - tally["superseded"] - quarantined,
        "indicators": dict(tally["indicators"]),
    }


def _rates(indicators: dict[str, int]) -> dict[str, dict[str, Any]]:
    return {
        name: {
            "numerator": num,
            "denominator": den,
            "value": ratio(indicators[num], indicators[den]),
        }
        for name, num, den in _RATES
    }


def _config_json(ctx: SimContext) -> dict[str, Any]:
    cfg = ctx.config
    return {
        "start": cfg.start.isoformat(),
        "days": cfg.days,
        "per_day": cfg.per_day,
        "seed": cfg.seed,
        "typed": cfg.typed,
        "anomalies": bool(ctx.anomalies),
        "regions": list(ctx.region_codes),
        "mess_rates": asdict(cfg.mess),
        "flag_blank_rate": cfg.flag_blank_rate,
        "chunk_rows": cfg.chunk_rows,
    }

"""Tumbling event-time windows: grains, dimension sets and their arithmetic.

A window is identified by its grain (``1m``, ``1h``, ``1d``) and its start, in
Asia/Shanghai local time: a day window starts at local midnight, so the day windows
agree with the ``day`` dimension of the batch layer. Each :class:`WindowSpec` names a
grain and the dimensions its table is kept at. Only the five counts are stored; any
coarser breakdown (and every rate) is derived by summing rows, never by averaging.

The defaults keep

* minute windows at region × channel × module (a cheap live view),
* hour windows at the anomaly segment grain region × channel × module × fraud type ×
  age band, from which every segment set the detectors test can be summed,
* day windows at every stored breakdown dimension (region × channel × module × fraud
  type × age band × gender), from which ``metrics --live`` answers any breakdown the
  batch command answers, except ``hour``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from scamlens.errors import UsageError
from scamlens.settings import TIMEZONE

__all__ = [
    "DEFAULT_SPECS",
    "GRAINS",
    "STORED_DIMS",
    "WindowSpec",
    "grain_seconds",
    "parse_window_spec",
    "window_bounds",
    "window_start_sql",
]

logger = logging.getLogger(__name__)

GRAINS: dict[str, tuple[str, int]] = {
    "1m": ("minute", 60),
    "1h": ("hour", 3600),
    "1d": ("day", 86_400),
}
"""Grain code → (``date_trunc`` part, length in seconds)."""

STORED_DIMS: tuple[str, ...] = (
    "region_code",
    "channel",
    "module",
    "fraud_type",
    "age_band",
    "gender",
)
"""Dimensions a window table may keep, in canonical order. The time dimensions
(day, week, month, hour) come from the window start, province and city from
``region_code``."""

_ZONE = ZoneInfo(TIMEZONE)


def grain_seconds(grain: str) -> int:
    """Length of a window of ``grain`` in seconds."""
    return GRAINS[_checked_grain(grain)][1]


def _checked_grain(grain: str) -> str:
    if grain not in GRAINS:
        raise UsageError(
            f"window grain `{grain}` is unknown; expected one of {', '.join(GRAINS)}"
        )
    return grain


@dataclass(frozen=True)
class WindowSpec:
    """One window table: a grain and the dimensions counts are kept by."""

    grain: str
    dims: tuple[str, ...]

    def __post_init__(self) -> None:
        _checked_grain(self.grain)
        unknown = [d for d in self.dims if d not in STORED_DIMS]
        if unknown:
            raise UsageError(
                f"window dimension `{unknown[0]}` cannot be stored; expected some of "
                f"{', '.join(STORED_DIMS)}"
            )
        if len(set(self.dims)) != len(self.dims):
            raise UsageError(f"window dimensions `{','.join(self.dims)}` repeat one")
        # Canonical order, so the same set always names the same table.
        object.__setattr__(
            self, "dims", tuple(d for d in STORED_DIMS if d in self.dims)
        )

    @property
    def table(self) -> str:
        """The warehouse table holding this spec's windows."""
        suffix = "_".join(self.dims) if self.dims else "all"
        return f"stream_w{self.grain}__{suffix}"

    @property
    def seconds(self) -> int:
        return grain_seconds(self.grain)

    def label(self) -> str:
        """``grain:dim,dim`` as accepted by :func:`parse_window_spec`."""
        return f"{self.grain}:{','.join(self.dims)}"


DEFAULT_SPECS: tuple[WindowSpec, ...] = (
    WindowSpec("1m", ("region_code", "channel", "module")),
    WindowSpec("1h", ("region_code", "channel", "module", "fraud_type", "age_band")),
    WindowSpec("1d", STORED_DIMS),
)


def parse_window_spec(text: str) -> WindowSpec:
    """``1h:region_code,channel`` → a :class:`WindowSpec` (``1d:`` keeps no dims)."""
    grain, sep, dims = text.partition(":")
    if not sep:
        raise UsageError(
            f"window `{text}` lacks a grain; write it as GRAIN:DIMS, e.g. "
            "1h:region_code,channel"
        )
    names: Sequence[str] = [d.strip() for d in dims.split(",") if d.strip()]
    return WindowSpec(grain.strip(), tuple(names))


def window_start_sql(grain: str, ts: str) -> str:
    """SQL for the local start of the ``grain`` window holding timestamp ``ts``.

    The session time zone is Asia/Shanghai (see ``warehouse.connect``), so
    ``date_trunc`` cuts at local minutes, hours and midnights.
    """
    part = GRAINS[_checked_grain(grain)][0]
    return f"date_trunc('{part}', {ts})"


def window_bounds(grain: str, ts: datetime) -> tuple[datetime, datetime]:
    """Start and end of the ``grain`` window holding the aware time ``ts``.

    The pure reference of :func:`window_start_sql`, in Asia/Shanghai local time.
    """
    if ts.tzinfo is None:
        raise ValueError("window_bounds needs an aware datetime")
    local = ts.astimezone(_ZONE)
    if grain == "1m":
        start = local.replace(second=0, microsecond=0)
    elif grain == "1h":
        start = local.replace(minute=0, second=0, microsecond=0)
    elif grain == "1d":
        start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    else:
        _checked_grain(grain)
        raise AssertionError("unreachable")
    return start, start + timedelta(seconds=grain_seconds(grain))

"""What a simulation is asked to produce: period, volume, seed, mess and anomalies.

A :class:`SimConfig` fully determines the output: the same config gives the same rows,
byte for byte, on any machine. ``chunk_rows`` is part of that key because a day larger
than one chunk is generated in time slices, each from its own random stream.

Mess rates are fractions of all rows; each kind of defect is planted on its own rows
so that every quarantined row has exactly one reason (see :mod:`.messes`). The
thresholds the expected counts depend on (``daily_cap``, ``max_talk_seconds``) are
carried here and written into the ground truth, so a cleaning run with other settings
can tell that the truth does not apply to it.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from scamlens.errors import ConfigError

__all__ = [
    "LOCAL_TZ",
    "MESS_KINDS",
    "AnomalySpec",
    "MessRates",
    "SimConfig",
]

logger = logging.getLogger(__name__)

LOCAL_TZ = ZoneInfo("Asia/Shanghai")

MESS_KINDS: tuple[str, ...] = (
    "superseded",
    "missing_required",
    "bad_value",
    "future_time",
    "negative_duration",
    "outcome_without_connection",
    "duration_outlier",
    "runaway_dialing",
)


@dataclass(frozen=True)
class MessRates:
    """Share of rows carrying each kind of defect (defaults: ~3% in all).

    ``superseded`` counts the older versions added before a corrected record;
    ``runaway_dialing`` counts the rows beyond the daily cap of runaway tasks (the
    first ``daily_cap`` attempts of a task are clean and counted).
    """

    superseded: float = 0.010
    missing_required: float = 0.004
    bad_value: float = 0.005
    future_time: float = 0.001
    negative_duration: float = 0.002
    outcome_without_connection: float = 0.003
    duration_outlier: float = 0.001
    runaway_dialing: float = 0.003

    @classmethod
    def none(cls) -> MessRates:
        """No defects at all: every row is clean and counted."""
        return cls(**{f.name: 0.0 for f in fields(cls)})

    def scaled(self, factor: float) -> MessRates:
        """Every rate multiplied by ``factor``."""
        return MessRates(**{k: v * factor for k, v in asdict(self).items()})

    def total(self) -> float:
        """Sum of the rates: the share of rows planted with some defect."""
        return float(sum(asdict(self).values()))


@dataclass(frozen=True)
class AnomalySpec:
    """One planted anomaly for the streaming detectors.

    ``kind`` is ``connection_drop`` (the connect chance of matching attempts is
    multiplied by ``factor``), ``victim_surge`` (the chance a matching lead has been
    defrauded is multiplied by ``factor``) or ``volume_spike`` (a runaway task adds
    ``factor`` times the segment's normal volume). ``segment`` maps column names to
    the values that select the affected records; ``start``/``end`` are aware times.
    """

    kind: str
    segment: tuple[tuple[str, str], ...]
    start: datetime
    end: datetime
    factor: float

    def segment_dict(self) -> dict[str, str]:
        """The segment as a plain mapping."""
        return dict(self.segment)


@dataclass(frozen=True)
class SimConfig:
    """A whole simulation. Construct directly or with :meth:`replace`."""

    start: date = date(2025, 3, 3)
    days: int = 7
    per_day: int = 20_000
    """Rows per day, anomaly spike rows excluded."""
    seed: int = 20250303
    regions: tuple[str, ...] | None = None
    """County, city or province codes; ``None`` means every simulated county."""
    typed: bool = False
    """Typed values (Parquet benchmarks) instead of platform-export text."""
    anomalies: bool = False
    anomaly_day: int | None = None
    """Day index of the planted anomalies; ``None`` means the last day."""
    anomaly_specs: tuple[AnomalySpec, ...] | None = None
    """Explicit anomalies; ``None`` uses the default plan when ``anomalies`` is on."""
    mess: MessRates = field(default_factory=MessRates)
    flag_blank_rate: float = 0.015
    """Share of true outcome flags written empty (recoverable from the transcript)."""
    chunk_rows: int = 200_000
    daily_cap: int = 20
    max_talk_seconds: float = 3600.0

    def replace(self, **changes: object) -> SimConfig:
        """A copy with ``changes`` applied and validated."""
        return replace(self, **changes).validated()  # type: ignore[arg-type]

    def clean(self) -> SimConfig:
        """The same simulation without any mess or anomaly (for false-alarm tests)."""
        return self.replace(mess=MessRates.none(), anomalies=False, flag_blank_rate=0.0)

    @property
    def period_start(self) -> datetime:
        """Local midnight of the first day."""
        return datetime.combine(self.start, time(0), LOCAL_TZ)

    @property
    def as_of(self) -> datetime:
        """End of the simulated period: the as-of time the expected counts assume."""
        return self.period_start + timedelta(days=self.days)

    @property
    def slices_per_day(self) -> int:
        """Time slices a day is generated in, so no chunk exceeds ``chunk_rows``."""
        return max(1, -(-self.per_day // self.chunk_rows))

    def validated(self) -> SimConfig:
        """Return self, or raise :class:`ConfigError` naming the first bad value."""
        _positive("days", self.days)
        _positive("per_day", self.per_day)
        _positive("chunk_rows", self.chunk_rows)
        if self.start < _FIRST_START or self.days > (_LAST_END - self.start).days:
            raise ConfigError(
                f"a simulation of `{self.days}` days from `{self.start}` goes outside "
                f"the dates the simulator can write ({_FIRST_START} to {_LAST_END}, "
                "leaving room for its messy times); choose another start or fewer days"
            )
        if self.chunk_rows > 5_000_000:
            raise ConfigError(
                f"chunk_rows is `{self.chunk_rows}`; it must be at most 5000000"
            )
        if self.days * self.slices_per_day * self.chunk_rows > 6_000_000_000:
            raise ConfigError(
                f"a simulation of `{self.days}` days of `{self.per_day}` rows exceeds "
                "the simulated phone-number space; simulate fewer rows"
            )
        if not 5 <= self.daily_cap <= 1000:
            raise ConfigError(
                f"daily_cap is `{self.daily_cap}`; the simulator needs 5..1000 because "
                "an ordinary lead makes up to 5 attempts a day"
            )
        if self.max_talk_seconds < 60:
            raise ConfigError(
                f"max_talk_seconds is `{self.max_talk_seconds}`; the simulator needs "
                "at least 60"
            )
        if self.seed < 0:
            raise ConfigError(f"seed is `{self.seed}`; use a number of 0 or more")
        if not 0 <= self.flag_blank_rate <= 0.5:
            raise ConfigError(
                f"flag_blank_rate is `{self.flag_blank_rate}`; expected 0..0.5"
            )
        for name, rate in asdict(self.mess).items():
            if not 0 <= rate <= 0.2:
                raise ConfigError(
                    f"mess rate `{name}` is `{rate}`; expected a share from 0 to 0.2"
                )
        if self.mess.total() > 0.5:
            raise ConfigError(
                f"mess rates add up to `{self.mess.total():.3f}`; keep them below 0.5"
            )
        if self.anomaly_day is not None and not 0 <= self.anomaly_day < self.days:
            raise ConfigError(
                f"anomaly_day is `{self.anomaly_day}`; expected 0..{self.days - 1}"
            )
        return self


# Messy records reach a few days around the period (future times, late updates), and
# every time must stay inside the contract's usable instants (cleaning/times.py).
_FIRST_START = date(1902, 1, 1)
_LAST_END = date(9998, 12, 31)


def _positive(name: str, value: int) -> None:
    if value < 1:
        raise ConfigError(f"{name} is `{value}`; it must be 1 or more")

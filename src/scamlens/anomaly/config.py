"""Settings of anomaly detection: baselines per grain, false-discovery rate, severity.

Detection is configured by one frozen :class:`DetectionConfig`. The per-detector
thresholds (minimum sample sizes, minimum effect sizes) live on the detector objects
themselves (see :mod:`scamlens.anomaly.detectors`), so a new detector brings its own
knobs without widening this object.

The defaults were chosen so that, on simulated outreach days, the detectors raise at
most about one false alarm per clean day while catching planted connection-rate drops,
victim surges and volume spikes (see ``docs/anomaly.md`` for the figures).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from scamlens.errors import ConfigError

__all__ = [
    "COUNT_COLUMNS",
    "DIMENSIONS",
    "GRAIN_SECONDS",
    "BaselineConfig",
    "DetectionConfig",
]

DIMENSIONS: tuple[str, ...] = (
    "region_code",
    "channel",
    "module",
    "fraud_type",
    "age_band",
)
"""Segment dimension columns, in the order used for segment keys and messages."""

COUNT_COLUMNS: tuple[str, ...] = (
    "initiated",
    "succeeded",
    "accurate",
    "victims",
    "publicity",
)
"""Indicator counts a closed window carries. Rates are derived, never summed."""

GRAIN_SECONDS: Mapping[str, int] = MappingProxyType({"1m": 60, "1h": 3600, "1d": 86400})

BASELINE_MODES = ("same_slot", "recent")


@dataclass(frozen=True)
class BaselineConfig:
    """How the baseline of one grain is drawn from earlier windows.

    ``same_slot`` compares a window with the windows at the same local time of day on
    each of the previous ``days`` days: an hour is compared with the same hour, which
    takes the daily curve of outreach volume (and of answering) out of the comparison.
    For the ``1d`` grain the same slot is simply every previous day.
    ``recent`` compares a window with the ``windows`` windows just before it; it suits
    the ``1m`` grain, where the daily curve is flat over an hour.
    A segment needs at least ``min_windows`` baseline windows to be tested at all.
    """

    mode: str = "same_slot"
    days: int = 7
    windows: int = 60
    min_windows: int = 3

    def __post_init__(self) -> None:
        if self.mode not in BASELINE_MODES:
            raise ConfigError(
                f"baseline mode is `{self.mode}`; expected one of "
                f"{', '.join(BASELINE_MODES)}"
            )
        if self.days < 1 or self.windows < 1 or self.min_windows < 1:
            raise ConfigError(
                f"baseline days/windows/min_windows are `{self.days}`/"
                f"`{self.windows}`/`{self.min_windows}`; each must be 1 or more"
            )

    def lookback_seconds(self, grain: str) -> int:
        """How far back this baseline reads, for loading and pruning history."""
        if self.mode == "same_slot":
            return self.days * 86400
        return self.windows * GRAIN_SECONDS[grain]


def _default_baselines() -> Mapping[str, BaselineConfig]:
    return MappingProxyType(
        {
            "1m": BaselineConfig(mode="recent", windows=60, min_windows=30),
            "1h": BaselineConfig(mode="same_slot", days=7, min_windows=3),
            "1d": BaselineConfig(mode="same_slot", days=14, min_windows=5),
        }
    )


@dataclass(frozen=True)
class DetectionConfig:
    """Everything the engine needs besides the detectors themselves.

    ``fdr`` is the Benjamini-Hochberg false-discovery rate, applied to all tests made
    when one window of one segment set closes (every segment, every detector).
    ``grains`` are the window grains tested; the one-minute grain is off by default
    because per-minute counts of most segments are below any useful sample size.
    ``rolling_hours`` adds, for each closed hourly window, trailing windows of that
    many hours (grain ``"3h"`` for 3) compared with the same span on the previous
    days of the ``1h`` baseline: sustained moderate shifts (a scam wave building
    over an afternoon) stand out over three hours long before a single hour shows
    them. Empty turns it off; it needs ``1h`` among the grains.
    Severity grows with the effect relative to the detector's minimum effect
    (``strength``) and with the q-value: ``critical`` needs strength at least
    ``critical_strength`` and q at most ``fdr / 100``; ``warning`` needs
    ``warning_strength`` and ``fdr / 10``; every other alert is ``info``.
    """

    fdr: float = 0.01
    grains: tuple[str, ...] = ("1h", "1d")
    baselines: Mapping[str, BaselineConfig] = field(default_factory=_default_baselines)
    rolling_hours: tuple[int, ...] = (3,)
    warning_strength: float = 1.5
    critical_strength: float = 3.0

    def __post_init__(self) -> None:
        if not 0.0 < self.fdr < 1.0:
            raise ConfigError(f"fdr is `{self.fdr}`; it must be between 0 and 1")
        unknown = [g for g in self.grains if g not in GRAIN_SECONDS]
        if unknown:
            raise ConfigError(
                f"grains `{', '.join(unknown)}` are unknown; expected some of "
                f"{', '.join(GRAIN_SECONDS)}"
            )
        missing = [g for g in self.grains if g not in self.baselines]
        if missing:
            raise ConfigError(
                f"no baseline configured for grains `{', '.join(missing)}`; add a "
                "BaselineConfig for each tested grain"
            )
        bad = [h for h in self.rolling_hours if not 2 <= h <= 23]
        if bad:
            raise ConfigError(
                f"rolling_hours `{', '.join(map(str, bad))}` are out of range; "
                "trailing windows span 2 to 23 hours"
            )
        if not 0 < self.warning_strength <= self.critical_strength:
            raise ConfigError(
                f"warning/critical strengths are `{self.warning_strength}`/"
                f"`{self.critical_strength}`; expected 0 < warning <= critical"
            )

    def baseline(self, grain: str) -> BaselineConfig:
        """The baseline configuration of ``grain`` (trailing grains use ``1h``'s)."""
        if grain in self.baselines:
            return self.baselines[grain]
        hourly = self.baselines["1h"]
        return BaselineConfig(
            mode="same_slot", days=hourly.days, min_windows=hourly.min_windows
        )

    @property
    def rolling(self) -> tuple[int, ...]:
        """Trailing window lengths in use (none unless ``1h`` is tested)."""
        return self.rolling_hours if "1h" in self.grains else ()

    def max_lookback_seconds(self) -> int:
        """The longest history any tested grain needs."""
        return max(self.baselines[g].lookback_seconds(g) for g in self.grains)

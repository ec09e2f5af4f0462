"""Detectors: one class per kind of anomaly, all behind :class:`Detector`.

A detector looks at every segment of a closed window at once (numpy arrays, one
element per segment) together with that segment's baseline statistics, and returns
an :class:`Evaluation`: which segments it could test (minimum sample sizes), the
one-sided p-value of each, observed and expected values with intervals, and whether
the effect is large enough to matter (minimum effect size). The engine then controls
false discoveries across all detectors and segments of the window, and turns the
significant, large-enough effects into alerts.

The built-in detectors:

* :class:`SuccessRateDrop`: the success (connection) rate ``succeeded/initiated`` of
  a segment falls well below its own baseline (carriers marking the outreach numbers
  as spam, a broken trunk, a bad script);
* :class:`VictimRateSurge`: the share of reached citizens who say they were already
  defrauded, ``victims/succeeded``, rises well above its baseline (a new scam wave);
* :class:`VictimCountSurge`: the number of such citizens rises well above the
  baseline count, whatever drove it (more leads or a higher rate);
* :class:`VolumeSpike`: ``initiated`` rises far above its baseline (a runaway
  dialing task, a duplicated lead import).
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from scamlens.anomaly import stat_tests as st

__all__ = [
    "CountSurgeDetector",
    "Detector",
    "Evaluation",
    "RateDropDetector",
    "RateSurgeDetector",
    "SegmentData",
    "SuccessRateDrop",
    "VictimCountSurge",
    "VictimRateSurge",
    "VolumeSpike",
    "default_detectors",
]

logger = logging.getLogger(__name__)

Floats = NDArray[np.float64]
Bools = NDArray[np.bool_]


@dataclass(frozen=True)
class SegmentData:
    """The counts of every segment-window under test and their baseline statistics.

    ``current`` maps each count column to its values; ``base`` maps each statistic
    of :func:`scamlens.anomaly.baseline.baseline_columns` to its values;
    ``min_windows`` is the fewest baseline windows each row's grain accepts;
    ``family`` labels the rows tested together (one closed window of one grain),
    over which dispersion estimates are pooled.
    """

    current: Mapping[str, Floats]
    base: Mapping[str, Floats]
    min_windows: Floats
    family: NDArray[np.int64]

    @property
    def size(self) -> int:
        """Number of segment-windows."""
        return int(self.min_windows.size)


@dataclass(frozen=True)
class Evaluation:
    """What one detector found for every segment-window (arrays of equal length).

    ``effect`` is the relative change in the alerting direction (0.3 means 30 %
    below the baseline for a drop, 30 % above it for a surge). ``observed_lower``
    and ``observed_upper`` bound the observed value (Wilson or exact Poisson, 95 %);
    ``expected_lower`` and ``expected_upper`` bound where the value should fall under
    the baseline. Intervals are computed only for rows that meet the effect size
    (NaN elsewhere). ``numerator`` and ``sample`` are the counts behind a rate
    (``sample`` is NaN for a count metric).
    """

    tested: Bools
    p_value: Floats
    observed: Floats
    expected: Floats
    observed_lower: Floats
    observed_upper: Floats
    expected_lower: Floats
    expected_upper: Floats
    effect: Floats
    meets_effect: Bools
    numerator: Floats
    sample: Floats


def _masked(
    mask: Bools, interval: Callable[..., tuple[Floats, Floats]], *arrays: object
) -> tuple[Floats, Floats]:
    """An interval computed only where ``mask`` holds (NaN elsewhere).

    Intervals only matter for the rows that may become alerts; computing quantiles
    for every segment would cost more than the tests themselves.
    """
    lower = np.full(mask.shape, np.nan)
    upper = np.full(mask.shape, np.nan)
    if mask.any():
        parts = [
            np.broadcast_to(np.asarray(a, np.float64), mask.shape)[mask] for a in arrays
        ]
        lower[mask], upper[mask] = interval(*parts)
    return lower, upper


class Detector(ABC):
    """One kind of anomaly on one metric.

    ``kind`` names the pattern (``rate_drop``, ``rate_surge``, ``count_surge``),
    ``metric`` the indicator. ``min_rel_effect`` is the smallest relative change
    worth an alert; severity grows with the effect measured in units of it.
    ``prior_dof`` is how many baseline windows a segment's own dispersion estimate
    must rest on to weigh as much as the estimate pooled over all segments tested
    with it (see :func:`scamlens.anomaly.stat_tests.shrink_to_pool`).
    """

    kind: ClassVar[str]
    metric: str
    min_rel_effect: float
    prior_dof: float = 20.0

    @abstractmethod
    def evaluate(self, data: SegmentData) -> Evaluation:
        """Test every segment-window in ``data``."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(metric={self.metric!r})"


class _RateDetector(Detector):
    """Shared body of the rate detectors: a one-sided test of ``num`` given ``den``."""

    upward: ClassVar[bool]

    def __init__(
        self,
        *,
        metric: str,
        numerator: str,
        denominator: str,
        min_trials: int,
        min_baseline_trials: int,
        min_abs_effect: float,
        min_rel_effect: float,
        rho_floor: float = 0.001,
    ) -> None:
        self.metric = metric
        self.numerator = numerator
        self.denominator = denominator
        self.min_trials = min_trials
        self.min_baseline_trials = min_baseline_trials
        self.min_abs_effect = min_abs_effect
        self.min_rel_effect = min_rel_effect
        self.rho_floor = rho_floor

    def evaluate(self, data: SegmentData) -> Evaluation:
        num, den = self.numerator, self.denominator
        x, n = data.current[num], data.current[den]
        b = data.base
        big_n, big_x = b[f"s_{den}"], b[f"s_{num}"]
        p0 = (big_x + 0.5) / (big_n + 1.0)
        excess, room = st.rate_overdispersion_parts(
            big_x, big_n, b[f"q_{num}_{den}"], b[f"ss_{den}"], b[f"k_{den}"]
        )
        rho = st.shrink_to_pool(
            excess, room, b[f"k_{den}"] - 1, data.family, self.prior_dof
        )
        rho = np.clip(rho, self.rho_floor, 1.0)
        deff = st.rate_design_effect(n, big_n, b[f"ss_{den}"], rho)
        tested = (
            (n >= self.min_trials)
            & (big_n >= self.min_baseline_trials)
            & (b["base_windows"] >= data.min_windows)
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            observed = x / n
        tail = st.rate_upper_tail if self.upward else st.rate_lower_tail
        p_value = np.where(tested, tail(x, n, p0, deff), np.nan)
        change = observed - p0 if self.upward else p0 - observed
        effect = change / p0
        meets = (
            tested & (change >= self.min_abs_effect) & (effect >= self.min_rel_effect)
        )
        obs_lo, obs_hi = _masked(meets, st.wilson_interval, x, n)
        exp_lo, exp_hi = _masked(meets, st.rate_predictive_interval, n, p0, deff)
        return Evaluation(
            tested=tested,
            p_value=p_value,
            observed=observed,
            expected=p0,
            observed_lower=obs_lo,
            observed_upper=obs_hi,
            expected_lower=exp_lo,
            expected_upper=exp_hi,
            effect=effect,
            meets_effect=meets,
            numerator=np.asarray(x, dtype=np.float64),
            sample=np.asarray(n, dtype=np.float64),
        )


class RateDropDetector(_RateDetector):
    """A rate falls below its baseline (one-sided, lower tail)."""

    kind = "rate_drop"
    upward = False


class RateSurgeDetector(_RateDetector):
    """A rate rises above its baseline (one-sided, upper tail)."""

    kind = "rate_surge"
    upward = True


class CountSurgeDetector(Detector):
    """A count rises above its baseline level (negative binomial / Poisson).

    The alert needs at least ``min_count`` events, at least ``min_excess`` more
    than expected, and a relative excess of ``min_rel_effect`` (1.0 = double).
    ``phi_floor`` is the least over-dispersion assumed (``Var = mu + phi mu**2``).
    """

    kind = "count_surge"

    def __init__(
        self,
        *,
        metric: str,
        column: str,
        min_count: int,
        min_excess: float,
        min_rel_effect: float,
        phi_floor: float,
    ) -> None:
        self.metric = metric
        self.column = column
        self.min_count = min_count
        self.min_excess = min_excess
        self.min_rel_effect = min_rel_effect
        self.phi_floor = phi_floor

    def evaluate(self, data: SegmentData) -> Evaluation:
        x = np.asarray(data.current[self.column], dtype=np.float64)
        b = data.base
        m = b["base_windows"]
        s, ss = b[f"s_{self.column}"], b[f"ss_{self.column}"]
        excess, square = st.count_dispersion_parts(s, ss, m)
        phi = st.shrink_to_pool(excess, square, m - 1, data.family, self.prior_dof)
        phi = np.maximum(phi, self.phi_floor)
        tested = (m >= data.min_windows) & (m >= 1)
        safe_m = np.where(m >= 1, m, 1.0)
        mu, var = st.count_predictive(s, safe_m, phi)
        p_value = np.where(tested, st.count_upper_tail(x, mu, var), np.nan)
        effect = (x - mu) / mu
        meets = (
            tested
            & (x >= self.min_count)
            & (x - mu >= self.min_excess)
            & (effect >= self.min_rel_effect)
        )
        obs_lo, obs_hi = _masked(meets, st.poisson_interval, x)
        exp_lo, exp_hi = _masked(meets, st.count_predictive_interval, mu, var)
        return Evaluation(
            tested=tested,
            p_value=p_value,
            observed=x,
            expected=mu,
            observed_lower=obs_lo,
            observed_upper=obs_hi,
            expected_lower=exp_lo,
            expected_upper=exp_hi,
            effect=effect,
            meets_effect=meets,
            numerator=x,
            sample=np.full(x.shape, np.nan),
        )


class SuccessRateDrop(RateDropDetector):
    """The success rate ``succeeded/initiated`` falls well below its baseline."""

    def __init__(
        self,
        *,
        min_trials: int = 50,
        min_baseline_trials: int = 200,
        min_abs_effect: float = 0.05,
        min_rel_effect: float = 0.2,
        rho_floor: float = 0.001,
    ) -> None:
        super().__init__(
            metric="success_rate",
            numerator="succeeded",
            denominator="initiated",
            min_trials=min_trials,
            min_baseline_trials=min_baseline_trials,
            min_abs_effect=min_abs_effect,
            min_rel_effect=min_rel_effect,
            rho_floor=rho_floor,
        )


class VictimRateSurge(RateSurgeDetector):
    """The victim rate ``victims/succeeded`` rises well above its baseline."""

    def __init__(
        self,
        *,
        min_trials: int = 50,
        min_baseline_trials: int = 300,
        min_abs_effect: float = 0.02,
        min_rel_effect: float = 0.5,
        rho_floor: float = 0.001,
    ) -> None:
        super().__init__(
            metric="victim_rate",
            numerator="victims",
            denominator="succeeded",
            min_trials=min_trials,
            min_baseline_trials=min_baseline_trials,
            min_abs_effect=min_abs_effect,
            min_rel_effect=min_rel_effect,
            rho_floor=rho_floor,
        )


class VictimCountSurge(CountSurgeDetector):
    """The number of citizens reporting they were defrauded surges."""

    def __init__(
        self,
        *,
        min_count: int = 5,
        min_excess: float = 3.0,
        min_rel_effect: float = 1.0,
        phi_floor: float = 0.05,
    ) -> None:
        super().__init__(
            metric="victims",
            column="victims",
            min_count=min_count,
            min_excess=min_excess,
            min_rel_effect=min_rel_effect,
            phi_floor=phi_floor,
        )


class VolumeSpike(CountSurgeDetector):
    """The number of outreach attempts ``initiated`` spikes far above its baseline."""

    def __init__(
        self,
        *,
        min_count: int = 50,
        min_excess: float = 30.0,
        min_rel_effect: float = 1.0,
        phi_floor: float = 0.05,
    ) -> None:
        super().__init__(
            metric="initiated",
            column="initiated",
            min_count=min_count,
            min_excess=min_excess,
            min_rel_effect=min_rel_effect,
            phi_floor=phi_floor,
        )


def default_detectors() -> tuple[Detector, ...]:
    """The detectors the engine runs when none are given, at default settings."""
    return (SuccessRateDrop(), VictimRateSurge(), VictimCountSurge(), VolumeSpike())

"""Vectorised tail tests and intervals for rates and counts.

Every function takes numpy arrays (one element per segment) and returns arrays, so a
window with thousands of segments costs a few special-function calls.

Rates (x successes in n trials, baseline rate p0) are tested as binomial counts
widened by a *design effect* ``deff >= 1``: the test runs on the effective sample
``n / deff`` with ``x / deff`` successes, through the regularised incomplete beta
function, which extends the binomial tail to non-integer counts. A beta-binomial with
intra-window correlation ``rho`` has exactly the variance of a binomial times
``1 + (n - 1) * rho``, so this matches its first two moments while staying a closed
form (scipy's beta-binomial tail sums the mass term by term and takes ~0.5 s for
10,000 segments). With ``deff == 1`` the test is the exact binomial test.

Counts are tested against a negative binomial with the baseline mean and variance,
and against a Poisson when the variance does not exceed the mean.
"""

from __future__ import annotations

import logging

import numpy as np
from numpy.typing import NDArray
from scipy import special, stats

__all__ = [
    "count_dispersion",
    "count_dispersion_parts",
    "count_predictive",
    "count_predictive_interval",
    "count_upper_tail",
    "poisson_interval",
    "rate_design_effect",
    "rate_lower_tail",
    "rate_overdispersion",
    "rate_overdispersion_parts",
    "rate_predictive_interval",
    "rate_upper_tail",
    "shrink_to_pool",
    "wilson_interval",
]

logger = logging.getLogger(__name__)

Floats = NDArray[np.float64]
_Z95 = 1.959963984540054


def _f(values: object) -> Floats:
    return np.asarray(values, dtype=np.float64)


def wilson_interval(x: object, n: object, z: float = _Z95) -> tuple[Floats, Floats]:
    """Wilson score interval of the rate ``x / n`` (NaN where ``n == 0``)."""
    x, n = _f(x), _f(n)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / n
        denom = 1.0 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)


def poisson_interval(x: object, level: float = 0.95) -> tuple[Floats, Floats]:
    """Exact (Garwood) interval of a Poisson mean given the observed count ``x``."""
    x = _f(x)
    tail = (1.0 - level) / 2
    lower = np.where(x > 0, stats.chi2.ppf(tail, 2 * x) / 2, 0.0)
    upper = stats.chi2.ppf(1 - tail, 2 * x + 2) / 2
    return lower, upper


def rate_lower_tail(x: object, n: object, p0: object, deff: object = 1.0) -> Floats:
    """P(X <= x) for X ~ binomial(n, p0) on the effective sample ``n / deff``."""
    x, n, p0, deff = _f(x), _f(n), _f(p0), _f(deff)
    ne, xe = n / deff, x / deff
    with np.errstate(invalid="ignore"):
        tail = special.betainc(np.maximum(ne - xe, 1e-12), xe + 1.0, 1.0 - p0)
    return np.where(xe >= ne, 1.0, tail)


def rate_upper_tail(x: object, n: object, p0: object, deff: object = 1.0) -> Floats:
    """P(X >= x) for X ~ binomial(n, p0) on the effective sample ``n / deff``."""
    x, n, p0, deff = _f(x), _f(n), _f(p0), _f(deff)
    ne, xe = n / deff, x / deff
    with np.errstate(invalid="ignore"):
        tail = special.betainc(np.maximum(xe, 1e-12), ne - xe + 1.0, p0)
    return np.where(xe <= 0, 1.0, tail)


def rate_overdispersion_parts(
    x_sum: object, n_sum: object, q_sum: object, nn_sum: object, k: object
) -> tuple[Floats, Floats]:
    """Numerator and denominator of the moment estimate of ``rho`` (see below).

    Kept apart so estimates can be pooled over segments as a ratio of sums; both
    are NaN where fewer than two windows exist or the rate is 0 or 1.
    """
    x_sum, n_sum, q_sum, nn_sum, k = map(_f, (x_sum, n_sum, q_sum, nn_sum, k))
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x_sum / n_sum
        spread = q_sum - x_sum * x_sum / n_sum
        scale = p * (1 - p)
        room = n_sum - nn_sum / n_sum - (k - 1)
        excess = spread / scale - (k - 1)
    valid = (k >= 2) & (scale > 0) & (room > 0)
    return np.where(valid, excess, np.nan), np.where(valid, room, np.nan)


def rate_overdispersion(
    x_sum: object, n_sum: object, q_sum: object, nn_sum: object, k: object
) -> Floats:
    """Method-of-moments intra-window correlation ``rho`` of a rate (>= 0).

    From ``k`` windows with ``n_i > 0``: ``x_sum = sum x_i``, ``n_sum = sum n_i``,
    ``q_sum = sum x_i**2 / n_i`` and ``nn_sum = sum n_i**2``. Under a beta-binomial,
    ``S = sum n_i (x_i/n_i - p)**2`` has expectation
    ``p (1 - p) [(k - 1) + rho (N - sum n_i**2 / N - (k - 1))]``; solving for ``rho``
    gives the estimate, NaN where fewer than two windows exist.
    """
    excess, room = rate_overdispersion_parts(x_sum, n_sum, q_sum, nn_sum, k)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.clip(excess / room, 0.0, 1.0)


def shrink_to_pool(
    numerator: object,
    denominator: object,
    dof: object,
    family: object,
    prior_dof: float,
) -> Floats:
    """Dispersion estimates of each segment, shrunk towards their family's pool.

    A dispersion estimated from a week of one segment's windows is very noisy (a
    count of two victims an hour says little about its own variance); the pooled
    estimate of all segments tested together (``sum numerator / sum denominator``
    per ``family``) is stable. Each segment gets the weighted mean
    ``w * own + (1 - w) * pool`` with ``w = dof / (dof + prior_dof)``, so its own
    history counts fully only when it rests on many windows; segments without an
    estimate of their own get the pool. The result is at least 0.
    """
    num, den, dof = _f(numerator), _f(denominator), _f(dof)
    fam = np.asarray(family)
    valid = np.isfinite(num) & np.isfinite(den) & (den > 0)
    _, codes = np.unique(fam, return_inverse=True)
    num_sum = np.bincount(codes, weights=np.where(valid, num, 0.0))
    den_sum = np.bincount(codes, weights=np.where(valid, den, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        pool = np.maximum(np.nan_to_num(num_sum / den_sum, nan=0.0), 0.0)[codes]
        own = np.where(valid, np.maximum(num / den, 0.0), pool)
    weight = np.where(
        valid, np.maximum(dof, 0.0) / (np.maximum(dof, 0.0) + prior_dof), 0
    )
    return weight * own + (1.0 - weight) * pool


def rate_design_effect(n: object, n_sum: object, nn_sum: object, rho: object) -> Floats:
    """Variance inflation of a new window's count over a plain binomial.

    Combines the between-window spread (``1 + (n - 1) rho``) with the uncertainty of
    the baseline rate itself, estimated from ``n_sum`` trials spread over windows with
    ``nn_sum = sum n_i**2``: ``n (1 + rho (nn_sum / n_sum - 1)) / n_sum``.
    """
    n, n_sum, nn_sum, rho = map(_f, (n, n_sum, nn_sum, rho))
    with np.errstate(divide="ignore", invalid="ignore"):
        base = n * (1.0 + rho * (nn_sum / n_sum - 1.0)) / n_sum
    return 1.0 + np.maximum(n - 1.0, 0.0) * rho + np.nan_to_num(base, nan=0.0)


def rate_predictive_interval(
    n: object, p0: object, deff: object, z: float = _Z95
) -> tuple[Floats, Floats]:
    """Where the rate of a window of ``n`` trials should fall under the baseline."""
    n, p0, deff = map(_f, (n, p0, deff))
    with np.errstate(divide="ignore", invalid="ignore"):
        half = z * np.sqrt(p0 * (1 - p0) * deff / n)
    return np.clip(p0 - half, 0.0, 1.0), np.clip(p0 + half, 0.0, 1.0)


def count_dispersion_parts(s: object, ss: object, m: object) -> tuple[Floats, Floats]:
    """Numerator ``var - mean`` and denominator ``mean**2`` of ``phi`` (NaN if < 2)."""
    s, ss, m = map(_f, (s, ss, m))
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = s / m
        var = (ss - s * s / m) / (m - 1)
    valid = (m >= 2) & (mean > 0)
    return np.where(valid, var - mean, np.nan), np.where(valid, mean * mean, np.nan)


def count_dispersion(s: object, ss: object, m: object) -> Floats:
    """Method-of-moments negative-binomial dispersion ``phi`` of a count (>= 0).

    ``Var = mean + phi * mean**2``, from the sum ``s`` and sum of squares ``ss`` over
    ``m`` windows (absent windows count as zeros); NaN with fewer than two windows.
    """
    excess, square = count_dispersion_parts(s, ss, m)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.maximum(excess / square, 0.0)


def count_predictive(s: object, m: object, phi: object) -> tuple[Floats, Floats]:
    """Predictive mean and variance of the next window's count.

    The mean is ``(s + 0.5) / m``: the half count keeps a never-seen event from
    having an expected count of zero. The variance adds the uncertainty of that
    mean (a ``1/m`` share) to the negative-binomial variance.
    """
    s, m, phi = map(_f, (s, m, phi))
    with np.errstate(divide="ignore", invalid="ignore"):
        mu = (s + 0.5) / m
    var = (mu + phi * mu * mu) * (1.0 + 1.0 / m)
    return mu, var


def _nbinom_params(mu: Floats, var: Floats) -> tuple[Floats, Floats, NDArray[np.bool_]]:
    over = var > mu * (1 + 1e-9)
    safe_var = np.where(over, var, mu * 2)
    r = mu * mu / (safe_var - mu)
    p = mu / safe_var
    return r, p, over


def count_upper_tail(x: object, mu: object, var: object) -> Floats:
    """P(X >= x) under a negative binomial of mean ``mu``, variance ``var``.

    A Poisson of mean ``mu`` is used where ``var <= mu``.
    """
    x, mu, var = map(_f, (x, mu, var))
    r, p, over = _nbinom_params(mu, var)
    nb = stats.nbinom.sf(x - 1, r, p)
    po = stats.poisson.sf(x - 1, mu)
    return np.where(over, nb, po)


def count_predictive_interval(
    mu: object, var: object, level: float = 0.95
) -> tuple[Floats, Floats]:
    """Central ``level`` interval of the count expected under the baseline."""
    mu, var = _f(mu), _f(var)
    tail = (1 - level) / 2
    r, p, over = _nbinom_params(mu, var)
    lower = np.where(over, stats.nbinom.ppf(tail, r, p), stats.poisson.ppf(tail, mu))
    upper = np.where(
        over, stats.nbinom.ppf(1 - tail, r, p), stats.poisson.ppf(1 - tail, mu)
    )
    return lower, upper

"""The tail tests and intervals agree with exact references and recover dispersion."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from scamlens.anomaly import stat_tests as st


def test_wilson_interval_matches_scipy_reference() -> None:
    x = np.array([0, 3, 50, 120, 999])
    n = np.array([10, 40, 100, 1000, 1000])
    lower, upper = st.wilson_interval(x, n)
    for i in range(x.size):
        ci = stats.binomtest(int(x[i]), int(n[i])).proportion_ci(method="wilson")
        assert lower[i] == pytest.approx(ci.low, abs=1e-9)
        assert upper[i] == pytest.approx(ci.high, abs=1e-9)


def test_poisson_interval_matches_garwood_table() -> None:
    # Garwood (1936) exact 95 % limits, as tabulated in every statistics handbook.
    lower, upper = st.poisson_interval(np.array([0, 1, 5, 10]))
    assert lower == pytest.approx([0.0, 0.0253, 1.6235, 4.7954], abs=1e-4)
    assert upper == pytest.approx([3.6889, 5.5716, 11.6683, 18.3904], abs=1e-4)


def test_rate_tails_equal_exact_binomial_without_overdispersion() -> None:
    n = np.array([30, 200, 1000, 1000, 57])
    x = np.array([5, 80, 480, 999, 0])
    p0 = np.array([0.4, 0.5, 0.5, 0.99, 0.1])
    lower = st.rate_lower_tail(x, n, p0)
    upper = st.rate_upper_tail(x, n, p0)
    assert lower == pytest.approx(stats.binom.cdf(x, n, p0), rel=1e-9, abs=0)
    assert upper == pytest.approx(stats.binom.sf(x - 1, n, p0), rel=1e-9, abs=0)


def test_rate_tail_with_design_effect_tracks_beta_binomial() -> None:
    # A beta-binomial with rho = 0.01 at n = 400 has the variance of a binomial
    # times 1 + 399 * 0.01; the design-effect test should be close to it, on the
    # conservative side, and far from the plain binomial that ignores the spread.
    n, p0, rho = 400, 0.5, 0.01
    a = p0 * (1 / rho - 1)
    deff = 1 + (n - 1) * rho
    for x in (120, 150, 170):
        exact = stats.betabinom.cdf(x, n, a, a)
        approx = st.rate_lower_tail(np.array([x]), np.array([n]), p0, deff)[0]
        assert exact <= approx <= 2 * exact
        assert approx > 50 * stats.binom.cdf(x, n, p0)


def test_rate_overdispersion_recovers_rho(rng: np.random.Generator) -> None:
    for rho in (0.0, 0.005, 0.03):
        n = rng.integers(200, 2000, size=400)
        if rho == 0:
            x = rng.binomial(n, 0.3)
        else:
            a, b = 0.3 * (1 / rho - 1), 0.7 * (1 / rho - 1)
            x = rng.binomial(n, rng.beta(a, b, size=n.size))
        est = st.rate_overdispersion(
            x.sum(), n.sum(), (x * x / n).sum(), (n * n).sum(), n.size
        )
        assert float(est) == pytest.approx(rho, abs=0.003)


def test_count_dispersion_recovers_phi(rng: np.random.Generator) -> None:
    mu, phi = 200.0, 0.04
    r = 1 / phi
    samples = rng.negative_binomial(r, r / (r + mu), size=(300, 7))
    est = st.count_dispersion(samples.sum(1), (samples**2).sum(1), 7)
    assert np.median(est) == pytest.approx(phi, abs=0.015)
    poisson = rng.poisson(mu, size=(300, 7))
    est0 = st.count_dispersion(poisson.sum(1), (poisson**2).sum(1), 7)
    assert np.median(est0) < 0.005


def test_count_upper_tail_poisson_and_negative_binomial() -> None:
    x = np.array([0, 5, 15, 30])
    mu = np.full(4, 8.0)
    assert st.count_upper_tail(x, mu, mu) == pytest.approx(
        stats.poisson.sf(x - 1, 8), rel=1e-9, abs=0
    )
    var = mu + 0.5 * mu**2
    r = 1 / 0.5
    expected = stats.nbinom.sf(x - 1, r, r / (r + 8.0))
    assert st.count_upper_tail(x, mu, var) == pytest.approx(expected, rel=1e-9, abs=0)


def test_count_predictive_never_expects_zero() -> None:
    mu, var = st.count_predictive(np.array([0.0, 70.0]), np.array([7.0, 7.0]), 0.0)
    assert mu[0] == pytest.approx(0.5 / 7)
    assert mu[1] == pytest.approx(70.5 / 7)
    assert var[1] == pytest.approx(mu[1] * (1 + 1 / 7))


def test_predictive_interval_covers_95_percent(rng: np.random.Generator) -> None:
    n = np.full(20_000, 300)
    p0 = np.full(n.size, 0.45)
    deff = st.rate_design_effect(n, np.full(n.size, 1e9), np.full(n.size, 1e12), 0.0)
    lower, upper = st.rate_predictive_interval(n, p0, deff)
    rates = rng.binomial(n, 0.45) / n
    inside = np.mean((rates >= lower) & (rates <= upper))
    assert 0.94 <= inside <= 0.965

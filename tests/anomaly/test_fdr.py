"""Benjamini-Hochberg against hand-computed examples and the step-up definition."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as hs

from scamlens.anomaly.fdr import (
    bh_qvalues,
    bh_qvalues_grouped,
    bh_reject,
    equal_share_weights,
)


def test_bh_qvalues_hand_computed() -> None:
    # Sorted: 0.005, 0.01, 0.03, 0.04, 0.2 (m = 5). Adjusted p * m / rank:
    # 0.025, 0.025, 0.05, 0.05, 0.2; already monotone, so these are the q-values.
    p = [0.01, 0.04, 0.03, 0.005, 0.2]
    assert bh_qvalues(p) == pytest.approx([0.025, 0.05, 0.05, 0.025, 0.2])
    assert bh_reject(p, 0.05).tolist() == [True, True, True, True, False]
    assert bh_reject(p, 0.03).tolist() == [True, False, False, True, False]


def test_bh_step_up_rescues_an_earlier_rank() -> None:
    # Adjusted: 0.001*4/1 = 0.004, 0.04*4/2 = 0.08, 0.041*4/3 = 0.0547,
    # 0.042*4/4 = 0.042. Step-up takes the minimum from the top: the second test's
    # q-value is 0.042, not 0.08, so at 0.045 all four are rejected.
    p = [0.001, 0.04, 0.041, 0.042]
    assert bh_qvalues(p) == pytest.approx([0.004, 0.042, 0.042, 0.042])
    assert bh_reject(p, 0.045).all()
    assert bh_reject(p, 0.041).tolist() == [True, False, False, False]


def test_bh_ignores_untested_entries() -> None:
    q = bh_qvalues([0.01, np.nan, 0.02])
    # m is 2, not 3: 0.01 * 2 / 1 = 0.02 and 0.02 * 2 / 2 = 0.02.
    assert q[0] == pytest.approx(0.02)
    assert np.isnan(q[1])
    assert q[2] == pytest.approx(0.02)
    assert bh_reject([np.nan, np.nan], 0.5).tolist() == [False, False]


def test_bh_grouped_keeps_families_apart() -> None:
    p = [0.01, 0.02, 0.01, 0.5]
    q = bh_qvalues_grouped(p, [1, 1, 2, 2])
    assert q == pytest.approx([0.02, 0.02, 0.02, 0.5])


@given(
    hs.lists(hs.floats(0, 1, allow_nan=False), min_size=1, max_size=60),
    hs.floats(0.001, 0.5),
)
def test_bh_reject_matches_step_up_definition(p: list[float], alpha: float) -> None:
    """Reject the k smallest, k the largest rank with p_(k) <= k alpha / m.

    ``p_(k) <= k alpha / m`` and the q-value ``p_(k) m / k <= alpha`` round
    differently when the two sides are equal, which the definition leaves to
    arithmetic; so the rejections must lie between those of a threshold a few ulps
    lower and a few higher.
    """
    values = np.array(p)
    m = values.size
    order = np.sort(values)

    def step_up(scale: float) -> np.ndarray:
        passing = np.flatnonzero(order <= np.arange(1, m + 1) * alpha / m * scale)
        if not passing.size:
            return np.zeros(m, bool)
        return values <= order[passing.max()]

    got = bh_reject(values, alpha)
    assert (step_up(1 - 1e-12) <= got).all()
    assert (got <= step_up(1 + 1e-12)).all()
    q = bh_qvalues(values)
    assert (q >= values - 1e-12).all()
    assert (np.diff(q[np.argsort(values, kind="stable")]) >= -1e-12).all()


def test_equal_share_weights_split_the_budget_by_block() -> None:
    # One family of five tests: block 0 holds one, block 1 holds four.
    weights = equal_share_weights([7] * 5, [0, 1, 1, 1, 1], [True] * 5)
    assert weights == pytest.approx([2.5, 0.625, 0.625, 0.625, 0.625])
    assert weights.mean() == pytest.approx(1.0)
    # Untested entries neither count nor get a share.
    weights = equal_share_weights([7] * 3, [0, 1, 1], [True, True, False])
    assert weights == pytest.approx([1.0, 1.0, 1.0])


def test_weighted_bh_divides_p_by_weight() -> None:
    # p / w = [0.02, 0.02]; m = 2: q = 0.02 for both.
    q = bh_qvalues([0.04, 0.01], weights=[2.0, 0.5])
    assert q == pytest.approx([0.02, 0.02])

"""Benjamini-Hochberg control of false discoveries across many segments.

When one hourly window closes, every region, channel and fraud type is tested at once:
thousands of tests. Testing each at 1% would raise dozens of alerts from noise alone.
Benjamini-Hochberg keeps the expected share of false alerts among raised alerts at the
chosen rate, and under pure noise it keeps the chance of any alert at that rate.

Tests are grouped into segment sets of very different sizes (a dozen fraud types,
hundreds of district-channel pairs). Unweighted, the big sets would consume nearly
all of the error budget; :func:`equal_share_weights` gives each set of a family an
equal share, applied through weighted Benjamini-Hochberg.

The q-value of a test is the smallest false-discovery rate at which it would be
rejected; a test is rejected at rate ``alpha`` exactly when its q-value is at most
``alpha``. Tests that were not run (NaN p-values) are not part of the family.
"""

from __future__ import annotations

import logging

import numpy as np
from numpy.typing import NDArray

__all__ = ["bh_qvalues", "bh_qvalues_grouped", "bh_reject", "equal_share_weights"]

logger = logging.getLogger(__name__)


def bh_qvalues(p_values: object, weights: object = None) -> NDArray[np.float64]:
    """Benjamini-Hochberg q-values of ``p_values``; NaN in, NaN out.

    With ``weights`` (positive, averaging 1 over the tested entries), this is the
    weighted procedure of Genovese, Roeder and Wasserman (2006): each p-value is
    divided by its weight before the step-up, so a test with weight 2 gets twice
    the share of the error budget. The false-discovery rate stays controlled.
    """
    p = np.asarray(p_values, dtype=np.float64)
    if weights is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            p = p / np.asarray(weights, dtype=np.float64)
    q = np.full(p.shape, np.nan)
    valid = np.flatnonzero(~np.isnan(p))
    m = valid.size
    if m == 0:
        return q
    order = valid[np.argsort(p[valid], kind="stable")]
    ranked = p[order] * m / np.arange(1, m + 1)
    # Step-up: a q-value is the minimum of the adjusted values at its rank and above.
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]
    q[order] = np.minimum(ranked, 1.0)
    return q


def bh_reject(
    p_values: object, alpha: float, weights: object = None
) -> NDArray[np.bool_]:
    """Which tests Benjamini-Hochberg rejects at false-discovery rate ``alpha``."""
    q = bh_qvalues(p_values, weights)
    return np.asarray(np.nan_to_num(q, nan=np.inf) <= alpha)


def bh_qvalues_grouped(
    p_values: object, groups: object, weights: object = None
) -> NDArray[np.float64]:
    """q-values computed separately within each group (one family per group)."""
    p = np.asarray(p_values, dtype=np.float64)
    g = np.asarray(groups)
    w = None if weights is None else np.asarray(weights, dtype=np.float64)
    q = np.full(p.shape, np.nan)
    if p.size == 0:
        return q
    _, inverse = np.unique(g, return_inverse=True)
    for code in np.unique(inverse):
        members = np.flatnonzero(inverse == code)
        q[members] = bh_qvalues(p[members], None if w is None else w[members])
    return q


def equal_share_weights(
    groups: object, blocks: object, tested: object
) -> NDArray[np.float64]:
    """Weights giving every block (segment set) of a group an equal error budget.

    Within each group (family), a block with ``k`` tested entries among ``m`` in
    ``b`` blocks gets weight ``m / (b * k)`` on each of its entries: the weights
    average 1, and a set of twelve fraud types is not outvoted by a set of four
    hundred district-channel pairs. Untested entries get weight 1 (they carry NaN
    p-values and are ignored anyway).
    """
    g = np.asarray(groups)
    blk = np.asarray(blocks)
    ok = np.asarray(tested, dtype=bool)
    weights = np.ones(g.shape, dtype=np.float64)
    if g.size == 0:
        return weights
    _, gi = np.unique(g, return_inverse=True)
    _, bi = np.unique(blk, return_inverse=True)
    pair = gi.astype(np.int64) * (int(bi.max()) + 1) + bi
    m = np.bincount(gi, weights=ok)
    k = np.bincount(pair, weights=ok, minlength=int(pair.max()) + 1)
    blocks_in_group = np.bincount(
        np.unique(pair[ok]) // (int(bi.max()) + 1), minlength=m.size
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        share = m[gi] / (blocks_in_group[gi] * k[pair])
    return np.where(ok, share, 1.0)

"""Rates and Wilson 95% intervals derived from summed counts.

This is the only place rates are computed, whatever engine produced the counts.
A rate whose denominator is 0 is null; so are its interval bounds.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from scamlens.indicators.definitions import INDICATOR_NAMES, RATIOS

__all__ = ["Z_95", "wilson_interval", "with_rates"]

Z_95 = 1.959963984540054


def wilson_interval(
    successes: np.ndarray, trials: np.ndarray, z: float = Z_95
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval bounds; NaN where ``trials`` is 0."""
    k = successes.astype("float64")
    n = trials.astype("float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        denom = 1.0 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    lower = np.where(n > 0, np.clip(centre - half, 0.0, 1.0), np.nan)
    upper = np.where(n > 0, np.clip(centre + half, 0.0, 1.0), np.nan)
    return lower, upper


def _as_array(values: np.ndarray, mask: np.ndarray) -> pa.Array:
    return pa.array(values, type=pa.float64(), mask=mask)


def with_rates(counts: pa.Table, *, intervals: bool = False) -> pa.Table:
    """Add the four rates (and their intervals) to a table of summed counts.

    The result has the non-indicator columns first, in their order, then the nine
    indicators in published order, then ``<rate>_lower``/``<rate>_upper`` pairs when
    ``intervals`` is true.
    """
    keys = [c for c in counts.column_names if c not in INDICATOR_NAMES]
    columns: dict[str, pa.Array | pa.ChunkedArray] = {k: counts[k] for k in keys}
    extra: dict[str, pa.Array] = {}
    values: dict[str, np.ndarray] = {}
    for name in ("initiated", "succeeded", "accurate", "victims", "publicity"):
        values[name] = pc.fill_null(counts[name], 0).to_numpy().astype("int64")
    rates: dict[str, pa.Array] = {}
    for ratio in RATIOS:
        num, den = values[ratio.numerator], values[ratio.denominator]
        empty = den == 0
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = np.where(empty, 0.0, num / np.where(empty, 1, den))
        rates[ratio.name] = _as_array(rate, empty)
        if intervals:
            lower, upper = wilson_interval(num, den)
            extra[f"{ratio.name}_lower"] = _as_array(np.nan_to_num(lower), empty)
            extra[f"{ratio.name}_upper"] = _as_array(np.nan_to_num(upper), empty)
    for name in INDICATOR_NAMES:
        columns[name] = rates[name] if name in rates else pa.array(values[name])
    columns.update(extra)
    return pa.table(columns)

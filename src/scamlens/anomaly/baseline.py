"""Baselines: what each segment's counts looked like in comparable earlier windows.

A baseline is not a stored number but a set of sufficient statistics drawn, for every
window under test, from the history of the same grain and segment set:

* ``base_windows``: how many comparable earlier windows exist at all (the same local
  time of day on previous days, or the last K windows). A segment absent from one of
  them had zero activity there, so counts are averaged over this number, not over the
  windows where the segment happened to appear.
* for each count ``c``: its sum ``s_c`` and sum of squares ``ss_c`` over those
  windows (mean and spread of a count, for the Poisson/negative-binomial tests);
* for each rate ``num/den``: ``k_den`` (windows with ``den > 0``) and
  ``q_num_den`` (the sum of ``num**2 / den``), which with the sums give the pooled
  rate and its between-window over-dispersion (for the binomial/beta-binomial tests).

The history is simply earlier closed windows of the same shape, so the state to
persist is a table of windows (see :mod:`scamlens.anomaly.state`); computing the
statistics is a sorted-key lookup and a weighted bincount in numpy. Windows in the
table under test also serve as history for later windows in the same table, so a
catch-up batch of many windows is judged as if the windows had closed one by one.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from scamlens.anomaly.config import COUNT_COLUMNS, GRAIN_SECONDS, BaselineConfig
from scamlens.anomaly.frame import TIME_TYPE, normalise_windows, segment_dims
from scamlens.anomaly.keys import Encoder, compose, lookup

__all__ = [
    "RATE_PAIRS",
    "baseline_columns",
    "comparable_starts",
    "compute_baselines",
]

logger = logging.getLogger(__name__)

RATE_PAIRS: tuple[tuple[str, str], ...] = (
    ("succeeded", "initiated"),
    ("victims", "succeeded"),
    ("accurate", "succeeded"),
    ("publicity", "succeeded"),
)
"""(numerator, denominator) of each derived rate whose over-dispersion is tracked."""

_DENOMINATORS = tuple(dict.fromkeys(den for _, den in RATE_PAIRS))
_US = 1_000_000


def baseline_columns() -> tuple[str, ...]:
    """Names of the statistics columns :func:`compute_baselines` returns."""
    names = ["base_windows", "seg_windows"]
    for c in COUNT_COLUMNS:
        names += [f"s_{c}", f"ss_{c}"]
    names += [f"k_{den}" for den in _DENOMINATORS]
    names += [f"q_{num}_{den}" for num, den in RATE_PAIRS]
    return tuple(names)


def comparable_starts(
    windows: pa.Table, baselines: Mapping[str, BaselineConfig]
) -> pa.Table:
    """Every (grain, window_start) some window of ``windows`` is compared with.

    Used to read only those windows from the history, in Arrow or in the warehouse.
    """
    grains: list[str] = []
    starts: list[np.ndarray] = []
    cur_grain = windows.column("grain")
    cur_start = windows.column("window_start").cast(pa.int64())
    for grain, config in baselines.items():
        mine = pc.filter(cur_start, pc.equal(cur_grain, grain))
        unique = np.unique(mine.to_numpy())
        if unique.size == 0:
            continue
        step = (86400 if config.mode == "same_slot" else GRAIN_SECONDS[grain]) * _US
        count = config.lookback_seconds(grain) * _US // step
        offsets = np.arange(1, count + 1, dtype=np.int64) * step
        wanted = np.unique((unique[:, None] - offsets[None, :]).ravel())
        grains += [grain] * wanted.size
        starts.append(wanted)
    values = np.concatenate(starts) if starts else np.zeros(0, dtype=np.int64)
    return pa.table(
        {
            "grain": pa.array(grains, pa.string()),
            "window_start": pa.array(values, pa.int64()).cast(TIME_TYPE),
        }
    )


def _relevant(
    history: pa.Table, windows: pa.Table, baselines: Mapping[str, BaselineConfig]
) -> pa.Table:
    """Only the history rows some window under test compares with.

    A cheap Arrow filter before the query keeps DuckDB from carrying a week of every
    segment's windows through its joins when a handful of slots are needed.
    """
    if history.num_rows == 0:
        return history
    wanted = comparable_starts(windows, baselines)
    keep = pa.array(np.zeros(history.num_rows, dtype=bool))
    hist_grain = history.column("grain")
    hist_start = history.column("window_start")
    for grain in set(wanted.column("grain").to_pylist()):
        starts = pc.filter(
            wanted.column("window_start"), pc.equal(wanted.column("grain"), grain)
        )
        match = pc.and_(pc.equal(hist_grain, grain), pc.is_in(hist_start, starts))
        keep = pc.or_(keep, match)
    return history.filter(keep)


def _pool(history: pa.Table, windows: pa.Table) -> pa.Table:
    """History and windows under test together; the windows win where both exist."""
    if history.num_rows == 0:
        return windows
    stale = pa.array(np.zeros(history.num_rows, dtype=bool))
    for grain in pc.unique(windows.column("grain")).to_pylist():
        mine = pc.filter(
            windows.column("window_start"), pc.equal(windows.column("grain"), grain)
        )
        same = pc.and_(
            pc.equal(history.column("grain"), grain),
            pc.is_in(history.column("window_start"), value_set=pc.unique(mine)),
        )
        stale = pc.or_(stale, same)
    return pa.concat_tables([history.filter(pc.invert(stale)), windows])


def _moments(pool: pa.Table) -> dict[str, np.ndarray]:
    """Per-window terms the statistics sum, by statistic name, over the pool."""
    arrays = {c: pool.column(c).to_numpy().astype(np.float64) for c in COUNT_COLUMNS}
    terms: dict[str, np.ndarray] = {"seg_windows": np.ones(pool.num_rows)}
    for c in COUNT_COLUMNS:
        terms[f"s_{c}"] = arrays[c]
        terms[f"ss_{c}"] = arrays[c] * arrays[c]
    for den in _DENOMINATORS:
        terms[f"k_{den}"] = (arrays[den] > 0).astype(np.float64)
    for num, den in RATE_PAIRS:
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = arrays[num] * arrays[num] / arrays[den]
        terms[f"q_{num}_{den}"] = np.where(arrays[den] > 0, ratio, 0.0)
    return terms


def _pairs(
    windows: pa.Table, baselines: Mapping[str, BaselineConfig]
) -> tuple[np.ndarray, np.ndarray]:
    """(row under test, comparable earlier start in µs) for every pair."""
    grains = np.asarray(windows.column("grain").to_pylist(), dtype=object)
    starts = windows.column("window_start").cast(pa.int64()).to_numpy()
    rows_parts, target_parts = [], []
    for grain, config in baselines.items():
        mine = np.flatnonzero(grains == grain)
        if mine.size == 0:
            continue
        step = (86400 if config.mode == "same_slot" else GRAIN_SECONDS[grain]) * _US
        count = config.lookback_seconds(grain) * _US // step
        offsets = np.arange(1, count + 1, dtype=np.int64) * step
        rows_parts.append(np.repeat(mine, offsets.size))
        target_parts.append((starts[mine][:, None] - offsets[None, :]).ravel())
    if not rows_parts:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(rows_parts), np.concatenate(target_parts)


def compute_baselines(
    windows: pa.Table,
    history: pa.Table | None,
    baselines: Mapping[str, BaselineConfig],
) -> pa.Table:
    """Baseline statistics for every row of ``windows``, row for row.

    ``history`` holds earlier closed windows of the same segment set (any grains;
    windows it shares with ``windows`` are taken from ``windows``). Rows of a grain
    without a configuration in ``baselines`` get empty statistics. The work is a
    lookup of (window, comparable start) pairs among the history's integer keys and
    a weighted bincount: a few milliseconds for thousands of segments.
    """
    windows = normalise_windows(windows)
    dims = list(segment_dims(windows))
    if history is None or history.num_rows == 0:
        history = windows.slice(0, 0)
    else:
        history = normalise_windows(history, what="history", dims=dims)
    history = _relevant(history, windows, baselines)
    pool = _pool(history, windows)
    rows, targets = _pairs(windows, baselines)
    result = {name: np.zeros(windows.num_rows) for name in baseline_columns()}
    if rows.size:
        _fill(result, windows, pool, dims, rows, targets)
    logger.debug(
        "baselines computed rows=%d history=%d dims=%s",
        windows.num_rows,
        history.num_rows,
        ",".join(dims),
    )
    columns = {}
    for name, values in result.items():
        if name.startswith(("q_", "ss_")):
            columns[name] = pa.array(values, pa.float64())
        else:
            columns[name] = pa.array(np.rint(values).astype(np.int64), pa.int64())
    return pa.table(columns)


def _fill(
    result: dict[str, np.ndarray],
    windows: pa.Table,
    pool: pa.Table,
    dims: Sequence[str],
    rows: np.ndarray,
    targets: np.ndarray,
) -> None:
    """Sum each pool window's terms into the rows whose comparable start it is."""
    encoder = Encoder([windows, pool], dims)
    pair_segment = encoder.segment(0)[rows]
    pair_grain = encoder.grain(0)[rows]
    pool_start = pool.column("window_start").cast(pa.int64()).to_numpy()
    pool_keys, pair_keys = compose(
        (encoder.segment(1), encoder.grain(1), pool_start),
        (pair_segment, pair_grain, targets),
    )
    size = windows.num_rows
    # base_windows: comparable starts at which any segment of the set has a window.
    pool_slots, pair_slots = compose(
        (np.zeros(pool.num_rows), encoder.grain(1), pool_start),
        (np.zeros(rows.size), pair_grain, targets),
    )
    present = np.isin(pair_slots, pool_slots)
    result["base_windows"] += np.bincount(rows[present], minlength=size)
    match = lookup(pair_keys, pool_keys)
    found = match >= 0
    hit_rows, hit_pool = rows[found], match[found]
    for name, values in _moments(pool).items():
        result[name] += np.bincount(hit_rows, weights=values[hit_pool], minlength=size)

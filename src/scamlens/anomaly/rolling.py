"""Trailing windows: the last few hours summed, to catch sustained moderate shifts.

A new scam wave that triples the victims of one fraud type shows two or three extra
victims an hour: too little for one hourly window to stand out against the noise
and the multiple-testing correction, yet unmistakable over three hours. So when an
hourly window closes, each of its segments is also judged over the trailing
``hours`` hours (grain ``"3h"`` for three), against the same span of the day on each
of the previous days.

The trailing windows are derived from the hourly ones, never stored: the current
span sums the closed hour and the ``hours - 1`` before it (from the table under test
or the history), and the baseline spans sum the same hours on each earlier day.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from scamlens.anomaly.config import COUNT_COLUMNS
from scamlens.anomaly.frame import TIME_TYPE, segment_dims
from scamlens.anomaly.keys import Encoder, compose, lookup

__all__ = ["rolling_grain", "rolling_starts", "rolling_windows"]

logger = logging.getLogger(__name__)

_HOUR_US = 3600 * 1_000_000
_DAY_US = 24 * _HOUR_US


def rolling_grain(hours: int) -> str:
    """The grain label of a trailing window of ``hours`` hours, e.g. ``"3h"``."""
    return f"{hours}h"


def _hour_starts(windows: pa.Table) -> np.ndarray:
    hourly = pc.filter(
        windows.column("window_start"), pc.equal(windows.column("grain"), "1h")
    )
    return np.unique(hourly.cast(pa.int64()).to_numpy())


def rolling_starts(windows: pa.Table, hours: int, days: int) -> pa.Table:
    """Hourly windows (grain, start) the trailing spans of ``windows`` are made of."""
    starts = _hour_starts(windows)
    offsets = (
        np.arange(days + 1, dtype=np.int64)[:, None] * _DAY_US
        + np.arange(hours, dtype=np.int64)[None, :] * _HOUR_US
    ).ravel()
    wanted = np.unique((starts[:, None] - offsets[None, :]).ravel())
    return pa.table(
        {
            "grain": pa.array(["1h"] * wanted.size, pa.string()),
            "window_start": pa.array(wanted, pa.int64()).cast(TIME_TYPE),
        }
    )


def _hourly_pool(
    windows: pa.Table, history: pa.Table | None, hours: int, days: int
) -> pa.Table:
    """The hourly windows the spans are made of; the table under test wins."""
    current = windows.filter(pc.equal(windows.column("grain"), "1h"))
    if history is None or history.num_rows == 0:
        return current
    needed = rolling_starts(current, hours, days).column("window_start")
    earlier = history.filter(
        pc.and_(
            pc.equal(history.column("grain"), "1h"),
            pc.is_in(history.column("window_start"), value_set=needed),
        )
    )
    stale = pc.is_in(
        earlier.column("window_start"),
        value_set=pc.unique(current.column("window_start")),
    )
    earlier = earlier.filter(pc.invert(stale)).select(current.schema.names)
    return pa.concat_tables([earlier, current])


def rolling_windows(
    windows: pa.Table,
    history: pa.Table | None,
    hours: int,
    days: int,
) -> tuple[pa.Table, pa.Table]:
    """Trailing windows of the hourly ``windows`` and their same-span history.

    Returns (current, history), both in the window contract with grain
    ``rolling_grain(hours)``: one current row per segment and closed hour of
    ``windows``, and the same span on each of the previous ``days`` days where the
    segment had any activity. ``windows`` and ``history`` must be normalised.
    """
    dims = list(segment_dims(windows))
    current = windows.filter(pc.equal(windows.column("grain"), "1h"))
    pool = _hourly_pool(windows, history, hours, days)
    encoder = Encoder([current, pool], dims)
    # Anchors: the last hour of each span, now (day 0) and on each previous day.
    back = np.arange(days + 1, dtype=np.int64) * _DAY_US
    starts = current.column("window_start").cast(pa.int64()).to_numpy()
    source = np.repeat(np.arange(current.num_rows), back.size)
    segment = encoder.segment(0)[source]
    anchor = (starts[:, None] - back[None, :]).ravel()
    day = np.tile(np.arange(days + 1), current.num_rows)
    (anchor_keys,) = compose((segment, np.zeros(anchor.size), anchor))
    unique, first, inverse = np.unique(
        anchor_keys, return_index=True, return_inverse=True
    )
    lowest = np.full(unique.size, days + 1)
    np.minimum.at(lowest, inverse, day)
    source, segment, anchor = source[first], segment[first], anchor[first]
    # Each span is its anchor hour and the hours - 1 before it.
    span = np.repeat(np.arange(unique.size), hours)
    hour_start = (
        anchor[span] - np.tile(np.arange(hours, dtype=np.int64), unique.size) * _HOUR_US
    )
    pool_start = pool.column("window_start").cast(pa.int64()).to_numpy()
    pool_keys, hour_keys = compose(
        (encoder.segment(1), np.zeros(pool.num_rows), pool_start),
        (segment[span], np.zeros(span.size), hour_start),
    )
    match = lookup(hour_keys, pool_keys)
    found = match >= 0
    counts = {
        c: np.bincount(
            span[found],
            weights=pool.column(c).to_numpy().astype(np.float64)[match[found]],
            minlength=unique.size,
        )
        for c in COUNT_COLUMNS
    }
    active = np.bincount(span[found], minlength=unique.size) > 0
    return _split(current, dims, hours, source, anchor, lowest, counts, active)


def _split(
    current: pa.Table,
    dims: Sequence[str],
    hours: int,
    source: np.ndarray,
    anchor: np.ndarray,
    lowest: np.ndarray,
    counts: dict[str, np.ndarray],
    active: np.ndarray,
) -> tuple[pa.Table, pa.Table]:
    """The span rows as window tables: (today's spans, earlier days' spans)."""
    keep = np.flatnonzero(active)
    rows = pa.array(source[keep], pa.int64())
    columns: dict[str, pa.Array | pa.ChunkedArray] = {
        "grain": pa.array([rolling_grain(hours)] * keep.size, pa.string()),
        "window_start": pa.array(anchor[keep] - (hours - 1) * _HOUR_US).cast(TIME_TYPE),
        "window_end": pa.array(anchor[keep] + _HOUR_US).cast(TIME_TYPE),
    }
    for d in dims:
        columns[d] = current.column(d).take(rows)
    for c in COUNT_COLUMNS:
        columns[c] = pa.array(np.rint(counts[c][keep]).astype(np.int64))
    table = pa.table(columns)
    is_now = pa.array(lowest[keep] == 0)
    return table.filter(is_now), table.filter(pc.invert(is_now))

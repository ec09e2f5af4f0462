"""Fixtures of the anomaly tests: seeded generators and small window tables."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

import numpy as np
import pyarrow as pa
import pytest

from .anomaly_synth import TIME

WindowFactory = Callable[..., pa.Table]


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20240501)


@pytest.fixture
def make_windows() -> WindowFactory:
    """Build a window table from rows of (start, dims..., counts...)."""

    def build(
        rows: Sequence[dict[str, object]],
        *,
        grain: str = "1h",
        dims: Sequence[str] = ("region_code",),
    ) -> pa.Table:
        seconds = {"1m": 60, "1h": 3600, "1d": 86400}[grain]
        starts = [r["start"] for r in rows]
        assert all(isinstance(s, datetime) for s in starts)
        data: dict[str, pa.Array] = {
            "grain": pa.array([grain] * len(rows), pa.string()),
            "window_start": pa.array(starts, TIME),
            "window_end": pa.array(
                [s + timedelta(seconds=seconds) for s in starts],
                TIME,
            ),
        }
        for d in dims:
            data[d] = pa.array([r[d] for r in rows], pa.string())
        for c in ("initiated", "succeeded", "accurate", "victims", "publicity"):
            values = [int(r.get(c, 0)) for r in rows]
            data[c] = pa.array(values, pa.int64())
        return pa.table(data)

    return build

"""Window arithmetic, in Python and in SQL, and window specs."""

from __future__ import annotations

from datetime import datetime

import pytest

from scamlens.errors import UsageError
from scamlens.streaming.windows import (
    WindowSpec,
    parse_window_spec,
    window_bounds,
    window_start_sql,
)
from scamlens.warehouse import connect


def _t(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.mark.parametrize(
    ("grain", "ts", "start", "end"),
    [
        # A minute window starts at the whole minute.
        (
            "1m",
            "2025-03-03T10:05:59+08:00",
            "2025-03-03T10:05:00+08:00",
            "2025-03-03T10:06:00+08:00",
        ),
        # Exactly on a boundary: the window starting there.
        (
            "1h",
            "2025-03-03T11:00:00+08:00",
            "2025-03-03T11:00:00+08:00",
            "2025-03-03T12:00:00+08:00",
        ),
        # A UTC time late in the UTC day is already the next local day.
        (
            "1d",
            "2025-03-03T17:30:00+00:00",
            "2025-03-04T00:00:00+08:00",
            "2025-03-05T00:00:00+08:00",
        ),
        # Just before local midnight stays in its day.
        (
            "1d",
            "2025-03-03T23:59:59.999+08:00",
            "2025-03-03T00:00:00+08:00",
            "2025-03-04T00:00:00+08:00",
        ),
        # Shanghai kept summer time in 1986-1991; hour windows follow local time.
        (
            "1h",
            "1990-07-01T12:30:00+09:00",
            "1990-07-01T12:00:00+09:00",
            "1990-07-01T13:00:00+09:00",
        ),
    ],
)
def test_window_bounds(grain: str, ts: str, start: str, end: str) -> None:
    assert window_bounds(grain, _t(ts)) == (_t(start), _t(end))


@pytest.mark.parametrize("grain", ["1m", "1h", "1d"])
def test_window_start_sql_agrees_with_window_bounds(grain: str) -> None:
    con = connect(None)
    stamps = [
        "2025-03-03T17:30:00+00:00",
        "2025-03-03T23:59:59+08:00",
        "2025-12-31T16:00:00+00:00",
        "2025-03-03T10:05:59.5+08:00",
    ]
    for stamp in stamps:
        got = con.execute(
            f"SELECT {window_start_sql(grain, 'CAST(? AS TIMESTAMPTZ)')}", [stamp]
        ).fetchall()[0][0]
        assert got == window_bounds(grain, _t(stamp))[0]
    con.close()


def test_window_spec_orders_dimensions_and_names_its_table() -> None:
    spec = parse_window_spec("1h: channel, region_code")
    assert spec == WindowSpec("1h", ("region_code", "channel"))
    assert spec.table == "stream_w1h__region_code_channel"
    assert parse_window_spec("1d:").table == "stream_w1d__all"


@pytest.mark.parametrize(
    "text", ["region_code", "2h:region_code", "1h:hour", "1d:channel,channel"]
)
def test_bad_window_specs_are_refused(text: str) -> None:
    with pytest.raises(UsageError):
        parse_window_spec(text)


def test_package_exports_what_its_modules_declare() -> None:
    import scamlens.streaming as streaming
    import scamlens.streaming.sources as sources

    for package in (streaming, sources):
        for name in package.__all__:
            assert getattr(package, name) is not None, name
    assert streaming.StreamEngine.__module__ == "scamlens.streaming.engine"

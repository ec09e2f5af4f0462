"""Comparing the live indicators of a finished stream with the batch over the same
records: the same CSV, group by group."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

Groups = dict[tuple[str, ...], tuple[str, ...]]


def metrics_csv(path: Path) -> Groups:
    """A metrics CSV as {group: counts and rates}."""
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    split = header.index("initiated")
    return {tuple(r[:split]): tuple(r[split:]) for r in body}


def assert_live_equals_batch(
    cli: Callable[..., Any],
    tmp_path: Path,
    source: Sequence[str],
    breakdowns: Iterable[str],
    as_of: str,
) -> None:
    """``metrics --live`` equals ``metrics SOURCE`` for every breakdown, each with
    more than a handful of groups."""
    for dims in breakdowns:
        live, batch = tmp_path / "live.csv", tmp_path / "batch.csv"
        shown = cli("metrics", "--live", "--by", dims, "--out", str(live))
        assert shown.exit_code == 0, shown.stderr
        result = cli(
            "metrics", *source, "--by", dims, "--as-of", as_of, "--out", str(batch)
        )
        assert result.exit_code == 0, result.stderr
        expected = metrics_csv(batch)
        assert metrics_csv(live) == expected, dims
        assert len(expected) > 3

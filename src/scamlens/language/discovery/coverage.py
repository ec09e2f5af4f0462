"""Library coverage: the share of texts some entry explains, per period and over time.

A text is covered when a library entry (a fraud script or a benign template) scores
above the threshold for it. Coverage of reported scam texts falling over the weeks is
the sign that new scripts are circulating; ``lang_coverage`` keeps every measurement
with the library version it was made with, so the trend survives library changes.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime

import duckdb
import pyarrow as pa

from scamlens.language.library.model import Library
from scamlens.language.matching.matcher import Matcher
from scamlens.language.text import prepare

__all__ = ["coverage", "coverage_history", "record_coverage"]

logger = logging.getLogger(__name__)

_DDL = """
CREATE TABLE IF NOT EXISTS lang_coverage (
    measured_at TIMESTAMPTZ NOT NULL,
    library_version INTEGER,
    source VARCHAR,
    period VARCHAR,
    texts INTEGER,
    matched INTEGER,
    share DOUBLE
)
"""


def _period(value: object, grain: str) -> str:
    if value is None or value == "":
        return "unknown"
    if isinstance(value, datetime | date):
        day = (
            value
            if isinstance(value, date) and not isinstance(value, datetime)
            else (value.date())
        )
    else:
        try:
            day = datetime.fromisoformat(
                str(value).strip().replace("Z", "+00:00")
            ).date()
        except ValueError:
            return "unknown"
    if grain == "month":
        return f"{day:%Y-%m}"
    if grain == "week":
        iso = day.isocalendar()
        return f"{iso.year}-W{iso.week:02d}"
    return day.isoformat()


def coverage(
    texts: Sequence[object],
    library: Library,
    *,
    times: Sequence[object] | None = None,
    grain: str = "day",
) -> pa.Table:
    """Texts, matched texts and share per period (one row 'all' without times)."""
    matcher = Matcher(library)
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for i, text in enumerate(texts):
        cleaned = prepare(text).text
        if not cleaned:
            continue
        period = _period(times[i], grain) if times is not None else "all"
        counts[period][0] += 1
        counts[period][1] += int(matcher.match(cleaned).matched)
    periods = sorted(counts)
    return pa.table(
        {
            "period": pa.array(periods, pa.string()),
            "texts": pa.array([counts[p][0] for p in periods], pa.int64()),
            "matched": pa.array([counts[p][1] for p in periods], pa.int64()),
            "share": pa.array(
                [
                    round(counts[p][1] / counts[p][0], 4) if counts[p][0] else 0.0
                    for p in periods
                ],
                pa.float64(),
            ),
        }
    )


def record_coverage(
    con: duckdb.DuckDBPyConnection,
    table: pa.Table,
    *,
    library_version: int,
    source: str,
) -> None:
    """Append a measurement to ``lang_coverage``."""
    con.execute(_DDL)
    now = datetime.now(UTC)
    rows = [
        (
            now,
            library_version,
            source,
            r["period"],
            r["texts"],
            r["matched"],
            r["share"],
        )
        for r in table.to_pylist()
    ]
    if rows:
        con.executemany("INSERT INTO lang_coverage VALUES (?, ?, ?, ?, ?, ?, ?)", rows)


def coverage_history(con: duckdb.DuckDBPyConnection) -> pa.Table:
    """Every recorded measurement, oldest first."""
    con.execute(_DDL)
    return con.sql(
        "SELECT measured_at, library_version, source, period, texts, matched, share "
        "FROM lang_coverage ORDER BY measured_at, period"
    ).to_arrow_table()

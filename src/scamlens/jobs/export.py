"""``scamlens export``: the daily indicator dataset of one day, for publication.

One row per region × module × channel with the nine indicators (and, in Parquet and
Excel, the Wilson intervals), written as CSV, Parquet and Excel together with the
data dictionary. The numbers come from the warehouse's clean ``attempts``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from scamlens.contract.dictionary import dictionary_markdown, dictionary_table
from scamlens.errors import UserError
from scamlens.indicators.duckdb_sql import counts_sql
from scamlens.reports.writers import write_indicators

__all__ = ["EXPORT_GRAIN", "ExportResult", "export_day"]

logger = logging.getLogger(__name__)

EXPORT_GRAIN = ("day", "region_code", "module", "channel")


@dataclass(frozen=True)
class ExportResult:
    """The files written and the number of rows in each."""

    files: list[Path]
    rows: int


def export_day(
    con: duckdb.DuckDBPyConnection, day: date, out_dir: Path
) -> ExportResult:
    """Write the dataset of ``day`` under ``out_dir``."""
    tables = {r[0] for r in con.execute("SHOW TABLES").fetchall()}
    if "attempts" not in tables:
        raise UserError(
            "the warehouse has no clean attempts yet; run `scamlens run` first"
        )
    counts = con.sql(
        f"SELECT {', '.join(EXPORT_GRAIN)}, {', '.join(counts_sql())} FROM attempts "
        f"WHERE day = DATE '{day.isoformat()}' GROUP BY ALL "
        f"ORDER BY {', '.join(EXPORT_GRAIN)}"
    ).to_arrow_table()
    if counts.num_rows == 0:
        first, last = con.execute("SELECT min(day), max(day) FROM attempts").fetchall()[
            0
        ]
        raise UserError(
            f"no clean attempts on `{day}`; the warehouse has days {first} to {last}; "
            "pick one of those or run `scamlens run` to ingest more"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"indicators_{day.isoformat()}"
    files = []
    for suffix in (".csv", ".parquet", ".xlsx"):
        path = out_dir / f"{stem}{suffix}"
        sheets = {"data dictionary": dictionary_table()} if suffix == ".xlsx" else None
        write_indicators(counts, path, list(EXPORT_GRAIN), sheets=sheets)
        files.append(path)
    dictionary = out_dir / "data-dictionary.md"
    dictionary.write_text(dictionary_markdown(), encoding="utf-8")
    files.append(dictionary)
    logger.info("exported day=%s rows=%d dir=%s", day, counts.num_rows, out_dir)
    return ExportResult(files, counts.num_rows)

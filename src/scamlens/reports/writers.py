"""Writing indicator tables: CSV (the published contract), Parquet, Excel, JSON.

The CSV contract: the breakdown columns in the order asked, then the nine indicators
in published order; counts as integers, rates with six decimals, an empty field for
a rate whose denominator is 0. Parquet and Excel carry the same columns plus the Wilson
95% interval of each rate (``<rate>_lower``, ``<rate>_upper``).
"""

from __future__ import annotations

import csv
import json
import logging
import os
import tempfile
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from scamlens.errors import UsageError, UserError
from scamlens.indicators import INDICATOR_NAMES, RATIOS, with_rates

__all__ = ["FORMATS", "write_indicators", "write_table"]

logger = logging.getLogger(__name__)

FORMATS = (".csv", ".parquet", ".xlsx", ".json")
EXCEL_MAX_ROWS = 1_048_575  # a worksheet has 1,048,576 rows, one of them the header
_RATE_NAMES = {r.name for r in RATIOS}


def _cell(name: str, value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if name in _RATE_NAMES or name.endswith(("_lower", "_upper")):
            return f"{value:.6f}"
        return repr(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _atomic(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    return Path(tmp)


def _write_csv(table: pa.Table, path: Path) -> None:
    tmp = _atomic(path)
    names = table.column_names
    with tmp.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(names)
        for batch in table.to_batches(max_chunksize=65_536):
            columns = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
            for row in zip(*columns, strict=True):
                writer.writerow(_cell(n, v) for n, v in zip(names, row, strict=True))
    tmp.replace(path)


def _write_xlsx(
    table: pa.Table, path: Path, sheets: dict[str, pa.Table] | None
) -> None:
    from openpyxl import Workbook

    everything = {"indicators": table, **(sheets or {})}
    for title, data in everything.items():
        if data.num_rows > EXCEL_MAX_ROWS:
            raise UsageError(
                f"cannot write `{path}`: sheet `{title}` has {data.num_rows:,} rows "
                f"and Excel holds at most {EXCEL_MAX_ROWS:,} under its header; "
                "write .csv or .parquet instead, or a coarser breakdown"
            )
    book = Workbook(write_only=True)
    for title, data in everything.items():
        sheet = book.create_sheet(title[:31])
        sheet.append(data.column_names)
        for row in data.to_pylist():
            sheet.append([_excel(v) for v in row.values()])
    tmp = _atomic(path)
    book.save(tmp)
    tmp.replace(path)


def _excel(value: object) -> object:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return value


def write_table(
    table: pa.Table, path: Path, *, sheets: dict[str, pa.Table] | None = None
) -> Path:
    """Write ``table`` to ``path`` in the format its extension names."""
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            _write_csv(table, path)
        elif suffix == ".parquet":
            tmp = _atomic(path)
            pq.write_table(table, tmp)
            tmp.replace(path)
        elif suffix == ".xlsx":
            _write_xlsx(table, path, sheets)
        elif suffix == ".json":
            tmp = _atomic(path)
            tmp.write_text(
                json.dumps(
                    table.to_pylist(), ensure_ascii=False, default=str, indent=1
                ),
                encoding="utf-8",
            )
            tmp.replace(path)
        else:
            raise UsageError(
                f"cannot write `{path}`: unknown extension `{suffix}`; use one of "
                f"{', '.join(FORMATS)}"
            )
    except OSError as exc:
        raise UserError(
            f"cannot write `{path}`: {exc.strerror}; check the folder"
        ) from None
    logger.info("wrote %s rows to %s", table.num_rows, path)
    return path


def write_indicators(
    counts: pa.Table,
    path: Path,
    dims: Sequence[str],
    *,
    sheets: dict[str, pa.Table] | None = None,
) -> pa.Table:
    """Derive rates from ``counts`` and write them; return the written table."""
    intervals = Path(path).suffix.lower() != ".csv"
    table = with_rates(counts.select([*dims, *_counts(counts)]), intervals=intervals)
    ordered = [*dims, *INDICATOR_NAMES]
    if intervals:
        ordered += [c for c in table.column_names if c.endswith(("_lower", "_upper"))]
    table = table.select(ordered)
    write_table(table, Path(path), sheets=sheets)
    return table


def _counts(counts: pa.Table) -> list[str]:
    return [
        c
        for c in ("initiated", "succeeded", "accurate", "victims", "publicity")
        if c in counts.column_names
    ]

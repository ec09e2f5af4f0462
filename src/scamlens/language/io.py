"""Reading and writing the tables the language commands work on (CSV, Parquet, JSONL).

Files from the field are messy: GBK exports, UTF-8 with a byte-order mark, and files
where some lines were appended by another tool in another encoding. A CSV that is not
valid UTF-8 as a whole is decoded line by line (UTF-8, then GB18030), so one odd line
cannot make the whole file unreadable. Every CSV column is read as text, exactly as
written, so the output rows equal the input rows plus the added columns.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from scamlens.errors import SchemaMismatch, SourceError, SourceNotFound, UsageError

__all__ = ["read_table", "require_column", "write_table"]

logger = logging.getLogger(__name__)

_CSV = {".csv", ".tsv", ".txt"}
_JSONL = {".jsonl", ".ndjson", ".json"}


def _decode(raw: bytes) -> tuple[str, str]:
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    lines, used = [], set()
    for line in raw.split(b"\n"):
        for encoding in ("utf-8", "gb18030"):
            try:
                lines.append(line.decode(encoding))
                used.add(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            lines.append(line.decode("utf-8", errors="replace"))
            used.add("replaced")
    return "\n".join(lines), "+".join(sorted(used))


def _read_csv(path: Path) -> pa.Table:
    text, encoding = _decode(path.read_bytes())
    if encoding != "utf-8":
        logger.warning("file %s is not UTF-8; decoded per line as %s", path, encoding)
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    if not rows:
        raise SourceError(f"file `{path}` is empty; expected a header row")
    header = [h.strip() for h in rows[0]]
    width = len(header)
    columns: list[list[str | None]] = [[] for _ in header]
    for row in rows[1:]:
        if not any(cell.strip() for cell in row):
            continue
        row = (row + [""] * width)[:width]
        for i, cell in enumerate(row):
            columns[i].append(cell)
    return pa.table(
        {
            name: pa.array(col, pa.string())
            for name, col in zip(header, columns, strict=True)
        }
    )


def read_table(path: Path) -> pa.Table:
    """Read ``path`` as a table; the suffix says the format."""
    if not path.is_file():
        raise SourceNotFound(f"input file `{path}` does not exist; check the path")
    suffix = path.suffix.lower()
    try:
        if suffix in _CSV:
            return _read_csv(path)
        if suffix == ".parquet":
            return pq.read_table(path)
        if suffix in _JSONL:
            text, _ = _decode(path.read_bytes())
            stripped = text.lstrip()
            if stripped.startswith("["):
                records = json.loads(stripped)
            else:
                records = [
                    json.loads(line) for line in text.splitlines() if line.strip()
                ]
            return pa.Table.from_pylist(records)
    except (pa.ArrowInvalid, json.JSONDecodeError, csv.Error) as exc:
        raise SourceError(
            f"input file `{path}` cannot be read as {suffix[1:]} ({str(exc)[:120]}); "
            "check its format"
        ) from None
    raise UsageError(
        f"input file `{path}` has suffix `{suffix}`; use .csv, .tsv, .parquet or .jsonl"
    )


def write_table(table: pa.Table, path: Path) -> None:
    """Write ``table`` to ``path`` in the format its suffix names."""
    suffix = path.suffix.lower()
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix in _CSV:
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, delimiter="\t" if suffix == ".tsv" else ",")
            writer.writerow(table.column_names)
            for row in zip(
                *(table.column(n).to_pylist() for n in table.column_names), strict=True
            ):
                writer.writerow(["" if v is None else _cell(v) for v in row])
            if table.num_columns and table.num_rows == 0:
                pass
    elif suffix == ".parquet":
        pq.write_table(table, path)
    elif suffix in _JSONL:
        with path.open("w", encoding="utf-8") as fh:
            for record in table.to_pylist():
                fh.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
    else:
        raise UsageError(
            f"output file `{path}` has suffix `{suffix}`; use .csv, .tsv, .parquet or "
            ".jsonl"
        )


def _cell(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def require_column(table: pa.Table, name: str, what: str) -> None:
    """Raise :class:`SchemaMismatch` naming the columns there are."""
    if name not in table.column_names:
        raise SchemaMismatch(
            f"{what} column `{name}` is not in the input; it has "
            f"{', '.join(table.column_names) or 'no columns'}; "
            "pass the right column name"
        )

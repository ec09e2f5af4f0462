"""File sources: CSV, JSON Lines and Parquet.

CSV is read by pyarrow's streaming reader, block by block, every column as text. The
delimiter (``, ; TAB |``) and the encoding (UTF-8, GB18030, ...) are guessed from the
start of the file unless given. A row with the wrong number of fields is not dropped:
it becomes a ``malformed_record`` with its raw text (phone numbers redacted).

JSON Lines are parsed line by line; a line that is not a JSON object is likewise a
``malformed_record``. Parquet keeps its types: the ``metrics`` command scans it in
place with DuckDB, and the warehouse ingests it batch by batch as text.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from scamlens.contract import COLUMN_NAMES
from scamlens.errors import SourceError, SourceNotFound
from scamlens.privacy.redact import Redactor
from scamlens.sources.base import Position, Source, check_columns
from scamlens.sources.encoding import (
    detect_delimiter,
    detect_encoding,
    normalise_encoding,
    open_bytes,
)
from scamlens.sources.landing import citizen_key_sql, to_text_batch

__all__ = ["CsvSource", "JsonLinesSource", "ParquetSource", "file_source"]

logger = logging.getLogger(__name__)

_CONTRACT = set(COLUMN_NAMES)


def _fingerprint(path: Path) -> dict[str, Any]:
    stat = path.stat()
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        digest.update(handle.read(1 << 20))
        if stat.st_size > 2 << 20:
            handle.seek(-(1 << 20), os.SEEK_END)
            digest.update(handle.read(1 << 20))
    return {"size": stat.st_size, "sha256_ends": digest.hexdigest()}


class FileSource(Source):
    """Common parts of file sources: existence checks and ingest fingerprints."""

    def __init__(
        self, path: Path, *, chunk_rows: int, redactor: Redactor | None
    ) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise SourceNotFound(
                f"file `{self.path}` does not exist; check the path or run "
                "`scamlens simulate` to make sample data"
            )
        if self.path.is_dir():
            raise SourceError(f"`{self.path}` is a folder; name a file inside it")
        if self.path.stat().st_size == 0:
            raise SourceError(
                f"file `{self.path}` is empty: no header and no records; "
                "export it again"
            )
        self.chunk_rows = chunk_rows
        self.redactor = redactor
        self._fingerprint: dict[str, Any] | None = None

    @property
    def key(self) -> str:
        return f"file:{self.path.resolve()}"

    def describe(self) -> str:
        return str(self.path)

    def already_read(self, position: Position | None) -> bool:
        """True when this exact file content was ingested before."""
        self._fingerprint = _fingerprint(self.path)
        return bool(position and position.data.get("fingerprint") == self._fingerprint)

    def next_position(self) -> Position | None:
        return Position({"fingerprint": self._fingerprint or _fingerprint(self.path)})

    def _redact(self, text: str) -> str:
        return self.redactor.redact(text) if self.redactor else "<redacted>"


class CsvSource(FileSource):
    """A delimited text file with a header row."""

    kind = "csv"

    def __init__(
        self,
        path: Path,
        *,
        chunk_rows: int = 100_000,
        encoding: str | None = None,
        delimiter: str | None = None,
        redactor: Redactor | None = None,
    ) -> None:
        super().__init__(path, chunk_rows=chunk_rows, redactor=redactor)
        self.encoding = normalise_encoding(encoding) if encoding else None
        self.delimiter = delimiter
        self.header = self._read_header()
        check_columns(f"file `{self.path}`", self.header)

    def _read_header(self) -> list[str]:
        if self.encoding is None:
            self.encoding = detect_encoding(self.path)
        try:
            with io.TextIOWrapper(
                open_bytes(self.path), encoding=self.encoding, newline=""
            ) as handle:
                line = handle.readline()
        except UnicodeDecodeError:
            raise SourceError(
                f"the header of `{self.path}` does not decode as {self.encoding}; "
                "pass --encoding with the file's real encoding"
            ) from None
        line = line.lstrip("\ufeff").rstrip("\r\n")
        if not line.strip():
            raise SourceError(
                f"file `{self.path}` has an empty first line; "
                "the first line must be the header"
            )
        if self.delimiter is None:
            self.delimiter = detect_delimiter(line)
            if self.delimiter != ",":
                logger.info("file %s uses delimiter %r", self.path, self.delimiter)
        return [name.strip().strip('"') for name in line.split(self.delimiter)]

    def batches(self, position: Position | None) -> Iterator[pa.Table]:
        rejected: list[str] = []

        def on_invalid(row: Any) -> str:
            rejected.append(self._redact(row.text or ""))
            return "skip"

        types = {name: pa.string() for name in self.header}
        try:
            reader = pacsv.open_csv(
                self.path,
                read_options=pacsv.ReadOptions(
                    encoding=self.encoding or "utf-8",
                    block_size=max(1 << 20, self.chunk_rows * 200),
                ),
                parse_options=pacsv.ParseOptions(
                    delimiter=self.delimiter or ",",
                    invalid_row_handler=on_invalid,
                    newlines_in_values=True,
                ),
                convert_options=pacsv.ConvertOptions(
                    column_types=types,
                    strings_can_be_null=True,
                    quoted_strings_can_be_null=False,
                    null_values=[""],
                ),
            )
            for batch in reader:
                yield self._shape(pa.Table.from_batches([batch]))
                if rejected:
                    yield self._malformed(rejected)
                    rejected.clear()
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
            first = str(exc).splitlines()[0]
            raise SourceError(
                f"cannot read `{self.path}` as {self.encoding} CSV: {first}; check "
                "--encoding and --delimiter"
            ) from None
        except OSError as exc:  # a truncated or damaged .gz, an I/O error
            first = str(exc).splitlines()[0]
            raise SourceError(
                f"cannot read `{self.path}`: {first}; check that the file is "
                "complete and readable"
            ) from None
        if rejected:
            yield self._malformed(rejected)

    def _shape(self, table: pa.Table) -> pa.Table:
        extras = [c for c in table.column_names if c not in _CONTRACT]
        kept = table.select([c for c in table.column_names if c in _CONTRACT])
        if extras:
            rows = table.select(extras).to_pylist()
            values = [_extras_json(r) for r in rows]
            kept = kept.append_column("extras", pa.array(values, pa.string()))
        return kept

    def _malformed(self, texts: list[str]) -> pa.Table:
        logger.warning("file %s: %d malformed rows quarantined", self.path, len(texts))
        return to_text_batch([{} for _ in texts], texts)


class JsonLinesSource(FileSource):
    """One JSON object per line."""

    kind = "jsonl"

    def __init__(
        self,
        path: Path,
        *,
        chunk_rows: int = 100_000,
        encoding: str | None = None,
        redactor: Redactor | None = None,
    ) -> None:
        super().__init__(path, chunk_rows=chunk_rows, redactor=redactor)
        self.encoding = (
            normalise_encoding(encoding) if encoding else detect_encoding(path)
        )
        self._check_first_record()

    def _check_first_record(self) -> None:
        with self.path.open(encoding=self.encoding, errors="replace") as handle:
            for line in handle:
                if not line.strip():
                    continue
                try:
                    first = json.loads(line)
                except json.JSONDecodeError:
                    if not line.lstrip().startswith("["):
                        raise SourceError(
                            f"the first line of `{self.path}` is not JSON; a JSON "
                            "Lines file has one JSON object per line"
                        ) from None
                    first = [{}]  # a pretty-printed array opens here
                if isinstance(first, list) and any(isinstance(e, dict) for e in first):
                    # One JSON array of records (an API dump): read line by line,
                    # it would be a single malformed record.
                    raise SourceError(
                        f"`{self.path}` holds a JSON array, not JSON Lines (one "
                        "object per line); convert it first, e.g. "
                        f"`jq -c '.[]' {self.path} > records.jsonl`"
                    )
                if isinstance(first, dict):
                    check_columns(f"file `{self.path}`", list(first))
                return

    def batches(self, position: Position | None) -> Iterator[pa.Table]:
        rows: list[dict[str, object]] = []
        malformed: list[str | None] = []
        with self.path.open(encoding=self.encoding, errors="strict") as handle:
            try:
                for line in handle:
                    if not line.strip():
                        continue
                    try:
                        value = json.loads(line)
                    except json.JSONDecodeError:
                        value = None
                    if isinstance(value, dict):
                        rows.append(value)
                        malformed.append(None)
                    else:
                        rows.append({})
                        malformed.append(self._redact(line.rstrip("\n")))
                    if len(rows) >= self.chunk_rows:
                        yield to_text_batch(rows, malformed)
                        rows, malformed = [], []
            except UnicodeDecodeError:
                raise SourceError(
                    f"`{self.path}` does not decode as {self.encoding}; pass --encoding"
                ) from None
        if rows:
            yield to_text_batch(rows, malformed)


class ParquetSource(FileSource):
    """A Parquet file; typed columns are kept."""

    kind = "parquet"

    def __init__(
        self, path: Path, *, chunk_rows: int = 100_000, redactor: Redactor | None = None
    ) -> None:
        super().__init__(path, chunk_rows=chunk_rows, redactor=redactor)
        try:
            self.file = pq.ParquetFile(self.path)
        except (pa.ArrowInvalid, OSError) as exc:
            first = str(exc).splitlines()[0]
            raise SourceError(
                f"`{self.path}` is not a readable Parquet file ({first}); it may be "
                "truncated or corrupt: export it again"
            ) from None
        self.columns = list(self.file.schema_arrow.names)
        check_columns(f"file `{self.path}`", self.columns)

    def size_hint(self) -> int | None:
        return int(self.file.metadata.num_rows)

    def batches(self, position: Position | None) -> Iterator[pa.Table]:
        try:
            for batch in self.file.iter_batches(batch_size=self.chunk_rows):
                table = pa.Table.from_batches([batch])
                yield _as_text(table)
        except (pa.ArrowInvalid, OSError) as exc:
            first = str(exc).splitlines()[0]
            raise SourceError(
                f"`{self.path}` could not be read to the end ({first}); it may be "
                "truncated: export it again"
            ) from None

    def scan(self, con: Any, key: bytes) -> str:
        path = str(self.path).replace("'", "''")
        cols = self.columns
        phone = '"phone"' if "phone" in cols else "NULL"
        cid = '"citizen_id"' if "citizen_id" in cols else "NULL"
        keep = [f'"{c}"' for c in cols if c in _CONTRACT and c not in ("phone",)]
        return (
            f"(SELECT {', '.join(keep)}, {citizen_key_sql(key, phone, cid)} "
            "AS citizen_key, file_row_number AS _seq "
            f"FROM read_parquet('{path}', file_row_number = true))"
        )


def _extras_json(row: dict[str, Any]) -> str | None:
    kept = {k: v for k, v in row.items() if v is not None}
    return json.dumps(kept, ensure_ascii=False, default=str) if kept else None


def _as_text(table: pa.Table) -> pa.Table:
    """Every column as text; timestamps as ISO-8601 with offset, bools true/false."""
    import pyarrow.compute as pc

    columns = {}
    for name in table.column_names:
        column = table[name]
        if pa.types.is_timestamp(column.type):
            if column.type.tz is None:
                text = pc.strftime(column, format="%Y-%m-%dT%H:%M:%S")
            else:
                # %S carries the fraction of a second in Arrow's strftime.
                text = pc.strftime(
                    column.cast(pa.timestamp("us", tz="UTC")),
                    format="%Y-%m-%dT%H:%M:%S+00:00",
                )
        elif pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            text = column
        else:
            text = pc.cast(column, pa.string())
        columns[name] = text
    extras = [c for c in table.column_names if c not in _CONTRACT]
    out = pa.table({k: v for k, v in columns.items() if k in _CONTRACT})
    if extras:
        rows = pa.table({k: columns[k] for k in extras}).to_pylist()
        out = out.append_column(
            "extras", pa.array([_extras_json(r) for r in rows], pa.string())
        )
    return out


def file_source(
    path: Path,
    *,
    chunk_rows: int = 100_000,
    encoding: str | None = None,
    delimiter: str | None = None,
    redactor: Redactor | None = None,
) -> FileSource:
    """The source for ``path``, chosen by its extension."""
    suffix = "".join(Path(path).suffixes[-2:]).lower()
    name = Path(path).name.lower()
    if name.endswith((".csv", ".tsv", ".txt", ".csv.gz")):
        return CsvSource(
            path,
            chunk_rows=chunk_rows,
            encoding=encoding,
            delimiter=delimiter or ("\t" if name.endswith(".tsv") else None),
            redactor=redactor,
        )
    if name.endswith((".jsonl", ".ndjson", ".json")):
        return JsonLinesSource(
            path, chunk_rows=chunk_rows, encoding=encoding, redactor=redactor
        )
    if name.endswith((".parquet", ".pq")):
        return ParquetSource(path, chunk_rows=chunk_rows, redactor=redactor)
    raise SourceError(
        f"cannot tell the format of `{path}` from its extension `{suffix}`; use "
        ".csv, .tsv, .jsonl or .parquet, or a database URL with --table"
    )

"""Landing files in Spark: the same landing shape as the DuckDB path, in read order.

A landed relation has ``_seq`` (read order), ``_malformed`` (set on a row that could
not be read as a record), ``citizen_key`` (the phone's pseudonym, made in the first
projection) and the contract columns except ``phone``/``citizen_id``: text for CSV
and JSON Lines, typed for Parquet.

Read order decides which version of a record wins a tie, so it must be the order
the DuckDB path reads: file by file in the order given, row by row within a file.
``_seq`` is a struct ``(batch, file, block, row)`` compared field by field: ``file``
is the file's position in the list, ``block`` the byte offset of the Spark split
(``_metadata.file_block_start``; Parquet uses ``_metadata.row_index`` instead) and
``row`` a ``monotonically_increasing_id``, which grows along the rows of one split.
``batch`` orders the micro-batches of a stream. Each file is read on its own and the
files are unioned, so no global sort is needed and large files still split.

Format notes, each chosen to match the DuckDB path:

- CSV is read with the header the DuckDB path sees (pyarrow's parse of the first
  line), every column as text, ``"`` as quote and escape, quoted line breaks allowed
  (``multiLine``: a CSV file is one split). A row with the wrong number of fields is
  ``malformed_record``; its partly parsed values are dropped.
- JSON Lines: blank lines are skipped; a line is malformed unless it is one JSON
  object. Numbers in text columns are spelled as Spark spells them (``1.0E20``).
- Parquet keeps its types; a naive timestamp is Asia/Shanghai wall time.
"""

from __future__ import annotations

import codecs
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from scamlens.contract import COLUMN_NAMES
from scamlens.errors import SourceError, UsageError
from scamlens.scaleout.spark.privacy import citizen_key_sql
from scamlens.scaleout.spark.text import ident, literal

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

__all__ = [
    "FORMATS",
    "SparkFile",
    "inspect_file",
    "land_files",
    "land_json",
]

logger = logging.getLogger(__name__)

FORMATS = ("csv", "jsonl", "parquet")
_STORED = tuple(c for c in COLUMN_NAMES if c not in ("phone", "citizen_id"))
_MALFORMED = "<malformed>"
# What Python's str.strip() removes: a line made only of these is skipped.
_PY_SPACE = r"^[\s\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$"
_JSON_OBJECT = r"^[ \t\r\n]*\{.*\}[ \t\r\n]*$"


@dataclass(frozen=True)
class SparkFile:
    """One input file and how to read it."""

    path: str
    kind: str
    encoding: str = "utf-8"
    delimiter: str = ","
    header: tuple[str, ...] | None = None
    """CSV column names as the DuckDB path parses them; None lets Spark read them."""


def _kind_of(name: str) -> str:
    lower = name.lower()
    if lower.endswith((".csv", ".tsv", ".txt", ".csv.gz")):
        return "csv"
    if lower.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    if lower.endswith((".parquet", ".pq")):
        return "parquet"
    raise SourceError(
        f"cannot tell the format of `{name}` from its extension; use .csv, .tsv, "
        ".jsonl or .parquet"
    )


def _local_path(path: str) -> Path | None:
    if path.startswith("file:"):
        from urllib.parse import unquote, urlparse

        return Path(unquote(urlparse(path).path))
    if "://" in path:
        return None
    return Path(path)


def _pyarrow_header(
    path: Path, encoding: str, delimiter: str, naive: list[str]
) -> tuple[str, ...]:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    reader = pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(encoding=encoding, block_size=1 << 20),
        parse_options=pacsv.ParseOptions(
            delimiter=delimiter,
            invalid_row_handler=lambda row: "skip",
            newlines_in_values=True,
        ),
        convert_options=pacsv.ConvertOptions(
            column_types={name: pa.string() for name in naive},
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
            null_values=[""],
        ),
    )
    try:
        return tuple(reader.schema.names)
    finally:
        reader.close()


def inspect_file(
    path: str, *, encoding: str | None = None, delimiter: str | None = None
) -> SparkFile:
    """Check a file the way the DuckDB path does and say how Spark should read it.

    Local files get the DuckDB path's checks and guesses (existence, required
    columns, encoding, delimiter); other URLs are taken as given.
    """
    from scamlens.sources.files import CsvSource, file_source

    local = _local_path(path)
    kind = _kind_of(path)
    if local is None:
        return SparkFile(path, kind, encoding or "utf-8", delimiter or ",")
    source = file_source(local, encoding=encoding, delimiter=delimiter)
    if isinstance(source, CsvSource):
        enc = source.encoding or "utf-8"
        sep = source.delimiter or ","
        header = _pyarrow_header(local, enc, sep, source.header)
        return SparkFile(str(local), kind, enc, sep, header)
    enc = getattr(source, "encoding", None) or "utf-8"
    if kind == "jsonl" and codecs.lookup(enc).name not in ("utf-8", "utf-8-sig"):
        raise UsageError(
            f"`{path}` is {enc} text; Spark reads JSON Lines as UTF-8 only: convert "
            "it (iconv -f GB18030 -t UTF-8) or use `scamlens metrics`"
        )
    return SparkFile(str(local), kind, enc)


def _order(batch: int, index: int, block: str, row: str) -> str:
    """SQL for ``_seq``: (micro-batch, file position, split offset, row)."""
    return (
        f"named_struct('batch', {int(batch)}L, 'file', {int(index)}L, "
        f"'block', CAST({block} AS BIGINT), 'row', CAST({row} AS BIGINT)) AS _seq"
    )


_SPLIT_ORDER = ("_metadata.file_block_start", "monotonically_increasing_id()")


def _java_charset(encoding: str) -> str:
    name = codecs.lookup(encoding).name
    return "UTF-8" if name in ("utf-8", "utf-8-sig") else name


def _landed(frame: DataFrame, key: bytes, malformed: str | None) -> DataFrame:
    """Project ``frame`` (with ``_seq``) onto the landing shape.

    ``malformed`` is SQL that is true for a row that is not a record; such a row keeps
    no values. The raw phone number goes no further than this projection.
    """
    present = set(frame.columns)

    def col(name: str) -> str:
        value = ident(name) if name in present else "CAST(NULL AS STRING)"
        return (
            value
            if malformed is None
            else f"(CASE WHEN NOT ({malformed}) THEN {value} END)"
        )

    flag = (
        "CAST(NULL AS STRING)"
        if malformed is None
        else (f"(CASE WHEN {malformed} THEN {literal(_MALFORMED)} END)")
    )
    phone = f"CAST({col('phone')} AS STRING)"
    citizen = f"CAST({col('citizen_id')} AS STRING)"
    return frame.selectExpr(
        "_seq",
        f"{flag} AS _malformed",
        f"{citizen_key_sql(key, phone, citizen)} AS citizen_key",
        *(f"{col(name)} AS {ident(name)}" for name in _STORED if name in present),
    )


def _read_csv(
    spark: SparkSession, file: SparkFile, key: bytes, order: str
) -> DataFrame:
    from pyspark.sql import types as T

    reader = spark.read.option("header", True).option("multiLine", True)
    reader = reader.option("encoding", _java_charset(file.encoding))
    reader = (
        reader.option("sep", file.delimiter).option("quote", '"').option("escape", '"')
    )
    reader = reader.option("mode", "PERMISSIVE").option(
        "columnNameOfCorruptRecord", "_bad"
    )
    names = list(
        file.header or reader.option("inferSchema", False).csv(file.path).columns
    )
    fields = [T.StructField(f"_c{i}", T.StringType()) for i in range(len(names))]
    schema = T.StructType([*fields, T.StructField("_bad", T.StringType())])
    chosen: dict[str, str] = {}
    for i, name in enumerate(names):
        if name in COLUMN_NAMES and name not in chosen:
            chosen[name] = f"_c{i}"
    frame = (
        reader.schema(schema)
        .csv(file.path)
        .selectExpr(
            order, "_bad", *(f"{src} AS {ident(name)}" for name, src in chosen.items())
        )
    )
    return _landed(frame, key, "_bad IS NOT NULL")


def _json_schema():
    from pyspark.sql import types as T

    fields = [T.StructField(name, T.StringType()) for name in COLUMN_NAMES]
    return T.StructType([*fields, T.StructField("_bad", T.StringType())])


def _json_value(text: str) -> str:
    """Python's spelling of the non-finite numbers Spark writes as quoted words."""
    return (
        f"(CASE {text} WHEN '\"NaN\"' THEN 'nan' WHEN '\"Infinity\"' THEN 'inf' "
        f"WHEN '\"-Infinity\"' THEN '-inf' ELSE {text} END)"
    )


def land_json(frame: DataFrame, key: bytes, *, text: str = "value") -> DataFrame:
    """Land JSON records held as text in column ``text`` of ``frame`` (with ``_seq``).

    Used for JSON Lines files and for message values (a Kafka micro-batch): blank
    texts are skipped, a text that is not one JSON object is ``malformed_record``.
    """
    from pyspark.sql import functions as F

    line = f"regexp_replace({ident(text)}, '^\ufeff', '')"
    kept = frame.selectExpr("_seq", f"{line} AS _line").where(
        f"NOT (_line RLIKE {literal(_PY_SPACE)})"
    )
    options = {
        "mode": "PERMISSIVE",
        "columnNameOfCorruptRecord": "_bad",
        "allowSingleQuotes": "false",
    }
    parsed = kept.select(
        "_seq", "_line", F.from_json("_line", _json_schema(), options).alias("_j")
    )
    shaped = parsed.selectExpr(
        "_seq",
        "_line",
        "_j._bad AS _bad",
        *(
            f"{_json_value('_j.' + ident(name))} AS {ident(name)}"
            for name in COLUMN_NAMES
        ),
    )
    bad = f"_bad IS NOT NULL OR NOT (_line RLIKE {literal(_JSON_OBJECT)})"
    return _landed(shaped, key, bad)


def _read_jsonl(
    spark: SparkSession, file: SparkFile, key: bytes, order: str
) -> DataFrame:
    return land_json(spark.read.text(file.path).selectExpr(order, "value"), key)


def _read_parquet(
    spark: SparkSession, file: SparkFile, key: bytes, batch: int, index: int
) -> DataFrame:
    frame = spark.read.parquet(file.path)
    order = _order(batch, index, "0", "_metadata.row_index")
    return _landed(frame.selectExpr(order, "*"), key, None)


def land_files(
    spark: SparkSession, files: Sequence[SparkFile], key: bytes, *, batch: int = 0
) -> DataFrame:
    """Land ``files`` in the order given (file order is read order)."""
    if not files:
        raise UsageError("no input files to read")
    landed = []
    for index, file in enumerate(files):
        order = _order(batch, index, *_SPLIT_ORDER)
        if file.kind == "csv":
            landed.append(_read_csv(spark, file, key, order))
        elif file.kind == "jsonl":
            landed.append(_read_jsonl(spark, file, key, order))
        elif file.kind == "parquet":
            landed.append(_read_parquet(spark, file, key, batch, index))
        else:
            raise UsageError(
                f"unknown file kind `{file.kind}`; expected one of {FORMATS}"
            )
    result = landed[0]
    for other in landed[1:]:
        result = result.unionByName(other, allowMissingColumns=True)
    return result

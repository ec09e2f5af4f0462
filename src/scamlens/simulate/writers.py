"""Writing a simulation out: CSV, JSON Lines, Parquet, or a platform database table.

Files are written chunk by chunk to ``<out>.partial`` and renamed when complete, so a
reader never sees half a simulation under the final name; the ground truth goes
beside the output as ``<out>.truth.json``. Text formats carry every column as text, as
a platform export does. A database gets a table of TEXT columns (default
``outreach_records``) filled with SQLAlchemy Core ``executemany`` inserts, one
transaction per chunk; it must not exist yet unless ``replace`` is given.

JSON Lines come from DuckDB's JSON writer (one row object per line, keys in column
order, nulls as ``null``), several times faster than ``json.dumps`` per row.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import sqlalchemy as sa

from scamlens.contract.columns import COLUMN_NAMES
from scamlens.errors import SourceUnreachable, UsageError
from scamlens.simulate.config import SimConfig
from scamlens.simulate.engine import Simulation
from scamlens.simulate.truth import GroundTruth

__all__ = [
    "DEFAULT_TABLE",
    "FORMATS",
    "WriteResult",
    "infer_format",
    "truth_path_for",
    "write",
    "write_db",
]

logger = logging.getLogger(__name__)

FORMATS: tuple[str, ...] = ("csv", "jsonl", "parquet", "sqlite")
DEFAULT_TABLE = "outreach_records"
_EXTENSIONS = {
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".sqlite": "sqlite",
    ".sqlite3": "sqlite",
    ".db": "sqlite",
}
_INSERT_BATCH = 10_000

Progress = Callable[[int], None]


@dataclass(frozen=True)
class WriteResult:
    """Where a simulation went and what it holds."""

    target: str
    """File path, or database URL with the password hidden, plus the table."""
    format: str
    rows: int
    truth_path: Path
    truth: GroundTruth
    seconds: float


def infer_format(out: Path, fmt: str | None = None) -> str:
    """``fmt`` if given, else the format named by ``out``'s extension."""
    if fmt:
        if fmt not in FORMATS:
            raise UsageError(
                f"format `{fmt}` is unknown; use one of {', '.join(FORMATS)}"
            )
        return fmt
    suffix = out.suffix.lower()
    if suffix not in _EXTENSIONS:
        raise UsageError(
            f"cannot tell the format of `{out}` from its extension; pass --format "
            f"({', '.join(FORMATS)}) or use .csv, .jsonl, .parquet or .sqlite"
        )
    return _EXTENSIONS[suffix]


def truth_path_for(out: Path) -> Path:
    """``<out>.truth.json`` beside the output."""
    return out.with_name(out.name + ".truth.json")


def write(
    config: SimConfig,
    out: Path,
    fmt: str | None = None,
    *,
    truth_path: Path | None = None,
    table: str = DEFAULT_TABLE,
    replace: bool = False,
    progress: Progress | None = None,
) -> WriteResult:
    """Simulate ``config`` into the file ``out`` and its truth beside it."""
    fmt = infer_format(out, fmt)
    if fmt == "sqlite":
        return write_db(
            config,
            f"sqlite:///{out}",
            table=table,
            truth_path=truth_path or truth_path_for(out),
            replace=replace,
            progress=progress,
        )
    if config.typed and fmt != "parquet":
        raise UsageError(
            f"typed output is only for Parquet, not `{fmt}`; drop --typed or write "
            "a .parquet file"
        )
    sim = Simulation(config)
    started = time.perf_counter()
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    try:
        rows = _WRITERS[fmt](sim.tables(), partial, progress)
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
    truth_path = sim.truth.save(truth_path or truth_path_for(out))
    seconds = time.perf_counter() - started
    logger.info("simulation written format=%s rows=%d seconds=%.1f", fmt, rows, seconds)
    return WriteResult(str(out), fmt, rows, truth_path, sim.truth, seconds)


def _counting(
    tables: Iterator[pa.Table], progress: Progress | None
) -> Iterator[pa.Table]:
    for table in tables:
        yield table
        if progress is not None:
            progress(table.num_rows)


def _write_csv(
    tables: Iterator[pa.Table], path: Path, progress: Progress | None
) -> int:
    rows = 0
    options = pacsv.WriteOptions(include_header=True, quoting_style="needed")
    writer: pacsv.CSVWriter | None = None
    try:
        for table in _counting(tables, progress):
            if writer is None:
                writer = pacsv.CSVWriter(str(path), table.schema, write_options=options)
            writer.write_table(table)
            rows += table.num_rows
    finally:
        if writer is not None:
            writer.close()
    return rows


def _write_parquet(
    tables: Iterator[pa.Table], path: Path, progress: Progress | None
) -> int:
    rows = 0
    writer: pq.ParquetWriter | None = None
    try:
        for table in _counting(tables, progress):
            if writer is None:
                writer = pq.ParquetWriter(str(path), table.schema, compression="zstd")
            writer.write_table(table)
            rows += table.num_rows
    finally:
        if writer is not None:
            writer.close()
    return rows


def _write_jsonl(
    tables: Iterator[pa.Table], path: Path, progress: Progress | None
) -> int:
    """JSON Lines through DuckDB's JSON writer, streaming the chunks in order."""
    first = next(tables, None)
    if first is None:
        path.write_bytes(b"")
        return 0
    rows = 0

    def batches() -> Iterator[pa.RecordBatch]:
        nonlocal rows
        for table in _counting(itertools.chain([first], tables), progress):
            yield from table.to_batches()
            rows += table.num_rows

    reader = pa.RecordBatchReader.from_batches(first.schema, batches())
    con = duckdb.connect()
    try:
        # One thread keeps the row order; DuckDB streams the reader chunk by chunk.
        con.execute("SET threads = 1")
        con.register("_records", reader)
        con.execute(f"COPY _records TO '{_sql_path(path)}' (FORMAT JSON)")
    finally:
        con.close()
    return rows


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


_WRITERS: dict[str, Callable[[Iterator[pa.Table], Path, Progress | None], int]] = {
    "csv": _write_csv,
    "jsonl": _write_jsonl,
    "parquet": _write_parquet,
}


def write_db(
    config: SimConfig,
    url: str,
    *,
    table: str = DEFAULT_TABLE,
    truth_path: Path | None = None,
    replace: bool = False,
    progress: Progress | None = None,
) -> WriteResult:
    """Simulate ``config`` into table ``table`` of the database at SQLAlchemy ``url``.

    ``truth_path`` defaults to ``<file>.truth.json`` for SQLite and is required for
    any other database.
    """
    if config.typed:
        raise UsageError(
            "typed output is only for Parquet; drop --typed for a database"
        )
    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError:
        raise UsageError(
            f"database URL `{url}` is not a SQLAlchemy URL; e.g. sqlite:///platform.db "
            "or postgresql+psycopg://user@host/db"
        ) from None
    shown = parsed.render_as_string(hide_password=True)
    if truth_path is None:
        if parsed.get_backend_name() != "sqlite" or not parsed.database:
            raise UsageError(
                f"where should the ground truth of `{shown}` go? pass --truth PATH"
            )
        truth_path = truth_path_for(Path(parsed.database))
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    try:
        engine = sa.create_engine(parsed)
    except ModuleNotFoundError as exc:
        raise UsageError(
            f"the driver for `{shown}` is not installed ({exc.name}); "
            "install it with pip"
        ) from None
    sim = Simulation(config)
    started = time.perf_counter()
    try:
        target = _prepare_table(engine, table, replace, shown)
        rows = 0
        for chunk in _counting(sim.tables(), progress):
            rows += _insert(engine, target, chunk)
    except sa.exc.OperationalError as exc:
        first = str(exc.orig).splitlines()[0] if exc.orig else str(exc)
        raise SourceUnreachable(
            f"cannot write to `{shown}`: {first}; check that the server runs and the "
            "URL is right"
        ) from None
    finally:
        engine.dispose()
    saved = sim.truth.save(truth_path)
    seconds = time.perf_counter() - started
    logger.info(
        "simulation written table=%s rows=%d seconds=%.1f", table, rows, seconds
    )
    return WriteResult(
        f"{shown} table {table}",
        "sqlite" if "sqlite" in shown else "db",
        rows,
        saved,
        sim.truth,
        seconds,
    )


def _prepare_table(
    engine: sa.engine.Engine, name: str, replace: bool, shown: str
) -> sa.Table:
    target = sa.Table(
        name, sa.MetaData(), *[sa.Column(c, sa.Text) for c in COLUMN_NAMES]
    )
    with engine.begin() as conn:
        exists = sa.inspect(conn).has_table(name)
        if exists and not replace:
            raise UsageError(
                f"table `{name}` already exists in `{shown}`; pass --replace to drop "
                "it first or choose another --table"
            )
        if exists:
            target.drop(conn)
        target.create(conn)
    return target


def _insert(engine: sa.engine.Engine, target: sa.Table, chunk: pa.Table) -> int:
    names = chunk.column_names
    with engine.begin() as conn:
        for start in range(0, chunk.num_rows, _INSERT_BATCH):
            part = chunk.slice(start, _INSERT_BATCH)
            columns = [col.to_pylist() for col in part.columns]
            rows = [
                dict(zip(names, values, strict=True))
                for values in zip(*columns, strict=True)
            ]
            conn.execute(target.insert(), rows)
    return chunk.num_rows

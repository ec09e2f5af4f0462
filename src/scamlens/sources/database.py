"""Platform database tables (SQLite, MySQL/MariaDB, PostgreSQL) via SQLAlchemy.

Rows are streamed with a server-side cursor in chunks of ``engine.chunk_rows``. Reads
are incremental: the position remembers the greatest value of the incremental column
(``updated_at`` by default) already read and, where the table has one, the greatest
integer primary key (or SQLite rowid); the next read asks for rows with an
incremental value at least that great, or none at all (a row without it cannot be
placed, so it is read every time), or inserted since (a key above the remembered
one: platforms do not always stamp ``updated_at`` in insertion order). Each row
carries its primary key (``_row_key``), so the warehouse recognises a row it has
already stored and does not take it for a new version. Rows come in the order of the
primary key (or rowid), so "read later" means the same thing on every database.

Date and time columns are read as the database's own text (``CAST(... AS TEXT)``),
like every other value: the DuckDB parse step decides what a time is, so a value no
driver can turn into a Python ``datetime`` (PostgreSQL's ``infinity``, a garbled
``DATETIME`` in SQLite, MySQL's zero date) becomes a quarantined ``bad_value``
instead of failing the whole read. The high-water mark still compares times: text
of the incremental column is parsed for it, and a value that is no usable time
(:mod:`scamlens.cleaning.times`) never becomes the mark.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.exc import (
    ArgumentError,
    NoSuchModuleError,
    NoSuchTableError,
    SQLAlchemyError,
)

from scamlens.cleaning.times import EARLIEST, LATEST
from scamlens.errors import SourceError, SourceNotFound, SourceUnreachable, UsageError
from scamlens.settings import TIMEZONE
from scamlens.sources.base import Position, Source, check_columns, is_database_url
from scamlens.sources.landing import to_text_batch

__all__ = ["DatabaseSource", "is_database_url", "safe_url"]

logger = logging.getLogger(__name__)


def _typed(mark: Any, column: sa.Column[Any]) -> Any:
    """The stored high-water mark as a value of the column's own type.

    Positions are kept as JSON, so a timestamp mark comes back as text; comparing a
    ``timestamptz`` column with text fails on PostgreSQL.
    """
    if isinstance(mark, str) and isinstance(column.type, sa.DateTime | sa.Date):
        try:
            value = datetime.fromisoformat(mark)
        except ValueError:
            return mark
        return value.date() if type(column.type) is sa.Date else value
    return mark


def _is_time(column: sa.Column[Any]) -> bool:
    return isinstance(column.type, sa.DateTime | sa.Date | sa.Time)


def _as_time(value: Any) -> datetime | None:
    """A time column's text as an aware ``datetime`` for the high-water mark (naive
    text is Asia/Shanghai time); None when it is no usable time."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(TIMEZONE))
    return moment if EARLIEST <= moment <= LATEST else None


def safe_url(url: str) -> str:
    """``url`` with any password hidden, for logs and keys."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable url>"


class DatabaseSource(Source):
    """A table of outreach records in a platform database."""

    kind = "database"

    def __init__(
        self,
        url: str,
        table: str,
        *,
        incremental_column: str = "updated_at",
        chunk_rows: int = 100_000,
        incremental: bool = True,
    ) -> None:
        self.url = url
        self.table_name = table
        self.incremental_column = incremental_column
        self.chunk_rows = chunk_rows
        self.incremental = incremental
        self._high: Any = None
        self._previous: Any = None
        self._row_high: int | None = None
        self._previous_row: int | None = None
        try:
            self.engine = sa.create_engine(url)
        except (ArgumentError, NoSuchModuleError) as exc:
            raise UsageError(
                f"`{safe_url(url)}` is not a usable database URL ({exc}); expected "
                "e.g. sqlite:///platform.db or postgresql+psycopg://user@host/db"
            ) from None
        except ImportError as exc:
            raise UsageError(
                f"`{safe_url(url)}` asks for a database driver that is not installed "
                f"({exc}); name an installed one: mysql+pymysql://, "
                "postgresql+psycopg:// or sqlite:///"
            ) from None
        self.table = self._reflect()
        self._rowid = (
            self.engine.dialect.name == "sqlite" and not self.table.primary_key.columns
        )
        check_columns(f"table `{table}` in {safe_url(url)}", list(self.table.c.keys()))

    def _reflect(self) -> sa.Table:
        try:
            with self.engine.connect():
                pass
        except SQLAlchemyError as exc:
            first = str(exc.orig if hasattr(exc, "orig") else exc).splitlines()[0]
            raise SourceUnreachable(
                f"cannot connect to {safe_url(self.url)}: {first}; check that the "
                "server runs and the URL is right"
            ) from None
        # A dotted name is a table of that name, else `schema.table`.
        names: list[tuple[str, str | None]] = [(self.table_name, None)]
        if "." in self.table_name:
            owner, _, bare = self.table_name.partition(".")
            names.append((bare, owner))
        for name, schema in names:
            try:
                return sa.Table(
                    name, sa.MetaData(), schema=schema, autoload_with=self.engine
                )
            except NoSuchTableError:
                continue
            except SQLAlchemyError as exc:
                first = str(exc.orig if hasattr(exc, "orig") else exc).splitlines()[0]
                raise SourceError(
                    f"cannot read table `{self.table_name}` in {safe_url(self.url)}: "
                    f"{first}; check that the URL names the platform database"
                ) from None
        raise SourceNotFound(
            f"table `{self.table_name}` does not exist in {safe_url(self.url)}; "
            "pass the right --table (a name, or schema.name)"
        )

    @property
    def key(self) -> str:
        return f"db:{safe_url(self.url)}#{self.table_name}"

    def describe(self) -> str:
        return f"{safe_url(self.url)} table {self.table_name}"

    def size_hint(self) -> int | None:
        try:
            with self.engine.connect() as con:
                return int(
                    con.execute(
                        sa.select(sa.func.count()).select_from(self.table)
                    ).scalar_one()
                )
        except SQLAlchemyError:
            return None

    def _columns(self) -> list[Any]:
        """Every column, date and time columns as the database's text."""
        return [
            sa.cast(c, sa.Text).label(c.name) if _is_time(c) else c
            for c in self.table.c
        ]

    def _query(self, position: Position | None) -> sa.Select[Any]:
        query = sa.select(*self._columns())
        column = self.table.c.get(self.incremental_column)
        if self.incremental and column is None:
            raise SourceError(
                f"table `{self.table_name}` has no incremental column "
                f"`{self.incremental_column}`; set another with --incremental-column"
            )
        # Read order decides ties between versions: the primary key (insertion
        # order) when there is one, else SQLite's rowid, else the incremental column
        # with rows lacking it first.
        order: list[Any] = list(self.table.primary_key.columns)
        if not order and self._rowid:
            order = [sa.literal_column("rowid")]
            query = sa.select(
                *self._columns(), sa.literal_column("rowid").label("_rowid")
            )
        if not order and column is not None:
            order = [sa.case((column.is_(None), 0), else_=1), column]
        if (
            self.incremental
            and position
            and position.data.get("high") is not None
            and not self._rewound(position)
        ):
            self._previous = position.data["high"]
            self._previous_row = position.data.get("row_high")
            assert column is not None
            conditions = [column >= _typed(self._previous, column), column.is_(None)]
            counter = self._row_counter()
            if counter is not None and self._previous_row is not None:
                # Rows inserted since the last read, whatever their updated_at says.
                conditions.append(counter > self._previous_row)
            query = query.where(sa.or_(*conditions))
        return query.order_by(*order) if order else query

    def _rewound(self, position: Position) -> bool:
        """Whether the table ends before where the last read ended: recreated,
        truncated or restored from an older copy. Reading from the old mark would
        then skip every row below it without a word, so the table is read whole
        again (a re-read version identical to the stored one is not stored twice).

        Told by the row counter (integer key or rowid) and, for a time or number
        column, by its greatest value; text columns are not compared (their order
        depends on the database's collation).
        """
        column = self.table.c.get(self.incremental_column)
        counter = self._row_counter()
        last_row = position.data.get("row_high")
        mark = position.data["high"]
        checks: list[Any] = []
        if counter is not None and last_row is not None:
            checks.append(sa.func.max(counter).label("top_row"))
        if column is not None and _is_time(column):
            checks.append(sa.cast(sa.func.max(column), sa.Text).label("top"))
        elif column is not None and isinstance(column.type, sa.Integer | sa.Numeric):
            checks.append(sa.func.max(column).label("top"))
        if not checks:
            return False
        try:
            with self.engine.connect() as con:
                found = con.execute(sa.select(*checks).select_from(self.table)).one()
        except SQLAlchemyError:
            return False  # the read itself will report what is wrong
        top_row = getattr(found, "top_row", last_row)
        top = getattr(found, "top", mark)
        reasons = []
        if last_row is not None and (top_row is None or top_row < last_row):
            reasons.append(
                f"its last row is {top_row}, the last read ended at {last_row}"
            )
        if column is not None and _is_time(column):
            top_time, mark_time = _as_time(top), _as_time(mark)
            behind = top is None or (
                top_time is not None and mark_time is not None and top_time < mark_time
            )
        else:
            behind = top is None or _less(top, mark)
        if behind:
            reasons.append(
                f"its greatest {self.incremental_column} is {top}, the last read "
                f"reached {mark}"
            )
        if reasons:
            logger.warning(
                "table %s looks recreated or restored (%s); reading it whole again, "
                "identical versions are not stored twice",
                self.table_name,
                "; ".join(reasons),
            )
        return bool(reasons)

    def _row_counter(self) -> Any:
        """A column that grows with every insert: an integer primary key or rowid."""
        keys = list(self.table.primary_key.columns)
        if len(keys) == 1 and isinstance(keys[0].type, sa.Integer):
            return keys[0]
        if not keys and self._rowid:
            return sa.literal_column("rowid")
        return None

    def batches(self, position: Position | None) -> Iterator[pa.Table]:
        query = self._query(position)
        column = self.incremental_column
        try:
            with self.engine.connect() as con:
                result = con.execution_options(
                    stream_results=True, yield_per=self.chunk_rows
                ).execute(query)
                names = list(result.keys())
                keys = [c.name for c in self.table.primary_key.columns]
                if not keys and self._rowid:
                    keys = ["_rowid"]
                for chunk in result.partitions(self.chunk_rows):
                    rows = [dict(zip(names, row, strict=True)) for row in chunk]
                    for row in rows:
                        self._observe(row.get(column))
                        if len(keys) == 1 and isinstance(row[keys[0]], int):
                            self._row_high = max(self._row_high or 0, row[keys[0]])
                    batch = to_text_batch(
                        [{k: v for k, v in r.items() if k not in keys} for r in rows],
                        [None] * len(rows),
                    )
                    if keys:
                        row_keys = [json.dumps([str(r[k]) for k in keys]) for r in rows]
                        batch = batch.append_column(
                            "_row_key", pa.array(row_keys, pa.string())
                        )
                    yield batch
        except SQLAlchemyError as exc:
            first = str(exc.orig if hasattr(exc, "orig") else exc).splitlines()[0]
            raise SourceError(
                f"reading `{self.table_name}` from {safe_url(self.url)} failed: {first}"
            ) from None

    def _observe(self, value: Any) -> None:
        if value is None:
            return
        column = self.table.c.get(self.incremental_column)
        if column is not None and _is_time(column):
            moment = _as_time(value)
            if moment is None:  # no usable time is ever the mark
                return
            high = None if self._high is None else _as_time(self._high)
            if high is None or moment > high:
                self._high = value
            return
        if self._high is None:
            self._high = value
            return
        try:
            later = value > self._high
        except TypeError:  # mixed types in one column (SQLite allows it)
            later = str(value) > str(self._high)
        if later:
            self._high = value

    def next_position(self) -> Position | None:
        high = self._high if self._high is not None else self._previous
        if high is not None and not isinstance(high, str | int | float):
            high = str(high)
        # The rows read this time may all lie below the last counter (re-read for
        # their updated_at): the counter never moves back.
        rows = [r for r in (self._row_high, self._previous_row) if r is not None]
        row_high = max(rows) if rows else None
        return Position(
            {"high": high, "column": self.incremental_column, "row_high": row_high}
        )


def _less(value: Any, mark: Any) -> bool:
    try:
        return bool(value < mark)
    except TypeError:  # mixed types in one column (SQLite allows it)
        return str(value) < str(mark)

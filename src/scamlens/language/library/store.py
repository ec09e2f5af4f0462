"""The feature library in the warehouse: every version kept, with who, when and why.

Two tables hold it. ``script_versions`` has one row per library version with its
author, reason, parent version and the whole library as YAML (so any version can be
restored or exported exactly). ``script_entries`` has one row per script and version
for SQL questions such as "which versions contained script X". Saving a library that
is identical to the latest version records nothing and returns the latest.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from scamlens.language.library.default import default_library
from scamlens.language.library.model import Library, LibraryError
from scamlens.language.library.yaml_io import dump_library, library_from_mapping

__all__ = [
    "ensure_tables",
    "latest_version",
    "list_versions",
    "load_active",
    "load_version",
    "save_version",
]

logger = logging.getLogger(__name__)

_DDL = (
    """
    CREATE TABLE IF NOT EXISTS script_versions (
        version INTEGER PRIMARY KEY,
        created_at TIMESTAMPTZ NOT NULL,
        author VARCHAR NOT NULL,
        reason VARCHAR NOT NULL,
        parent INTEGER,
        n_entries INTEGER NOT NULL,
        sha256 VARCHAR NOT NULL,
        content VARCHAR NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS script_entries (
        version INTEGER NOT NULL,
        script_id VARCHAR NOT NULL,
        fraud_type VARCHAR NOT NULL,
        name VARCHAR,
        persona VARCHAR,
        hook VARCHAR,
        actions VARCHAR,
        keywords VARCHAR,
        n_patterns INTEGER,
        n_examples INTEGER,
        status VARCHAR,
        PRIMARY KEY (version, script_id)
    )
    """,
)


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the library tables if they do not exist yet."""
    for ddl in _DDL:
        con.execute(ddl)


def _content(library: Library) -> tuple[str, str]:
    """YAML of the library without its header, and its hash (identity of content)."""
    body = dump_library(
        library.with_entries(
            library.entries, version=0, created_at="", author="", reason=""
        )
    )
    return body, hashlib.sha256(body.encode("utf-8")).hexdigest()


def latest_version(con: duckdb.DuckDBPyConnection) -> int | None:
    if not _has_tables(con):
        return None
    row = con.execute("SELECT max(version) FROM script_versions").fetchone()
    return None if row is None or row[0] is None else int(row[0])


def save_version(
    con: duckdb.DuckDBPyConnection, library: Library, *, author: str, reason: str
) -> Library:
    """Store ``library`` as the next version; return it with its version number."""
    if not author.strip() or not reason.strip():
        raise LibraryError(
            "a library change needs an author and a reason; pass --author and --reason"
        )
    ensure_tables(con)
    body, sha = _content(library)
    latest = latest_version(con)
    if latest is not None:
        row = con.execute(
            "SELECT sha256 FROM script_versions WHERE version = ?", [latest]
        ).fetchone()
        if row and row[0] == sha:
            logger.info("library unchanged; keeping version %d", latest)
            return load_version(con, latest)
    version = (latest or 0) + 1
    now = datetime.now(UTC)
    stored = library.with_entries(
        library.entries,
        version=version,
        created_at=now.isoformat(timespec="seconds"),
        author=author,
        reason=reason,
    )
    con.execute("BEGIN")
    try:
        con.execute(
            "INSERT INTO script_versions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [version, now, author, reason, latest, len(library.entries), sha, body],
        )
        rows = [
            (
                version,
                e.script_id,
                e.fraud_type,
                e.name,
                e.persona,
                e.hook,
                json.dumps(list(e.actions), ensure_ascii=False),
                json.dumps(
                    {k: list(v) for k, v in e.keywords.items()}, ensure_ascii=False
                ),
                len(e.patterns),
                len(e.examples),
                e.status,
            )
            for e in library.entries
        ]
        if rows:
            con.executemany(
                "INSERT INTO script_entries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    logger.info(
        "library version %d saved entries=%d author=%s",
        version,
        len(library.entries),
        author,
    )
    return stored


def _has_tables(con: duckdb.DuckDBPyConnection) -> bool:
    row = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = "
        "'script_versions'"
    ).fetchone()
    return bool(row and row[0])


def load_version(con: duckdb.DuckDBPyConnection, version: int | None = None) -> Library:
    """Load ``version`` (the latest when None) from the warehouse."""
    if not _has_tables(con):
        raise LibraryError(
            "the warehouse holds no script library yet; run "
            "`scamlens scripts import` first"
        )
    if version is None:
        version = latest_version(con)
        if version is None:
            raise LibraryError(
                "the warehouse holds no script library yet; run "
                "`scamlens scripts import` first"
            )
    row = con.execute(
        "SELECT content, created_at, author, reason FROM script_versions "
        "WHERE version = ?",
        [version],
    ).fetchone()
    if row is None:
        raise LibraryError(
            f"library version `{version}` does not exist; list versions with "
            "`scamlens scripts history`"
        )
    import yaml

    library = library_from_mapping(yaml.safe_load(row[0]))
    return library.with_entries(
        library.entries,
        version=version,
        created_at=row[1].isoformat(),
        author=row[2],
        reason=row[3],
    )


def list_versions(con: duckdb.DuckDBPyConnection) -> pa.Table:
    """Every stored version: number, time, author, reason, parent, entry count."""
    ensure_tables(con)
    return con.sql(
        "SELECT version, created_at, author, reason, parent, n_entries "
        "FROM script_versions ORDER BY version"
    ).to_arrow_table()


def load_active(warehouse: Path | None, engine: object = None) -> Library:
    """The library to classify with: the warehouse's latest, else the shipped one.

    Reading never creates a warehouse; a missing file or an empty library table falls
    back to the shipped default library.
    """
    if warehouse is None or not Path(warehouse).is_file():
        return default_library()
    from scamlens.warehouse import connect

    try:
        con = connect(warehouse, engine, read_only=True)  # type: ignore[arg-type]
    except Exception as exc:  # a locked or foreign file must not stop classification
        logger.warning(
            "cannot read library from %s (%s); using the shipped one", warehouse, exc
        )
        return default_library()
    try:
        version = latest_version(con)
        if version is None:
            return default_library()
        return load_version(con, version)
    finally:
        con.close()

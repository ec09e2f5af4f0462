"""Opening the DuckDB warehouse with the session settings every stage relies on."""

from __future__ import annotations

import logging
from pathlib import Path

import duckdb

from scamlens.errors import ConfigError, WarehouseError, WarehouseLocked
from scamlens.settings import TIMEZONE, EngineSettings

__all__ = ["connect"]

logger = logging.getLogger(__name__)


def connect(
    path: Path | str | None = None,
    engine: EngineSettings | None = None,
    *,
    read_only: bool = False,
) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the warehouse at ``path``; ``None`` is in-memory.

    The session time zone is Asia/Shanghai, so local days and hours in SQL follow the
    contract. Memory is capped and DuckDB spills to a temp folder beside the file.
    """
    engine = engine or EngineSettings()
    target = ":memory:" if path is None else str(path)
    if path is not None:
        _check_file(Path(path))
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(target, read_only=read_only)
    except duckdb.Error as exc:
        first = str(exc).splitlines()[0]
        locked = "lock" in first.lower()
        raise (WarehouseLocked if locked else WarehouseError)(
            f"cannot open warehouse `{target}`: {first}; "
            + (
                "close other scamlens processes using it or pass another --warehouse"
                if locked
                else "pass another --warehouse"
            )
        ) from None
    con.execute(f"SET TimeZone = '{TIMEZONE}'")
    try:
        con.execute("SET memory_limit = ?", [engine.memory_limit])
    except duckdb.Error as exc:
        con.close()
        raise ConfigError(
            f"engine.memory_limit is `{engine.memory_limit}`, which DuckDB does not "
            f"read as a size ({str(exc).splitlines()[0]}); use e.g. 1500MB, 4GB or "
            "80% (SCAMLENS_MEMORY_LIMIT)"
        ) from None
    con.execute("SET preserve_insertion_order = false")
    # Local files are read through the OS page cache; DuckDB's own copy of every
    # file read would only add fresh memory, which is costly on virtual machines.
    con.execute("SET enable_external_file_cache = false")
    if engine.threads:
        con.execute(f"SET threads = {int(engine.threads)}")
    if path is not None:
        con.execute(f"SET temp_directory = '{Path(path).with_suffix('.tmp')}'")
    logger.debug("opened warehouse %s", target)
    return con


_MAGIC = b"DUCK"  # bytes 8..11 of every DuckDB database file


def _check_file(path: Path) -> None:
    """Refuse a path that holds something other than a DuckDB database: DuckDB's
    own errors for that ("Cannot launch in-memory database in read-only mode" for
    a CSV file) do not say what is wrong."""
    if path.is_dir():
        raise WarehouseError(
            f"warehouse `{path}` is a folder; name a file, e.g. {path}/warehouse.duckdb"
        )
    if not path.is_file() or path.stat().st_size == 0:
        return
    with path.open("rb") as handle:
        head = handle.read(12)
    if head[8:12] != _MAGIC:
        raise WarehouseError(
            f"warehouse `{path}` is not a DuckDB database (a data file?); pass the "
            "warehouse file, or a new path to create one"
        )

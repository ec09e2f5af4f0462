"""Sources of outreach records: files and platform databases, read in chunks.

The database source (and with it SQLAlchemy, a third of a second to import) loads
on first use, so that commands reading files start quickly.
"""

from typing import TYPE_CHECKING, Any

from scamlens.sources.base import Position, Source, check_columns, is_database_url
from scamlens.sources.files import (
    CsvSource,
    JsonLinesSource,
    ParquetSource,
    file_source,
)
from scamlens.sources.landing import (
    LANDING_COLUMNS,
    create_landing,
    insert_batch,
    to_text_batch,
)

if TYPE_CHECKING:
    from scamlens.sources.database import DatabaseSource, safe_url

__all__ = [
    "LANDING_COLUMNS",
    "CsvSource",
    "DatabaseSource",
    "JsonLinesSource",
    "ParquetSource",
    "Position",
    "Source",
    "check_columns",
    "create_landing",
    "file_source",
    "insert_batch",
    "is_database_url",
    "safe_url",
    "to_text_batch",
]

_LAZY = {"DatabaseSource", "safe_url"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from scamlens.sources import database

        return getattr(database, name)
    raise AttributeError(f"module 'scamlens.sources' has no attribute {name!r}")

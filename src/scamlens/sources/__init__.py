"""Sources of outreach records: files and platform databases, read in chunks."""

from scamlens.sources.base import Position, Source, check_columns
from scamlens.sources.database import DatabaseSource, is_database_url, safe_url
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

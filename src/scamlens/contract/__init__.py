"""The outreach record contract: columns, enums, regions and the data dictionary."""

from scamlens.contract.columns import (
    BOOL_FALSE,
    BOOL_TRUE,
    COLUMN_NAMES,
    COLUMNS,
    REQUIRED,
    Column,
    Kind,
    column,
)
from scamlens.contract.enums import (
    AGE_BANDS,
    ALIASES,
    LABELS,
    AgeBand,
    Channel,
    FraudType,
    Gender,
    Module,
    age_band_of,
)
from scamlens.contract.regions import city_of, province_of

__all__ = [
    "AGE_BANDS",
    "ALIASES",
    "BOOL_FALSE",
    "BOOL_TRUE",
    "COLUMNS",
    "COLUMN_NAMES",
    "LABELS",
    "REQUIRED",
    "AgeBand",
    "Channel",
    "Column",
    "FraudType",
    "Gender",
    "Kind",
    "Module",
    "age_band_of",
    "city_of",
    "column",
    "province_of",
]

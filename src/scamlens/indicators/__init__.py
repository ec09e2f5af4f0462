"""The nine indicators and the dimensions they break down by, declared once."""

from scamlens.indicators.definitions import (
    COUNT_NAMES,
    COUNTS,
    FLAGS,
    INDICATOR_NAMES,
    INDICATORS,
    RATIOS,
    Count,
    Ratio,
)
from scamlens.indicators.dimensions import (
    DIMENSION_NAMES,
    DIMENSIONS,
    Dimension,
    parse_dimensions,
)
from scamlens.indicators.rates import wilson_interval, with_rates

__all__ = [
    "COUNTS",
    "COUNT_NAMES",
    "DIMENSIONS",
    "DIMENSION_NAMES",
    "FLAGS",
    "INDICATORS",
    "INDICATOR_NAMES",
    "RATIOS",
    "Count",
    "Dimension",
    "Ratio",
    "parse_dimensions",
    "wilson_interval",
    "with_rates",
]

"""The dimensions indicators can be broken down by, declared once.

Each dimension is a column of the clean attempts ("facts") table, derived from the
typed record by a rule named in ``derivation``. Engines render the derivation in their
own SQL dialect (see :mod:`scamlens.indicators.duckdb_sql`). Local day, hour, week and
month are taken in Asia/Shanghai time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from scamlens.errors import UsageError

__all__ = ["DIMENSIONS", "DIMENSION_NAMES", "Dimension", "parse_dimensions"]


@dataclass(frozen=True)
class Dimension:
    """A breakdown column of the facts table."""

    name: str
    derivation: str
    """How the value is made: ``local_date``, ``local_hour``, ``iso_week``,
    ``local_month``, ``province``, ``city``, ``age_band`` or ``column``."""
    zh: str
    en: str
    example: str


DIMENSIONS: tuple[Dimension, ...] = (
    Dimension("day", "local_date", "日期（北京时间）", "Local day", "2026-12-01"),
    Dimension("week", "iso_week", "ISO 周", "ISO week", "2026-W49"),
    Dimension("month", "local_month", "月份", "Month", "2026-12"),
    Dimension("hour", "local_hour", "小时（0-23，北京时间）", "Hour of day 0-23", "14"),
    Dimension("province", "province", "省级行政区划代码", "Province code", "330000"),
    Dimension("city", "city", "市级行政区划代码", "City code", "330100"),
    Dimension("region_code", "column", "县级行政区划代码", "County code", "330106"),
    Dimension("channel", "column", "触达渠道", "Channel", "voice"),
    Dimension("module", "column", "业务模块", "Module", "warning"),
    Dimension("fraud_type", "column", "诈骗类型", "Fraud type", "fake_investment"),
    Dimension("age_band", "age_band", "年龄段", "Age band", "65+"),
    Dimension("gender", "column", "性别", "Gender", "F"),
)
DIMENSION_NAMES: tuple[str, ...] = tuple(d.name for d in DIMENSIONS)


def parse_dimensions(spec: str | Sequence[str]) -> tuple[str, ...]:
    """Split ``day,region_code`` into names, checking each one and rejecting repeats."""
    names = spec.split(",") if isinstance(spec, str) else list(spec)
    names = [n.strip() for n in names if n.strip()]
    for name in names:
        if name not in DIMENSION_NAMES:
            raise UsageError(
                f"unknown dimension `{name}`; expected some of: "
                f"{', '.join(DIMENSION_NAMES)}"
            )
    if len(set(names)) != len(names):
        raise UsageError(f"dimension list `{','.join(names)}` names one more than once")
    return tuple(names)

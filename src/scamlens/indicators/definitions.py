"""The nine indicators, declared once as data.

Five are counts over clean attempts and four are ratios of two counts. Every engine
(DuckDB batch, the streaming engine, Spark) compiles the :class:`Count` declarations
into its own aggregation; the ratios and their Wilson intervals are then derived from
the summed counts by one function, :func:`scamlens.indicators.rates.with_rates`. So a
rate is always computed from counts at query time and never summed or averaged.

A count is the number of attempts for which every flag in ``requires`` is true; an
empty ``requires`` counts every attempt. The flags are the boolean outcome columns of
a clean attempt: ``connected``, ``confirmed_accurate``, ``reported_defrauded``,
``fully_played``.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "COUNTS",
    "COUNT_NAMES",
    "Count",
    "FLAGS",
    "INDICATORS",
    "INDICATOR_NAMES",
    "RATIOS",
    "Ratio",
]

FLAGS: tuple[str, ...] = (
    "connected",
    "confirmed_accurate",
    "reported_defrauded",
    "fully_played",
)


@dataclass(frozen=True)
class Count:
    """An additive indicator: attempts whose flags in ``requires`` are all true."""

    name: str
    requires: tuple[str, ...]
    zh: str
    en: str


@dataclass(frozen=True)
class Ratio:
    """A rate: ``numerator / denominator``, empty when the denominator is 0."""

    name: str
    numerator: str
    denominator: str
    zh: str
    en: str


COUNTS: tuple[Count, ...] = (
    Count("initiated", (), "发起量", "Outreach initiated"),
    Count("succeeded", ("connected",), "成功量（接通/送达）", "Succeeded (connected)"),
    Count(
        "accurate",
        ("connected", "confirmed_accurate"),
        "预警准确量",
        "Accurate warnings",
    ),
    Count(
        "victims",
        ("connected", "reported_defrauded"),
        "已受骗人数",
        "Victims (already defrauded)",
    ),
    Count(
        "publicity",
        ("connected", "fully_played"),
        "宣传成功量（完整播放）",
        "Publicity successes (played to the end)",
    ),
)

RATIOS: tuple[Ratio, ...] = (
    Ratio("success_rate", "succeeded", "initiated", "成功率", "Success rate"),
    Ratio("accuracy_rate", "accurate", "succeeded", "预警准确率", "Accuracy rate"),
    Ratio("victim_rate", "victims", "succeeded", "受骗率", "Victim rate"),
    Ratio("publicity_rate", "publicity", "succeeded", "宣传成功率", "Publicity rate"),
)

# The published order of the nine indicators (the CSV contract's column order).
INDICATOR_NAMES: tuple[str, ...] = (
    "initiated",
    "succeeded",
    "success_rate",
    "accurate",
    "accuracy_rate",
    "victims",
    "victim_rate",
    "publicity",
    "publicity_rate",
)
COUNT_NAMES: tuple[str, ...] = tuple(c.name for c in COUNTS)
_ALL: tuple[Count | Ratio, ...] = (*COUNTS, *RATIOS)
INDICATORS: dict[str, Count | Ratio] = {i.name: i for i in _ALL}


def _check() -> None:
    for count in COUNTS:
        unknown = set(count.requires) - set(FLAGS)
        if unknown:
            raise AssertionError(f"count {count.name} requires unknown flags {unknown}")
    for ratio in RATIOS:
        if {ratio.numerator, ratio.denominator} - set(COUNT_NAMES):
            raise AssertionError(f"ratio {ratio.name} refers to an unknown count")
    if set(INDICATOR_NAMES) != set(INDICATORS):
        raise AssertionError("INDICATOR_NAMES and the declarations disagree")


_check()

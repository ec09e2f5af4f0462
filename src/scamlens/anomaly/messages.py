"""Plain-language alert text in Chinese and English.

An alert is read by a duty officer at an anti-fraud centre, often on a phone, so the
message says in one sentence which segment, which indicator, what was seen, what was
expected and for which window, e.g.::

    西湖区 智能语音外呼 接通率 12.0%（1,000 次中 120 次），明显低于近期基线 48.5%
    （预期区间 45.1%–51.9%）；统计窗口 2024-05-01 14:00–15:00

Region codes become names when a code-to-name mapping is given; channel, module and
fraud type use the contract's display labels. Times are Beijing time.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from scamlens.anomaly.config import DIMENSIONS, BaselineConfig
from scamlens.contract.enums import LABELS
from scamlens.settings import TIMEZONE

__all__ = [
    "METRIC_LABELS",
    "describe_baseline",
    "describe_segment",
    "describe_window",
    "render_message",
]

logger = logging.getLogger(__name__)

_TZ = ZoneInfo(TIMEZONE)

METRIC_LABELS: Mapping[str, tuple[str, str]] = {
    "success_rate": ("接通率", "success rate"),
    "victim_rate": ("受骗率", "victim rate"),
    "accuracy_rate": ("预警准确率", "accuracy rate"),
    "publicity_rate": ("宣传成功率", "publicity rate"),
    "victims": ("已受骗人数", "victims (already defrauded)"),
    "initiated": ("发起量", "outreach initiated"),
    "succeeded": ("成功量", "outreach succeeded"),
}
"""Display names (中文, English) of the metrics detectors report on."""

_RATES = {"success_rate", "victim_rate", "accuracy_rate", "publicity_rate"}
_DIRECTION = {
    "rate_drop": ("明显低于", "well below"),
    "rate_surge": ("明显高于", "well above"),
    "count_surge": ("明显高于", "well above"),
}


def describe_segment(
    segment: Mapping[str, str | None],
    names: Mapping[str, str] | None = None,
) -> tuple[str, str]:
    """The segment in words: (中文, English); ``names`` maps region codes to names."""
    zh: list[str] = []
    en: list[str] = []
    for dim in DIMENSIONS:
        if dim not in segment:
            continue
        value = segment[dim]
        text = "" if value is None else str(value)
        if dim == "region_code":
            name = (names or {}).get(text)
            zh.append(name or f"地区 {text}")
            en.append(f"{name} ({text})" if name else f"region {text}")
        elif dim == "age_band":
            zh.append(f"年龄 {text}")
            en.append(f"age {text}")
        elif text in LABELS:
            label_zh, label_en = LABELS[text]
            zh.append(label_zh)
            en.append(label_en)
        else:
            zh.append(text)
            en.append(text)
    if not zh:
        return "全部", "All segments"
    return " ".join(zh), ", ".join(en)


def describe_window(grain: str, start: datetime, end: datetime) -> str:
    """The window in Beijing time: a day, or a start–end range within a day."""
    local_start = start.astimezone(_TZ)
    local_end = end.astimezone(_TZ)
    if grain == "1d":
        return local_start.strftime("%Y-%m-%d")
    same_day = (local_end - timedelta(microseconds=1)).date() == local_start.date()
    end_text = local_end.strftime("%H:%M" if same_day else "%Y-%m-%d %H:%M")
    return f"{local_start.strftime('%Y-%m-%d %H:%M')}–{end_text}"


def describe_baseline(grain: str, config: BaselineConfig) -> tuple[str, str]:
    """What the window was compared with: (中文, English)."""
    if config.mode == "recent":
        return "近期基线", "recent baseline"
    if grain == "1d":
        return (
            f"近 {config.days} 天基线",
            f"baseline of the previous {config.days} days",
        )
    return (
        f"近 {config.days} 天同时段基线",
        f"baseline of the same time on the previous {config.days} days",
    )


def _value(metric: str, value: float) -> str:
    if metric in _RATES:
        return f"{value * 100:.1f}%"
    return f"{value:,.0f}"


def _expected(metric: str, value: float) -> str:
    if metric in _RATES:
        return f"{value * 100:.1f}%"
    return f"{value:,.1f}"


def render_message(
    *,
    kind: str,
    metric: str,
    segment: Mapping[str, str | None],
    grain: str,
    window_start: datetime,
    window_end: datetime,
    observed: float,
    expected: float,
    expected_lower: float,
    expected_upper: float,
    numerator: float,
    sample: float,
    baseline: BaselineConfig,
    names: Mapping[str, str] | None = None,
) -> tuple[str, str]:
    """The alert's message in Chinese and in English."""
    seg_zh, seg_en = describe_segment(segment, names)
    metric_zh, metric_en = METRIC_LABELS.get(metric, (metric, metric))
    word_zh, word_en = _DIRECTION.get(kind, ("偏离", "away from"))
    base_zh, base_en = describe_baseline(grain, baseline)
    window = describe_window(grain, window_start, window_end)
    obs = _value(metric, observed)
    exp = _expected(metric, expected)
    lo, hi = _value(metric, expected_lower), _value(metric, expected_upper)
    if metric in _RATES:
        counts_zh = f"（{sample:,.0f} 次中 {numerator:,.0f} 次）"
        counts_en = f" ({numerator:,.0f} of {sample:,.0f})"
    else:
        counts_zh = counts_en = ""
    zh = (
        f"{seg_zh} {metric_zh} {obs}{counts_zh}，{word_zh}{base_zh} {exp}"
        f"（预期区间 {lo}–{hi}）；统计窗口 {window}"
    )
    en = (
        f"{seg_en}: {metric_en} {obs}{counts_en}, {word_en} the {base_en} of {exp} "
        f"(expected range {lo}–{hi}); window {window} Beijing time"
    )
    return zh, en

"""Alert text in Chinese and English: segment names, numbers, window, baseline."""

from __future__ import annotations

from datetime import UTC, datetime

from scamlens.anomaly import BaselineConfig, describe_segment, render_message

WEST_LAKE = {"330106": "西湖区"}
# 2024-05-01 14:00-15:00 Beijing time.
START = datetime(2024, 5, 1, 6, 0, tzinfo=UTC)
END = datetime(2024, 5, 1, 7, 0, tzinfo=UTC)


def test_rate_drop_message_in_both_languages() -> None:
    zh, en = render_message(
        kind="rate_drop",
        metric="success_rate",
        segment={"region_code": "330106", "channel": "voice"},
        grain="1h",
        window_start=START,
        window_end=END,
        observed=0.12,
        expected=0.485,
        expected_lower=0.451,
        expected_upper=0.519,
        numerator=120,
        sample=1000,
        baseline=BaselineConfig(mode="same_slot", days=7),
        names=WEST_LAKE,
    )
    assert zh == (
        "西湖区 智能语音外呼 接通率 12.0%（1,000 次中 120 次），"
        "明显低于近 7 天同时段基线 48.5%（预期区间 45.1%–51.9%）；"
        "统计窗口 2024-05-01 14:00–15:00"
    )
    assert en == (
        "西湖区 (330106), AI voice call: success rate 12.0% (120 of 1,000), well "
        "below the baseline of the same time on the previous 7 days of 48.5% "
        "(expected range 45.1%–51.9%); window 2024-05-01 14:00–15:00 Beijing time"
    )


def test_count_surge_message_without_region_names() -> None:
    zh, en = render_message(
        kind="count_surge",
        metric="victims",
        segment={"fraud_type": "fake_investment", "age_band": "55-64"},
        grain="1h",
        window_start=START,
        window_end=END,
        observed=23,
        expected=4.25,
        expected_lower=1,
        expected_upper=9,
        numerator=23,
        sample=float("nan"),
        baseline=BaselineConfig(mode="recent", windows=24),
    )
    assert zh == (
        "虚假投资理财 年龄 55-64 已受骗人数 23，明显高于近期基线 4.2"
        "（预期区间 1–9）；统计窗口 2024-05-01 14:00–15:00"
    )
    assert en.startswith(
        "Fake investment, age 55-64: victims (already defrauded) 23, "
        "well above the recent baseline of 4.2 (expected range 1–9)"
    )


def test_unknown_region_falls_back_to_code_and_day_window() -> None:
    zh, en = describe_segment({"region_code": "110105", "module": "warning"})
    assert zh == "地区 110105 预警劝阻"
    assert en == "region 110105, Warning"
    day_zh, _ = render_message(
        kind="count_surge",
        metric="initiated",
        segment={"region_code": "110105"},
        grain="1d",
        window_start=datetime(2024, 4, 30, 16, 0, tzinfo=UTC),
        window_end=datetime(2024, 5, 1, 16, 0, tzinfo=UTC),
        observed=52_000,
        expected=12_000,
        expected_lower=10_000,
        expected_upper=14_000,
        numerator=52_000,
        sample=float("nan"),
        baseline=BaselineConfig(mode="same_slot", days=14),
    )
    assert day_zh.endswith(
        "发起量 52,000，明显高于近 14 天基线 12,000.0（预期区间 10,000–14,000）；"
        "统计窗口 2024-05-01"
    )


def test_empty_segment_reads_as_everything() -> None:
    assert describe_segment({}) == ("全部", "All segments")

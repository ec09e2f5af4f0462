"""Enumerations of the outreach record contract, with Chinese and English names.

Each enum member's value is the code that appears in records and outputs. The
``LABELS`` mappings give the display names (中文, English) used by the data dictionary,
the dashboard and the reports. Aliases accepted on input (Chinese names, common
spellings) live in ``ALIASES``; anything else is a ``bad_value``.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "AGE_BANDS",
    "ALIASES",
    "LABELS",
    "AgeBand",
    "Channel",
    "FraudType",
    "Gender",
    "Module",
    "age_band_of",
]


class Channel(StrEnum):
    """How the platform reached the citizen."""

    VOICE = "voice"
    SMS = "sms"
    FLASH_SMS = "flash_sms"
    VIDEO_SMS = "video_sms"
    MANUAL_CALL = "manual_call"


class Module(StrEnum):
    """Why the platform reached the citizen."""

    WARNING = "warning"
    PUBLICITY = "publicity"
    FOLLOW_UP = "follow_up"


class FraudType(StrEnum):
    """The scam the warning lead is about. ``unknown`` stands for an empty value."""

    ORDER_BRUSHING = "order_brushing"
    FAKE_INVESTMENT = "fake_investment"
    FAKE_LOAN = "fake_loan"
    FAKE_CUSTOMER_SERVICE = "fake_customer_service"
    IMPERSONATE_POLICE = "impersonate_police"
    FAKE_CREDIT_REPAIR = "fake_credit_repair"
    FAKE_SHOPPING = "fake_shopping"
    IMPERSONATE_ACQUAINTANCE = "impersonate_acquaintance"
    GAME_TRADING = "game_trading"
    ROMANCE = "romance"
    OTHER = "other"
    UNKNOWN = "unknown"


class Gender(StrEnum):
    """Citizen gender as the platform recorded it; ``U`` when empty."""

    MALE = "M"
    FEMALE = "F"
    UNKNOWN = "U"


class AgeBand(StrEnum):
    """Age bands used for breakdowns."""

    UNDER_18 = "0-17"
    AGE_18_24 = "18-24"
    AGE_25_34 = "25-34"
    AGE_35_44 = "35-44"
    AGE_45_54 = "45-54"
    AGE_55_64 = "55-64"
    AGE_65_PLUS = "65+"
    UNKNOWN = "unknown"


# (lower bound inclusive, band) in ascending order; ages are whole or fractional years.
AGE_BANDS: tuple[tuple[int, AgeBand], ...] = (
    (0, AgeBand.UNDER_18),
    (18, AgeBand.AGE_18_24),
    (25, AgeBand.AGE_25_34),
    (35, AgeBand.AGE_35_44),
    (45, AgeBand.AGE_45_54),
    (55, AgeBand.AGE_55_64),
    (65, AgeBand.AGE_65_PLUS),
)


def age_band_of(age: float | None) -> AgeBand:
    """Return the band of ``age`` (``unknown`` for None); the reference for SQL."""
    if age is None:
        return AgeBand.UNKNOWN
    band = AgeBand.UNKNOWN
    for lower, candidate in AGE_BANDS:
        if age >= lower:
            band = candidate
    return band


LABELS: dict[str, tuple[str, str]] = {
    Channel.VOICE: ("智能语音外呼", "AI voice call"),
    Channel.SMS: ("短信", "SMS"),
    Channel.FLASH_SMS: ("闪信", "Flash SMS"),
    Channel.VIDEO_SMS: ("视频短信/5G消息", "Video SMS / 5G message"),
    Channel.MANUAL_CALL: ("人工外呼", "Human call"),
    Module.WARNING: ("预警劝阻", "Warning"),
    Module.PUBLICITY: ("反诈宣传", "Publicity"),
    Module.FOLLOW_UP: ("回访", "Follow-up"),
    FraudType.ORDER_BRUSHING: ("刷单返利", "Order brushing / rebates"),
    FraudType.FAKE_INVESTMENT: ("虚假投资理财", "Fake investment"),
    FraudType.FAKE_LOAN: ("虚假网络贷款", "Fake online loan"),
    FraudType.FAKE_CUSTOMER_SERVICE: (
        "冒充电商物流客服",
        "Fake e-commerce / courier customer service",
    ),
    FraudType.IMPERSONATE_POLICE: ("冒充公检法", "Impersonating police / judiciary"),
    FraudType.FAKE_CREDIT_REPAIR: ("虚假征信", "Fake credit record repair"),
    FraudType.FAKE_SHOPPING: ("虚假购物服务", "Fake shopping / services"),
    FraudType.IMPERSONATE_ACQUAINTANCE: (
        "冒充领导熟人",
        "Impersonating a boss or acquaintance",
    ),
    FraudType.GAME_TRADING: ("网络游戏虚假交易", "Fake online game trading"),
    FraudType.ROMANCE: ("网络婚恋交友", "Online romance / dating"),
    FraudType.OTHER: ("其他", "Other"),
    FraudType.UNKNOWN: ("未知", "Unknown"),
    Gender.MALE: ("男", "Male"),
    Gender.FEMALE: ("女", "Female"),
    Gender.UNKNOWN: ("未知", "Unknown"),
}

# Accepted spellings on input, mapped to codes. Codes themselves match in any case.
ALIASES: dict[str, dict[str, str]] = {
    "channel": {
        "智能语音外呼": "voice",
        "语音": "voice",
        "短信": "sms",
        "闪信": "flash_sms",
        "视频短信": "video_sms",
        "5g消息": "video_sms",
        "人工外呼": "manual_call",
        "人工": "manual_call",
    },
    "module": {"预警劝阻": "warning", "反诈宣传": "publicity", "回访": "follow_up"},
    "fraud_type": {
        "刷单返利": "order_brushing",
        "虚假投资理财": "fake_investment",
        "虚假网络贷款": "fake_loan",
        "冒充电商物流客服": "fake_customer_service",
        "冒充公检法": "impersonate_police",
        "虚假征信": "fake_credit_repair",
        "虚假购物服务": "fake_shopping",
        "冒充领导熟人": "impersonate_acquaintance",
        "网络游戏虚假交易": "game_trading",
        "网络婚恋交友": "romance",
        "其他": "other",
    },
    "gender": {"male": "M", "female": "F", "男": "M", "女": "F", "未知": "U"},
}

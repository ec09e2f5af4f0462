"""The outreach record contract: one row is one outreach attempt.

The columns below are the whole contract. Input may carry other columns; they are kept
in ``extras`` (for the quarantine and the language layer) but never counted. The
data dictionary in ``docs/data-dictionary.md`` is rendered from this table by
:mod:`scamlens.contract.dictionary`, so the code and the document cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from scamlens.contract.enums import Channel, FraudType, Gender, Module

__all__ = [
    "BOOL_FALSE",
    "BOOL_TRUE",
    "COLUMNS",
    "COLUMN_NAMES",
    "Column",
    "Kind",
    "REQUIRED",
    "column",
]


class Kind(StrEnum):
    """How a column's raw value is parsed."""

    TEXT = "text"
    ENUM = "enum"
    REGION = "region"
    NUMBER = "number"
    BOOL = "bool"
    TIMESTAMP = "timestamp"


@dataclass(frozen=True)
class Column:
    """One column of the contract."""

    name: str
    kind: Kind
    required: bool
    zh: str
    en: str
    values: tuple[str, ...] = ()
    """Allowed codes of an enum column."""


def _codes(enum: type[StrEnum], *, skip: tuple[str, ...] = ()) -> tuple[str, ...]:
    return tuple(member.value for member in enum if member.value not in skip)


COLUMNS: tuple[Column, ...] = (
    Column(
        "outreach_id",
        Kind.TEXT,
        True,
        "外呼/触达记录编号。同一编号再次出现即为该记录的新版本",
        "Id of the attempt. The same id seen again is a newer version of it.",
    ),
    Column(
        "lead_id",
        Kind.TEXT,
        False,
        "预警线索编号",
        "The warning lead the attempt serves.",
    ),
    Column(
        "phone",
        Kind.TEXT,
        False,
        "群众手机号；入库时以带密钥的 HMAC-SHA256 假名化，绝不以明文保存",
        "Citizen's phone number; pseudonymised with keyed HMAC-SHA256 on ingestion.",
    ),
    Column(
        "citizen_id",
        Kind.TEXT,
        False,
        "已假名化的群众标识（phone 与 citizen_id 至少有一个）",
        "An already-pseudonymised citizen key (phone or citizen_id is required).",
    ),
    Column(
        "channel",
        Kind.ENUM,
        True,
        "触达渠道",
        "How the citizen was reached.",
        _codes(Channel),
    ),
    Column(
        "module",
        Kind.ENUM,
        True,
        "业务模块：预警劝阻、反诈宣传、回访",
        "Why: warning, publicity or follow-up.",
        _codes(Module),
    ),
    Column(
        "fraud_type",
        Kind.ENUM,
        False,
        "诈骗类型；为空记为 unknown",
        "Fraud type of the lead; empty means unknown.",
        _codes(FraudType),
    ),
    Column(
        "region_code",
        Kind.REGION,
        True,
        "6 位县级行政区划代码（GB/T 2260）",
        "6-digit county-level administrative code (GB/T 2260).",
    ),
    Column("age", Kind.NUMBER, False, "年龄，0 至 120", "Age in years, 0..120."),
    Column(
        "gender",
        Kind.ENUM,
        False,
        "性别 M/F/U；为空记为 U",
        "Gender M, F or U; empty is U.",
        _codes(Gender),
    ),
    Column(
        "initiated_at",
        Kind.TIMESTAMP,
        True,
        "发起时间，ISO-8601；无时区时按北京时间",
        "When the attempt started; ISO-8601, Asia/Shanghai when no offset is given.",
    ),
    Column(
        "connected",
        Kind.BOOL,
        True,
        "是否接通（电话接听/消息送达）",
        "Call answered or message delivered.",
    ),
    Column(
        "talk_seconds", Kind.NUMBER, False, "通话时长（秒）", "Talk time in seconds."
    ),
    Column(
        "content_seconds",
        Kind.NUMBER,
        False,
        "宣传/预警内容全长（秒）",
        "Length of the full content in seconds.",
    ),
    Column(
        "played_seconds",
        Kind.NUMBER,
        False,
        "内容已播放/观看时长（秒）",
        "How much of the content was played or viewed, in seconds.",
    ),
    Column(
        "fully_played",
        Kind.BOOL,
        False,
        "内容是否完整播放；为空时按 played_seconds >= content_seconds 推断，否则为否",
        "Content played to the end; when empty, played >= content if both are known.",
    ),
    Column(
        "confirmed_accurate",
        Kind.BOOL,
        False,
        "群众确认预警准确；为空记为否",
        "The citizen affirmed the warning was accurate; empty means false.",
    ),
    Column(
        "reported_defrauded",
        Kind.BOOL,
        False,
        "群众表示已被骗；为空记为否",
        "The citizen said they had already been defrauded; empty means false.",
    ),
    Column(
        "transcript",
        Kind.TEXT,
        False,
        "群众一方的对话文本（语音识别）",
        "The citizen's side of the dialogue (ASR text).",
    ),
    Column(
        "updated_at",
        Kind.TIMESTAMP,
        False,
        "记录版本时间",
        "Version time of the record.",
    ),
)

COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in COLUMNS)
REQUIRED: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.required)

# Raw boolean spellings, compared after trimming and lower-casing.
BOOL_TRUE: tuple[str, ...] = ("true", "1", "y", "yes", "t", "是")
BOOL_FALSE: tuple[str, ...] = ("false", "0", "n", "no", "f", "否")

_BY_NAME = {c.name: c for c in COLUMNS}


def column(name: str) -> Column:
    """Return the contract column called ``name``."""
    return _BY_NAME[name]

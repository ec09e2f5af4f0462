"""Prompts and JSON schemas of the LLM backend.

The prompts carry the taxonomy (codes, Chinese names, descriptions) and ask for one
JSON object per input text, addressed by its index, so one request can carry a batch.
:data:`PROMPT_VERSION` is part of the cache key: bump it with any wording change.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from scamlens.language.dialogue.intents import Intent
from scamlens.language.taxonomy import CODES, TAXONOMY

__all__ = [
    "CLASSIFY_SCHEMA",
    "LABEL_SCHEMA",
    "PROMPT_VERSION",
    "SUMMARY_SCHEMA",
    "classify_messages",
    "label_messages",
    "summary_messages",
]

logger = logging.getLogger(__name__)

PROMPT_VERSION = "2026-12-03.1"

_TYPES = "\n".join(f"- {c.code}（{c.zh}）：{c.description_zh}" for c in TAXONOMY)
_INTENTS = ", ".join(i.value for i in Intent)

CLASSIFY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "results": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "fraud_type": {"type": "string", "enum": list(CODES)},
                    "confidence": {"type": "number"},
                    "evidence": {"type": "array", "items": {"type": "string"}},
                },
                "required": ["id", "fraud_type", "confidence", "evidence"],
                "additionalProperties": False,
            },
        }
    },
    "required": ["results"],
    "additionalProperties": False,
}

LABEL_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "results": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "intent": {"type": "string", "enum": [i.value for i in Intent]},
                    "confirmed_accurate": {"type": "boolean"},
                    "reported_defrauded": {"type": "boolean"},
                    "confidence": {"type": "number"},
                    "evidence": {"type": "array", "items": {"type": "string"}},
                },
                "required": [
                    "id",
                    "intent",
                    "confirmed_accurate",
                    "reported_defrauded",
                    "confidence",
                    "evidence",
                ],
                "additionalProperties": False,
            },
        }
    },
    "required": ["results"],
    "additionalProperties": False,
}

SUMMARY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "fraud_type": {"type": "string", "enum": list(CODES)},
        "persona": {"type": "string"},
        "hook": {"type": "string"},
        "actions": {"type": "array", "items": {"type": "string"}},
        "keywords": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["name", "fraud_type", "persona", "hook", "actions", "keywords"],
    "additionalProperties": False,
}

_CLASSIFY_SYSTEM = (
    "你是反诈中心的话术分析员。判断每条文本（短信、通话话术、群众回复或案情描述）"
    "属于哪一种诈骗类型；\n正常通知、营销、服务电话、日常对话和反诈宣传属于 none。"
    '否定与假设不算（"我没有转账"不是转账）。\n类型代码：\n'
    f"{_TYPES}\n"
    '只输出 JSON：{"results": [{"id": 序号, "fraud_type": 代码, '
    '"confidence": 0到1, "evidence": [原文中的关键片段]}]}，每条输入一项。'
)

_LABEL_SYSTEM = (
    "你是反诈中心的回访质检员。下面每条是群众在预警电话中的发言（语音识别文本）。\n"
    f"判断意图（{_INTENTS}）：\n"
    "being_defrauded_now=正在被骗（正在转账/仍在与骗子通话）；"
    "already_defrauded=已经被骗、已转账；\nasks_for_help=求助；"
    "confirms=确认确实接触过骗子；denies=否认；busy_or_hung_up=忙碌或挂断；"
    "other=其他。\nconfirmed_accurate：群众是否确认预警属实（接触过骗子即为 true）；"
    "\nreported_defrauded：是否表示已经损失钱财。"
    '否定要看清（"没被骗""还没转"不是被骗）。\n'
    '只输出 JSON：{"results": [{"id": 序号, "intent": 意图, '
    '"confirmed_accurate": 布尔, "reported_defrauded": 布尔, '
    '"confidence": 0到1, "evidence": [原文片段]}]}。'
)

_SUMMARY_SYSTEM = (
    "你是反诈话术库的编辑。下面是一组相似的、话术库尚未覆盖的文本。"
    "概括它们共同的诈骗话术：\nname（简短中文名）、"
    f"fraud_type（代码之一：{', '.join(CODES)}）、\npersona（冒充的身份）、"
    "hook（诱饵，一句话）、actions（要求受害人做的事）、\n"
    "keywords（5到15个关键词，取自原文）。只输出 JSON。"
)


def _batch(texts: list[tuple[int, str]]) -> str:
    return json.dumps(
        {"items": [{"id": i, "text": t} for i, t in texts]}, ensure_ascii=False
    )


def classify_messages(texts: list[tuple[int, str]]) -> list[dict[str, str]]:
    return [
        {"role": "system", "content": _CLASSIFY_SYSTEM},
        {"role": "user", "content": _batch(texts)},
    ]


def label_messages(texts: list[tuple[int, str]]) -> list[dict[str, str]]:
    return [
        {"role": "system", "content": _LABEL_SYSTEM},
        {"role": "user", "content": _batch(texts)},
    ]


def summary_messages(texts: list[str]) -> list[dict[str, str]]:
    return [
        {"role": "system", "content": _SUMMARY_SYSTEM},
        {"role": "user", "content": _batch(list(enumerate(texts)))},
    ]

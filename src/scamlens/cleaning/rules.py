"""The named cleaning rules, in the order they are applied.

An attempt (the winning version of an ``outreach_id``) is checked by each rule in
turn; the first rule that fails names the quarantine reason, and the attempt is not
counted. Row rules look at one attempt; ``runaway_dialing`` looks at a citizen's
attempts of one local day and module, after the row rules have passed them.

Rules can be switched off (``cleaning.disabled_rules``) and their thresholds set
(``cleaning.max_talk_seconds``, ``cleaning.daily_cap``). Switching off
``missing_required`` or ``bad_value`` is refused: an attempt without a time, channel
or region cannot be counted anywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from scamlens.errors import ConfigError
from scamlens.settings import CleaningSettings

__all__ = [
    "REASONS",
    "RULES",
    "Rule",
    "active_rules",
    "duckdb_timestamp",
    "reason_sql",
    "SUPERSEDED",
]

SUPERSEDED = "superseded"


@dataclass(frozen=True)
class Rule:
    """A named check. ``failing`` renders the SQL predicate true for a failing row."""

    code: str
    zh: str
    en: str
    failing: Callable[[CleaningSettings, str], str] | None
    """None for set-based rules, which the pipeline applies itself. The second
    argument is the run's as-of time, already written as a timestamp literal of the
    target SQL dialect (see :func:`reason_sql`), so predicates stay dialect-neutral."""
    detail: str
    """SQL giving the field the reason is about, for the quarantine's ``detail``."""
    mandatory: bool = False


def duckdb_timestamp(as_of: datetime) -> str:
    """``as_of`` as a DuckDB TIMESTAMPTZ literal: the default dialect of the rules."""
    return f"TIMESTAMPTZ '{as_of.isoformat()}'"


RULES: tuple[Rule, ...] = (
    Rule(
        "malformed_record",
        "整行无法解析为记录（字段数不符、不是 JSON 对象）",
        "The row could not be read as a record (wrong number of fields, not a JSON "
        "object); its raw text is kept, phone numbers redacted.",
        lambda s, a: "_malformed IS NOT NULL",
        "'row'",
        mandatory=True,
    ),
    Rule(
        "missing_required",
        "必填字段为空，或手机号与群众标识均为空",
        "A required field is empty, or both phone and citizen_id are.",
        lambda s, a: "missing_field IS NOT NULL",
        "missing_field",
        mandatory=True,
    ),
    Rule(
        "bad_value",
        "时间、布尔值或数字无法解析（时间须在 1901 至 9999 年间、时区名须为 IANA "
        "所收录），枚举值未知，区划代码不是 6 位数字，或年龄不在 0-120",
        "A time, bool or number does not parse (a time must lie in the years "
        "1901..9999, with a zone name the IANA database knows), an enum value is "
        "unknown, the region code is not 6 digits, or the age is outside 0..120.",
        lambda s, a: "bad_field IS NOT NULL",
        "bad_field",
        mandatory=True,
    ),
    Rule(
        "future_time",
        "发起时间晚于本次运行的截止时间（--as-of）",
        "initiated_at is later than the run's --as-of time.",
        lambda s, a: f"initiated_at > {a}",
        "'initiated_at'",
    ),
    Rule(
        "negative_duration",
        "通话、内容或播放时长为负数",
        "talk_seconds, content_seconds or played_seconds is below zero.",
        lambda s, a: "(talk_seconds < 0 OR content_seconds < 0 OR played_seconds < 0)",
        "(CASE WHEN talk_seconds < 0 THEN 'talk_seconds' WHEN content_seconds < 0 "
        "THEN 'content_seconds' ELSE 'played_seconds' END)",
    ),
    Rule(
        "outcome_without_connection",
        "未接通却有完整播放、确认准确、已受骗或通话时长",
        "Not connected, but fully played, confirmed accurate, reported defrauded, or "
        "talk_seconds > 0.",
        lambda s, a: (
            "(NOT connected AND (fully_played OR confirmed_accurate OR "
            "reported_defrauded OR coalesce(talk_seconds, 0) > 0))"
        ),
        "(CASE WHEN fully_played THEN 'fully_played' WHEN confirmed_accurate THEN "
        "'confirmed_accurate' WHEN reported_defrauded THEN 'reported_defrauded' "
        "ELSE 'talk_seconds' END)",
    ),
    Rule(
        "duration_outlier",
        "通话时长超过上限（默认 3600 秒）",
        "talk_seconds over the limit (3600 by default).",
        lambda s, a: f"talk_seconds > {float(s.max_talk_seconds)!r}",
        "'talk_seconds'",
    ),
    Rule(
        "runaway_dialing",
        "同一群众同一天同一模块的第 21 次及以后的触达（上限默认 20）",
        "Attempts to the same citizen on the same local day in the same module beyond "
        "the daily cap (20 by default), in order of initiated_at then outreach_id.",
        None,
        "'citizen_key'",
    ),
)

REASONS: tuple[str, ...] = (SUPERSEDED, *(r.code for r in RULES))
_BY_CODE = {r.code: r for r in RULES}


def active_rules(settings: CleaningSettings) -> tuple[Rule, ...]:
    """The rules in force, after checking the names of the disabled ones."""
    for code in settings.disabled_rules:
        if code not in _BY_CODE:
            raise ConfigError(
                f"cleaning.disabled_rules names `{code}`, which is not a rule; "
                f"rules are: {', '.join(_BY_CODE)}"
            )
        if _BY_CODE[code].mandatory:
            raise ConfigError(
                f"cleaning rule `{code}` cannot be switched off; remove it from "
                "cleaning.disabled_rules"
            )
    return tuple(r for r in RULES if r.code not in settings.disabled_rules)


def reason_sql(
    settings: CleaningSettings,
    as_of: datetime,
    *,
    timestamp_literal: Callable[[datetime], str] = duckdb_timestamp,
) -> tuple[str, str]:
    """SQL for the first failing row rule's code and its detail (NULL when passing).

    The predicates are portable SQL; only the as-of literal differs between engines,
    and ``timestamp_literal`` renders it (Spark passes its own).
    """
    stamp = timestamp_literal(as_of)
    reason, detail = [], []
    for rule in active_rules(settings):
        if rule.failing is None:
            continue
        predicate = rule.failing(settings, stamp)
        reason.append(f"WHEN {predicate} THEN '{rule.code}'")
        detail.append(f"WHEN {predicate} THEN {rule.detail}")
    return (
        f"(CASE {' '.join(reason)} END)",
        f"(CASE {' '.join(detail)} END)",
    )

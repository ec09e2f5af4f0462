"""Planting defects: each messy row gets exactly one, of a known kind.

The ground truth can only give exact expected counts if no planted row fails two
cleaning rules or fails one by accident. So every defect is applied to a distinct,
otherwise clean ordinary row, chosen among the rows where that defect is the *only*
thing wrong once applied: a negative talk time goes on a connected call, an outcome
flag without a connection on an attempt that did not connect, and so on. Runaway-task
rows are never touched (their own defect is the count).

Text-only defects (an unparseable timestamp, "maybe" as a boolean, "abc" as a number)
cannot exist in typed Parquet; there the same rows get a typed-representable
``bad_value`` instead (a malformed region, an unknown module, an age of 150), so the
row set and the counts per reason stay the same in both modes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np

from scamlens.simulate import profile
from scamlens.simulate.context import INVALID_REGIONS, SimContext
from scamlens.simulate.frame import QUARANTINED, REASONS, TAG_NORMAL, Frame
from scamlens.simulate.keys import stochastic_round

__all__ = [
    "BAD_TEXT",
    "DEFECTS",
    "Defect",
    "INVALID_VALUES",
    "OVERRIDE_COLUMNS",
    "apply_messes",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Defect:
    """One way of breaking a record: the quarantine reason and what is broken."""

    reason: str
    name: str
    text_only: bool = False

    @property
    def key(self) -> str:
        """``reason/name``, as used in the ground truth."""
        return f"{self.reason}/{self.name}"


DEFECTS: tuple[Defect, ...] = (
    Defect("missing_required", "outreach_id"),
    Defect("missing_required", "channel"),
    Defect("missing_required", "module"),
    Defect("missing_required", "region_code"),
    Defect("missing_required", "initiated_at"),
    Defect("missing_required", "connected"),
    Defect("missing_required", "phone_and_citizen_id"),
    Defect("bad_value", "initiated_at_text", text_only=True),
    Defect("bad_value", "bool_text", text_only=True),
    Defect("bad_value", "number_text", text_only=True),
    Defect("bad_value", "channel_unknown"),
    Defect("bad_value", "module_unknown"),
    Defect("bad_value", "fraud_type_unknown"),
    Defect("bad_value", "gender_unknown"),
    Defect("bad_value", "region_malformed"),
    Defect("bad_value", "age_out_of_range"),
    Defect("future_time", "initiated_after_as_of"),
    Defect("negative_duration", "talk_seconds"),
    Defect("negative_duration", "content_seconds"),
    Defect("negative_duration", "played_seconds"),
    Defect("outcome_without_connection", "fully_played"),
    Defect("outcome_without_connection", "confirmed_accurate"),
    Defect("outcome_without_connection", "reported_defrauded"),
    Defect("outcome_without_connection", "talk_seconds"),
    Defect("duration_outlier", "talk_seconds"),
)
_TYPED_STAND_IN = {
    "initiated_at_text": "region_malformed",
    "bool_text": "module_unknown",
    "number_text": "age_out_of_range",
}

INVALID_VALUES: dict[str, tuple[str, ...]] = {
    "channel": ("fax", "wechat", "telegram"),
    "module": ("marketing", "survey"),
    "fraud_type": ("lottery", "crypto_mining", "彩票诈骗"),
    "gender": ("X", "9"),
    "region_code": INVALID_REGIONS,
}
"""Spellings planted as unknown enum values; none is a code or an accepted alias."""

_BAD_TIMESTAMPS = (
    "2025-02-30T10:00:00",
    "2025-03-01T25:10:00+08:00",
    "2025-13-01T08:00:00",
    "昨天下午三点",
    "not-a-time",
    "2025-03-01T08:61:00",
)
_BAD_BOOLS = ("maybe", "2", "接通?", "-1")
_BAD_NUMBERS = ("abc", "十二", "12s", "?")
BAD_TEXT: tuple[str, ...] = _BAD_TIMESTAMPS + _BAD_BOOLS + _BAD_NUMBERS
"""Unparseable raw values; a row's ``override_val`` indexes this tuple."""

OVERRIDE_COLUMNS: tuple[str, ...] = (
    "initiated_at",
    "connected",
    "fully_played",
    "confirmed_accurate",
    "reported_defrauded",
    "age",
    "talk_seconds",
    "content_seconds",
    "played_seconds",
)
"""Columns whose rendered text a row's ``override_col`` may replace."""

_BAD_AGES = np.array([150.0, 121.0, 200.0, -1.0])

Apply = Callable[[np.random.Generator, SimContext, Frame, np.ndarray], None]


def apply_messes(
    rng: np.random.Generator, ctx: SimContext, frame: Frame, rows: int
) -> None:
    """Plant the configured share of each defect on ordinary rows of ``frame``.

    ``rows`` is the chunk's nominal size the rates apply to. Superseded versions and
    runaway tasks are planted elsewhere (:mod:`.versions`, :mod:`.runaway`).
    """
    rates = asdict(ctx.config.mess)
    taken = frame["tag"] != TAG_NORMAL
    for reason in REASONS:
        if reason == "runaway_dialing":
            continue
        wanted = stochastic_round(rng, rates[reason] * rows)
        if wanted == 0:
            continue
        kinds = [d for d in DEFECTS if d.reason == reason]
        for defect, count in zip(
            kinds, rng.multinomial(wanted, [1 / len(kinds)] * len(kinds)), strict=True
        ):
            name = defect.name
            if ctx.config.typed and defect.text_only:
                name = _TYPED_STAND_IN[name]
            chosen = _choose(rng, _eligible(ctx, frame, reason, name) & ~taken, count)
            # A private stream per defect, so that text-only defects and their typed
            # stand-ins leave the rest of the chunk identical in both modes.
            own = np.random.default_rng(rng.integers(0, 2**63))
            _APPLY[(reason, name)](own, ctx, frame, chosen)
            taken[chosen] = True
            frame["status"][chosen] = QUARANTINED
            frame["reason"][chosen] = REASONS.index(reason)
            frame["defect"][chosen] = _defect_index(reason, name)


def _defect_index(reason: str, name: str) -> int:
    for i, d in enumerate(DEFECTS):
        if d.reason == reason and d.name == name:
            return i
    raise KeyError(f"{reason}/{name}")


def _choose(rng: np.random.Generator, mask: np.ndarray, count: int) -> np.ndarray:
    pool = np.flatnonzero(mask)
    count = min(count, len(pool))
    return np.sort(rng.choice(pool, count, replace=False)) if count else pool[:0]


def _eligible(ctx: SimContext, frame: Frame, reason: str, name: str) -> np.ndarray:
    channel, connected = frame["channel"], frame["connected"]
    call = (channel == profile.VOICE) | (channel == profile.MANUAL)
    if reason == "negative_duration":
        if name == "talk_seconds":
            return call & (connected == 1)
        column = "content" if name == "content_seconds" else "played"
        return ~np.isnan(frame[column])
    if reason == "outcome_without_connection":
        return connected == 0
    if reason == "duration_outlier":
        return call & (connected == 1)
    return np.ones(len(frame), dtype=bool)


def _set(column: str, value: float) -> Apply:
    def apply(
        rng: np.random.Generator, ctx: SimContext, frame: Frame, rows: np.ndarray
    ) -> None:
        frame[column][rows] = value

    return apply


def _override(columns: tuple[str, ...], values: tuple[str, ...]) -> Apply:
    first = BAD_TEXT.index(values[0])

    def apply(
        rng: np.random.Generator, ctx: SimContext, frame: Frame, rows: np.ndarray
    ) -> None:
        picked = rng.integers(0, len(columns), len(rows))
        frame["override_col"][rows] = [
            OVERRIDE_COLUMNS.index(columns[i]) for i in picked
        ]
        frame["override_val"][rows] = first + rng.integers(0, len(values), len(rows))

    return apply


def _unknown(column: str, field: str, valid: int | None) -> Apply:
    def apply(
        rng: np.random.Generator, ctx: SimContext, frame: Frame, rows: np.ndarray
    ) -> None:
        base = len(ctx.region_codes) if valid is None else valid
        extra = len(INVALID_VALUES[field])
        frame[column][rows] = base + rng.integers(0, extra, len(rows))

    return apply


def _bad_age(
    rng: np.random.Generator, ctx: SimContext, frame: Frame, rows: np.ndarray
) -> None:
    frame["age"][rows] = _BAD_AGES[rng.integers(0, len(_BAD_AGES), len(rows))]


def _future(
    rng: np.random.Generator, ctx: SimContext, frame: Frame, rows: np.ndarray
) -> None:
    as_of = int(ctx.config.as_of.timestamp())
    target = as_of + rng.integers(60, 3 * 86_400, len(rows))
    shift = target - frame["initiated"][rows]
    frame["initiated"][rows] = target
    frame["updated"][rows] += shift


def _negative(column: str) -> Apply:
    def apply(
        rng: np.random.Generator, ctx: SimContext, frame: Frame, rows: np.ndarray
    ) -> None:
        if column == "content":
            frame[column][rows] = -frame[column][rows]
        else:
            frame[column][rows] = -rng.integers(1, 601, len(rows)).astype(float)

    return apply


def _talk_without_connection(
    rng: np.random.Generator, ctx: SimContext, frame: Frame, rows: np.ndarray
) -> None:
    frame["talk"][rows] = rng.integers(5, 121, len(rows)).astype(float)


def _outlier(
    rng: np.random.Generator, ctx: SimContext, frame: Frame, rows: np.ndarray
) -> None:
    limit = int(ctx.config.max_talk_seconds)
    talk = rng.integers(limit + 1, 5 * limit, len(rows))
    talk[rng.random(len(rows)) < 0.2] = limit + 1  # the edge case: one second over
    frame["talk"][rows] = talk.astype(float)


_APPLY: dict[tuple[str, str], Apply] = {
    ("missing_required", "outreach_id"): _set("id_null", True),
    ("missing_required", "channel"): _set("channel", -1),
    ("missing_required", "module"): _set("module", -1),
    ("missing_required", "region_code"): _set("region", -1),
    ("missing_required", "initiated_at"): _set("init_null", True),
    ("missing_required", "connected"): _set("connected", -1),
    ("missing_required", "phone_and_citizen_id"): _set("contact", 3),
    ("bad_value", "initiated_at_text"): _override(("initiated_at",), _BAD_TIMESTAMPS),
    ("bad_value", "bool_text"): _override(
        ("connected", "fully_played", "confirmed_accurate", "reported_defrauded"),
        _BAD_BOOLS,
    ),
    ("bad_value", "number_text"): _override(
        ("age", "talk_seconds", "content_seconds", "played_seconds"), _BAD_NUMBERS
    ),
    ("bad_value", "channel_unknown"): _unknown(
        "channel", "channel", len(profile.CHANNELS)
    ),
    ("bad_value", "module_unknown"): _unknown("module", "module", len(profile.MODULES)),
    ("bad_value", "fraud_type_unknown"): _unknown(
        "fraud", "fraud_type", len(profile.FRAUD_TYPES)
    ),
    ("bad_value", "gender_unknown"): _unknown("gender", "gender", len(profile.GENDERS)),
    ("bad_value", "region_malformed"): _unknown("region", "region_code", None),
    ("bad_value", "age_out_of_range"): _bad_age,
    ("future_time", "initiated_after_as_of"): _future,
    ("negative_duration", "talk_seconds"): _negative("talk"),
    ("negative_duration", "content_seconds"): _negative("content"),
    ("negative_duration", "played_seconds"): _negative("played"),
    ("outcome_without_connection", "fully_played"): _set("fully", 1),
    ("outcome_without_connection", "confirmed_accurate"): _set("confirmed", 1),
    ("outcome_without_connection", "reported_defrauded"): _set("reported", 1),
    ("outcome_without_connection", "talk_seconds"): _talk_without_connection,
    ("duration_outlier", "talk_seconds"): _outlier,
}

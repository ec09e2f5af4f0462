"""Rendering frames as Arrow tables: platform-export text, or typed for benchmarks.

Text mode writes every column as a string, the way a platform export does, which is
what lets unparseable values exist at all. It also varies spellings the contract
accepts: timestamps with ``+08:00``, without offset (local time) or in UTC with
``Z``; booleans as ``true``/``1``/``是``/``TRUE``; a few Chinese aliases of channels,
modules, fraud types and genders. The spelling style is a function of the record's
``outreach_id``, so all versions of a record are spelled alike and an "equal
``updated_at``" is equal as text too.

Typed mode writes timestamps (UTC instants, zone Asia/Shanghai), booleans and
doubles; only defects a typed column can hold appear there.
"""

from __future__ import annotations

import logging

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from scamlens.contract.columns import COLUMN_NAMES
from scamlens.contract.enums import ALIASES
from scamlens.simulate import profile
from scamlens.simulate.context import (
    CONTACT_BOTH,
    CONTACT_ID,
    CONTACT_PHONE,
    SimContext,
)
from scamlens.simulate.frame import Frame
from scamlens.simulate.keys import citizen_hex, hash_uniform, phone_numbers
from scamlens.simulate.messes import BAD_TEXT, INVALID_VALUES, OVERRIDE_COLUMNS

__all__ = ["TEXT_SCHEMA", "TYPED_SCHEMA", "render"]

logger = logging.getLogger(__name__)

TEXT_SCHEMA = pa.schema([(name, pa.string()) for name in COLUMN_NAMES])
_TS = pa.timestamp("us", tz="Asia/Shanghai")
_TYPES: dict[str, pa.DataType] = {
    "age": pa.float64(),
    "initiated_at": _TS,
    "connected": pa.bool_(),
    "talk_seconds": pa.float64(),
    "content_seconds": pa.float64(),
    "played_seconds": pa.float64(),
    "fully_played": pa.bool_(),
    "confirmed_accurate": pa.bool_(),
    "reported_defrauded": pa.bool_(),
    "updated_at": _TS,
}
TYPED_SCHEMA = pa.schema([(n, _TYPES.get(n, pa.string())) for n in COLUMN_NAMES])

_BOOL_WORDS = pa.array(["false", "true", "0", "1", "否", "是", "FALSE", "TRUE"])
_BOOL_STYLE_CUM = np.cumsum([0.88, 0.06, 0.03, 0.03])
_TS_STYLE_CUM = np.cumsum([0.85, 0.12, 0.03])
_TS_SUFFIX = pa.array(["+08:00", "", "Z"])
_OFFSET = 8 * 3600
_ALIAS_RATE = 0.02


def _aliases(field: str, codes: tuple[str, ...]) -> list[str | None]:
    reverse: dict[str, str] = {}
    for alias, code in ALIASES[field].items():
        reverse.setdefault(code, alias)
    return [reverse.get(code) for code in codes]


_CHANNEL_ALIAS = _aliases("channel", profile.CHANNELS)
_MODULE_ALIAS = _aliases("module", profile.MODULES)
_FRAUD_ALIAS = _aliases("fraud_type", profile.FRAUD_TYPES)
_GENDER_ALIAS = [
    None if g == "U" else a
    for g, a in zip(profile.GENDERS, ("男", "女", None), strict=True)
]


def render(ctx: SimContext, day: int, frame: Frame) -> pa.Table:
    """The frame's records as an Arrow table in contract column order."""
    if ctx.config.typed:
        return _typed(ctx, day, frame)
    return _text(ctx, day, frame)


def _common(ctx: SimContext, day: int, frame: Frame) -> dict[str, pa.Array]:
    date = ctx.day_date(day).strftime("%Y%m%d")
    return {
        "outreach_id": _ids("OR" + date, frame["seq"], frame["id_null"]),
        "lead_id": _ids("LD" + date, frame["lead"], frame["lead"] < 0),
        "phone": _phones(ctx, frame),
        "citizen_id": _pseudonyms(ctx, frame),
        "transcript": _take(pa.array(ctx.bank.strings), frame["transcript"]),
    }


def _text(ctx: SimContext, day: int, frame: Frame) -> pa.Table:
    cols = _common(ctx, day, frame)
    key = day * 10_000_000_000 + frame["seq"]
    seed = ctx.config.seed
    u_alias = hash_uniform(seed, key, 12)
    cols["channel"] = _enum(
        frame["channel"],
        profile.CHANNELS,
        "channel",
        u_alias,
        _CHANNEL_ALIAS,
        upper=True,
    )
    cols["module"] = _enum(
        frame["module"], profile.MODULES, "module", u_alias, _MODULE_ALIAS
    )
    cols["fraud_type"] = _enum(
        frame["fraud"], profile.FRAUD_TYPES, "fraud_type", u_alias, _FRAUD_ALIAS
    )
    cols["gender"] = _enum(
        frame["gender"], profile.GENDERS, "gender", u_alias, _GENDER_ALIAS
    )
    cols["region_code"] = _take(pa.array(ctx.region_vocab), frame["region"])
    ts_style = np.searchsorted(
        _TS_STYLE_CUM, hash_uniform(seed, key, 10), side="right"
    ).clip(0, 2)
    cols["initiated_at"] = _timestamps(frame["initiated"], frame["init_null"], ts_style)
    cols["updated_at"] = _timestamps(frame["updated"], frame["upd_null"], ts_style)
    bool_style = np.searchsorted(
        _BOOL_STYLE_CUM, hash_uniform(seed, key, 11), side="right"
    ).clip(0, 3)
    for name, column in (
        ("connected", "connected"),
        ("fully_played", "fully"),
        ("confirmed_accurate", "confirmed"),
        ("reported_defrauded", "reported"),
    ):
        values = frame[column]
        cols[name] = _take(
            _BOOL_WORDS, np.where(values < 0, -1, bool_style * 2 + values)
        )
    for name, column in (
        ("age", "age"),
        ("talk_seconds", "talk"),
        ("content_seconds", "content"),
        ("played_seconds", "played"),
    ):
        values = frame[column]
        cols[name] = pa.array(values, mask=np.isnan(values)).cast(pa.string())
    _apply_overrides(cols, frame)
    return pa.Table.from_arrays([cols[n] for n in COLUMN_NAMES], schema=TEXT_SCHEMA)


def _typed(ctx: SimContext, day: int, frame: Frame) -> pa.Table:
    cols = _common(ctx, day, frame)
    for name, column, vocab in (
        ("channel", "channel", profile.CHANNELS + INVALID_VALUES["channel"]),
        ("module", "module", profile.MODULES + INVALID_VALUES["module"]),
        ("fraud_type", "fraud", profile.FRAUD_TYPES + INVALID_VALUES["fraud_type"]),
        ("gender", "gender", profile.GENDERS + INVALID_VALUES["gender"]),
        ("region_code", "region", ctx.region_vocab),
    ):
        cols[name] = _take(pa.array(vocab), frame[column])
    for name, column, null in (
        ("initiated_at", "initiated", "init_null"),
        ("updated_at", "updated", "upd_null"),
    ):
        micros = frame[column] * 1_000_000
        cols[name] = pa.array(micros, mask=frame[null]).cast(_TS)
    for name, column in (
        ("connected", "connected"),
        ("fully_played", "fully"),
        ("confirmed_accurate", "confirmed"),
        ("reported_defrauded", "reported"),
    ):
        values = frame[column]
        cols[name] = pa.array(values == 1, mask=values < 0)
    for name, column in (
        ("age", "age"),
        ("talk_seconds", "talk"),
        ("content_seconds", "content"),
        ("played_seconds", "played"),
    ):
        values = frame[column]
        cols[name] = pa.array(values, mask=np.isnan(values))
    return pa.Table.from_arrays([cols[n] for n in COLUMN_NAMES], schema=TYPED_SCHEMA)


def _take(vocab: pa.Array, codes: np.ndarray) -> pa.Array:
    codes = np.asarray(codes, dtype=np.int64)
    return vocab.take(pa.array(codes, mask=codes < 0))


def _ids(prefix: str, seq: np.ndarray, null: np.ndarray) -> pa.Array:
    digits = pc.utf8_lpad(pa.array(seq, mask=null).cast(pa.string()), 10, "0")
    return pc.binary_join_element_wise(prefix, digits, "")


def _timestamps(epoch: np.ndarray, null: np.ndarray, style: np.ndarray) -> pa.Array:
    """ISO-8601 texts: Beijing time with ``+08:00``, without offset, or UTC ``Z``."""
    shown = np.where(style == 2, epoch, epoch + _OFFSET)
    text = pa.array(shown, mask=null).cast(pa.timestamp("s")).cast(pa.string())
    text = pc.utf8_replace_slice(text, 10, 11, "T")
    return pc.binary_join_element_wise(text, _TS_SUFFIX.take(pa.array(style)), "")


def _phones(ctx: SimContext, frame: Frame) -> pa.Array:
    has = np.isin(frame["contact"], (CONTACT_PHONE, CONTACT_BOTH))
    numbers = np.zeros(len(frame), dtype=np.int64)
    numbers[has] = phone_numbers(ctx.config.seed, frame["citizen"][has])
    return pa.array(numbers, mask=~has).cast(pa.string())


def _pseudonyms(ctx: SimContext, frame: Frame) -> pa.Array:
    has = np.isin(frame["contact"], (CONTACT_BOTH, CONTACT_ID))
    hexes = citizen_hex(ctx.config.seed, frame["citizen"][has])
    index = np.full(len(frame), -1, dtype=np.int64)
    index[has] = np.arange(int(has.sum()))
    return _take(hexes, index)


def _enum(
    codes: np.ndarray,
    valid: tuple[str, ...],
    field: str,
    u: np.ndarray,
    aliases: list[str | None],
    *,
    upper: bool = False,
) -> pa.Array:
    vocab = valid + INVALID_VALUES[field]
    text = _take(pa.array(vocab), codes)
    is_valid = (codes >= 0) & (codes < len(valid))
    has_alias = np.array(
        [a is not None for a in aliases] + [False] * (len(vocab) - len(valid))
    )
    alias_rows = is_valid & (u < _ALIAS_RATE) & has_alias[np.where(codes < 0, 0, codes)]
    if alias_rows.any():
        text = pc.replace_with_mask(
            text,
            pa.array(alias_rows),
            pa.array([aliases[c] for c in codes[alias_rows]], pa.string()),
        )
    if upper:
        upper_rows = is_valid & (u >= _ALIAS_RATE) & (u < 1.5 * _ALIAS_RATE)
        if upper_rows.any():
            text = pc.replace_with_mask(
                text,
                pa.array(upper_rows),
                pa.array([valid[c].upper() for c in codes[upper_rows]], pa.string()),
            )
    return text


def _apply_overrides(cols: dict[str, pa.Array], frame: Frame) -> None:
    target = frame["override_col"]
    if not (target >= 0).any():
        return
    for index, name in enumerate(OVERRIDE_COLUMNS):
        rows = target == index
        if rows.any():
            values = [BAD_TEXT[v] for v in frame["override_val"][rows]]
            cols[name] = pc.replace_with_mask(
                cols[name], pa.array(rows), pa.array(values, pa.string())
            )

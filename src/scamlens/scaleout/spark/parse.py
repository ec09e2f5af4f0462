"""Typed values and parse verdicts of landed records, compiled from the contract.

The Spark twin of :mod:`scamlens.cleaning.parse`: the same column kinds
(:class:`scamlens.contract.Kind`), enum codes and aliases, boolean spellings and
required columns drive it, so a new enum value or alias reaches both engines at once.
What a raw value *means* is DuckDB's reading of it; the text helpers
(:mod:`.text`, :mod:`.numbers`, :mod:`.timestamps`) reproduce that reading.

A typed source column (Parquet) takes the cheap path, as in DuckDB: a BOOLEAN,
TIMESTAMP or number is used as it is. The output has the typed contract columns
(``PARSED_COLUMNS``), ``_seq``, ``_malformed`` and the two verdict columns
``missing_field`` (first required field that is empty) and ``bad_field`` (first
field present but unusable), which the cleaning rules read.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scamlens.cleaning.parse import PARSED_COLUMNS
from scamlens.contract import ALIASES, BOOL_FALSE, BOOL_TRUE, COLUMNS, Kind, column
from scamlens.scaleout.spark.numbers import number_parts, number_value
from scamlens.scaleout.spark.text import guarded_trim, ident, literal, zs_trim
from scamlens.scaleout.spark.timestamps import (
    timestamp_fields,
    timestamp_instant,
    timestamp_parts,
    usable_instant,
    zone_names,
)

if TYPE_CHECKING:
    from pyspark.sql import DataFrame
    from pyspark.sql.types import DataType

__all__ = ["UNCHECKED", "parse_landed", "typed_columns"]

logger = logging.getLogger(__name__)

UNCHECKED = ("phone", "citizen_id", "outreach_id", "lead_id", "transcript")
"""Columns whose values are never a ``bad_value`` (free text and identifiers)."""
_NOT_PARSED = ("phone", "citizen_id")
_SPARK_TYPE = {
    Kind.TEXT: "STRING",
    Kind.ENUM: "STRING",
    Kind.REGION: "STRING",
    Kind.NUMBER: "DOUBLE",
    Kind.BOOL: "BOOLEAN",
    Kind.TIMESTAMP: "TIMESTAMP",
}


def _category(data_type: DataType) -> str:
    from pyspark.sql import types as T

    if isinstance(data_type, T.StringType | T.VarcharType | T.CharType):
        return "text"
    if isinstance(data_type, T.BooleanType):
        return "bool"
    if isinstance(data_type, T.NumericType):
        return "number"
    if isinstance(data_type, T.TimestampType | T.TimestampNTZType | T.DateType):
        return "time"
    return "other"


def _as_text(ref: str, category: str) -> str:
    return ref if category == "text" else f"CAST({ref} AS STRING)"


def _in_list(values: tuple[str, ...] | list[str]) -> str:
    return "(" + ", ".join(literal(v) for v in values) + ")"


def _enum(name: str, ref: str, category: str) -> str:
    codes = column(name).values
    mapping = {code.lower(): code for code in codes}
    mapping.update(
        {alias.lower(): code for alias, code in ALIASES.get(name, {}).items()}
    )
    value = _as_text(ref, category)
    slow = " ".join(
        f"WHEN {literal(raw)} THEN {literal(code)}" for raw, code in mapping.items()
    )
    return (
        f"(CASE WHEN {value} IN {_in_list(codes)} THEN {value} "
        f"WHEN {value} IS NULL THEN NULL "
        f"ELSE (CASE lower({zs_trim(value)}) {slow} ELSE NULL END) END)"
    )


def _bool(ref: str, category: str) -> str:
    if category == "bool":
        return ref
    if category == "number":
        return f"(CASE WHEN {ref} = 1 THEN true WHEN {ref} = 0 THEN false END)"
    value = f"lower({zs_trim(_as_text(ref, category))})"
    return (
        f"(CASE WHEN {value} IN {_in_list(BOOL_TRUE)} THEN true "
        f"WHEN {value} IN {_in_list(BOOL_FALSE)} THEN false END)"
    )


def _region(ref: str, category: str) -> str:
    value = guarded_trim(_as_text(ref, category))
    return f"(CASE WHEN {value} RLIKE '^[0-9]{{6}}$' THEN {value} END)"


def _simple_value(name: str, ref: str, category: str) -> str:
    kind = column(name).kind
    if kind is Kind.TEXT:
        return guarded_trim(_as_text(ref, category))
    if kind is Kind.ENUM:
        return _enum(name, ref, category)
    if kind is Kind.BOOL:
        return _bool(ref, category)
    if kind is Kind.REGION:
        return _region(ref, category)
    if kind is Kind.NUMBER and category == "number":
        return f"CAST({ref} AS DOUBLE)"
    if kind is Kind.TIMESTAMP and category == "time":
        # A naive timestamp is local wall time: the session zone is Asia/Shanghai.
        return usable_instant(f"CAST({ref} AS TIMESTAMP)")
    raise AssertionError(f"column {name} of kind {kind!r} needs the staged parse")


def _staged(name: str, category: str) -> bool:
    kind = column(name).kind
    return (kind is Kind.NUMBER and category != "number") or (
        kind is Kind.TIMESTAMP and category != "time"
    )


def typed_columns(frame: DataFrame, names: list[str]) -> DataFrame:
    """``frame`` with each contract column in ``names`` replaced by its typed value.

    Numbers and times read from text go through staged projections (regular
    expression groups, then fields, then the value), so each pattern runs once per
    value and the generated code stays small; other kinds are one expression each.
    """
    types = {f.name: f.dataType for f in frame.schema.fields}
    category = {n: _category(types[n]) for n in names}
    staged = [n for n in names if _staged(n, category[n])]
    timed = [n for n in staged if column(n).kind is Kind.TIMESTAMP]
    others = [ident(c) for c in frame.columns if c not in staged]
    first = [*others]
    for name in staged:
        text = zs_trim(_as_text(ident(name), category[name]))
        parts = number_parts(text) if name not in timed else timestamp_parts(text)
        first.append(f"{parts} AS {ident('_p_' + name)}")
    frame = frame.selectExpr(*first)
    zones = zone_names(frame.sparkSession) if timed else {}
    second = []
    for name in frame.columns:
        if name.startswith("_p_") and name[3:] in staged:
            source, ref = name[3:], ident(name)
            if source in timed:
                second.append(
                    f"{timestamp_fields(ref, zones)} AS {ident('_f_' + source)}"
                )
            else:
                second.append(f"{number_value(ref)} AS {ident(source)}")
        elif name in names:
            second.append(
                f"{_simple_value(name, ident(name), category[name])} AS {ident(name)}"
            )
        else:
            second.append(ident(name))
    frame = frame.selectExpr(*second)
    third = [
        f"{timestamp_instant(ident(name))} AS {ident(name[3:])}"
        if name.startswith("_f_") and name[3:] in timed
        else ident(name)
        for name in frame.columns
    ]
    frame = frame.selectExpr(*third)
    if not timed:
        return frame
    # A stage of its own: the instant expression is large, and Spark compiles each
    # projection into one Java method.
    fourth = [
        f"{usable_instant(ident(name))} AS {ident(name)}"
        if name in timed
        else ident(name)
        for name in frame.columns
    ]
    return frame.selectExpr(*fourth)


def _present(ref: str, data_type: DataType) -> str:
    if _category(data_type) == "text":
        return f"({guarded_trim(ref)} IS NOT NULL)"
    return f"({ref} IS NOT NULL)"


def _first(cases: list[tuple[str, str]]) -> str:
    if not cases:
        return "CAST(NULL AS STRING)"
    return (
        "(CASE " + " ".join(f"WHEN {c} THEN {literal(n)}" for c, n in cases) + " END)"
    )


def parse_landed(landed: DataFrame) -> DataFrame:
    """Typed contract columns and parse verdicts of a landed relation.

    ``landed`` carries ``_seq``, ``_malformed``, ``citizen_key`` and any subset of the
    contract columns (absent ones read as empty).
    """
    types = {f.name: f.dataType for f in landed.schema.fields}
    names = [c.name for c in COLUMNS if c.name not in _NOT_PARSED]
    base = ["_seq", "_malformed", f"{guarded_trim('citizen_key')} AS citizen_key"]
    for name in names:
        if name in types:
            base.append(ident(name))
            base.append(
                f"{_present(ident(name), types[name])} AS {ident('_has_' + name)}"
            )
        else:
            base.append(
                f"CAST(NULL AS {_SPARK_TYPE[column(name).kind]}) AS {ident(name)}"
            )
            base.append(f"false AS {ident('_has_' + name)}")
    typed = typed_columns(landed.selectExpr(*base), [n for n in names if n in types])
    return typed.selectExpr(*_verdict_columns(names))


def _verdict_columns(names: list[str]) -> list[str]:
    missing = [
        (f"NOT {ident('_has_' + c.name)}", c.name) for c in COLUMNS if c.required
    ]
    missing.append(("citizen_key IS NULL", "phone/citizen_id"))
    bad = [
        (f"{ident('_has_' + name)} AND {ident(name)} IS NULL", name)
        for name in names
        if name not in UNCHECKED
    ]
    # NaN is no number (scamlens.cleaning.parse): a bad value of its column.
    bad = [
        (f"({c}) OR isnan({ident(n)})" if column(n).kind is Kind.NUMBER else c, n)
        for c, n in bad
    ]
    bad.append(("age < 0 OR age > 120", "age"))
    fully = (
        "coalesce(fully_played, CASE WHEN played_seconds IS NOT NULL AND "
        "content_seconds IS NOT NULL THEN played_seconds >= content_seconds END, false)"
    )
    outer = {
        "fraud_type": "coalesce(fraud_type, 'unknown')",
        "gender": "coalesce(gender, 'U')",
        "fully_played": fully,
        "confirmed_accurate": "coalesce(confirmed_accurate, false)",
        "reported_defrauded": "coalesce(reported_defrauded, false)",
    }
    return [
        "_seq",
        "_malformed",
        *(f"{outer.get(n, ident(n))} AS {ident(n)}" for n in PARSED_COLUMNS),
        f"{_first(missing)} AS missing_field",
        f"{_first(bad)} AS bad_field",
    ]

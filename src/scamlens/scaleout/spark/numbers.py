"""Text to number exactly as DuckDB's ``TRY_CAST(text AS DOUBLE)`` reads it.

DuckDB and Spark disagree on what a number looks like: DuckDB accepts ``1_000``,
``+-1``, ``.5``, ``inf`` and ``nan(...)``; Spark (Java's ``parseDouble``) accepts
``5d``, ``0x1p3`` and ``NaN`` but not underscores. The grammar DuckDB accepts is
therefore written out here as a regular expression, and only what it matches is
handed to Spark's cast, after removing the underscores and folding the sign. Both
engines round decimal text to the nearest double, so equal text gives equal numbers.

The grammar, ASCII whitespace allowed around it::

    [+] [-] ( inf | infinity | nan [ "(" chars ")" ]          (any letter case)
            | digits [ "." [digits] ] [exponent] | "." digits [exponent] )
    digits   = [0-9]+ ( "_" [0-9]+ )*
    exponent = ( e | E ) [+|-] digits
"""

from __future__ import annotations

import logging

from scamlens.scaleout.spark.text import ASCII_SPACE, split_groups

__all__ = ["NUMBER_PATTERN", "number_parts", "number_value"]

logger = logging.getLogger(__name__)

_DIGITS = r"[0-9]+(?:_[0-9]+)*"
_DECIMAL = rf"(?:{_DIGITS}(?:\.(?:{_DIGITS})?)?|\.{_DIGITS})(?:[eE][+-]?{_DIGITS})?"
_WORD = r"(?i:infinity|inf|nan(?:\([A-Za-z0-9_]*\))?)"
NUMBER_PATTERN = rf"^{ASCII_SPACE}*(\+?)(-?)(?:({_WORD})|({_DECIMAL})){ASCII_SPACE}*$"
"""Groups: 1 plus sign, 2 minus sign, 3 a special word, 4 a decimal numeral."""


def number_parts(text: str) -> str:
    """Stage 1 (SQL): signs, word and numeral of ``text`` as an array, NULL if no match.

    ``text`` is expected trimmed of Unicode spaces already, as in the parse step.
    """
    return split_groups(text, NUMBER_PATTERN, 4)


def number_value(parts: str) -> str:
    """Stage 2 (SQL): the DOUBLE DuckDB's TRY_CAST gives (NULL: does not parse)."""
    negative = f"({parts}[1] = '-')"
    word = f"lower({parts}[2])"
    numeral = f"regexp_replace({parts}[3], '_', '')"
    special = (
        f"CASE WHEN startswith({word}, 'nan') THEN double('NaN') "
        f"WHEN {negative} THEN double('-Infinity') ELSE double('Infinity') END"
    )
    signed = (
        f"CAST(concat(CASE WHEN {negative} THEN '-' ELSE '' END, {numeral}) AS DOUBLE)"
    )
    return (
        f"(CASE WHEN {parts} IS NULL THEN NULL WHEN {word} <> '' THEN {special} "
        f"ELSE {signed} END)"
    )

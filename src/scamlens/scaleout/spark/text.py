"""Spark SQL text helpers, and whitespace handling that matches the DuckDB parse.

The Spark compiler renders Spark SQL text rather than building ``Column`` trees:
a column tree costs one Python-to-JVM call per node, and the parse step alone has
thousands of nodes, while a SQL string is parsed by the JVM in one call.

DuckDB's ``trim()`` strips Unicode *space separators* (category Zs: the ASCII space,
NO-BREAK SPACE, IDEOGRAPHIC SPACE ``\\u3000`` ...) from both ends, but not tabs or
line breaks; Spark's ``trim()`` strips only the ASCII space. So the Spark side strips
``\\p{Zs}`` with a regular expression instead. :func:`guarded_trim` mirrors the parse
step's text rule: a value is trimmed only when it starts or ends with an ASCII space
(a cheap test DuckDB runs first), and an empty result counts as no value.
"""

from __future__ import annotations

import logging

__all__ = [
    "ASCII_SPACE",
    "GROUP_SEPARATOR",
    "guarded_trim",
    "ident",
    "literal",
    "split_groups",
    "zs_trim",
]

logger = logging.getLogger(__name__)

ASCII_SPACE = r"[ \t\n\x0B\f\r]"
"""The characters DuckDB's number and time parsers skip (``isspace`` in C)."""

GROUP_SEPARATOR = "\u0001"
"""Joins captured groups in :func:`split_groups`; the grammars never capture it."""

_ZS_ENDS = r"^\p{Zs}+|\p{Zs}+$"


def literal(text: str) -> str:
    """``text`` as a Spark SQL string literal."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def ident(name: str) -> str:
    """``name`` as a quoted Spark SQL identifier."""
    return "`" + name.replace("`", "``") + "`"


def zs_trim(expr: str) -> str:
    """``expr`` without Unicode space separators at either end (DuckDB ``trim``)."""
    return f"regexp_replace({expr}, {literal(_ZS_ENDS)}, '')"


def guarded_trim(expr: str) -> str:
    """The parse step's text value: trimmed when it has an ASCII space at an end,
    then NULL when empty."""
    trimmed = (
        f"(CASE WHEN startswith({expr}, ' ') OR endswith({expr}, ' ') "
        f"THEN {zs_trim(expr)} ELSE {expr} END)"
    )
    return f"nullif({trimmed}, '')"


def split_groups(expr: str, pattern: str, groups: int) -> str:
    """Groups 1..``groups`` of ``pattern`` in ``expr`` as an array; NULL if no match.

    A single ``regexp_replace`` writes the groups out (an unmatched group is empty),
    so the pattern runs once however many groups are read. Spark's optimizer does not
    copy such an expression into each later use, which keeps generated code small.
    """
    template = GROUP_SEPARATOR.join(f"${i}" for i in range(1, groups + 1))
    joined = f"regexp_replace({expr}, {literal(pattern)}, {literal(template)})"
    return (
        f"(CASE WHEN {expr} RLIKE {literal(pattern)} "
        f"THEN split({joined}, {literal(GROUP_SEPARATOR)}, -1) END)"
    )

"""Compiling thousands of literal terms into one fast regular expression.

A plain alternation ``a|b|c|...`` makes Python's regex engine try every term at every
position. Folding the terms into a prefix trie first (``安全(?:账户|账号)``) means only
the branch that starts with the current character is tried, which keeps the rules
backend at tens of thousands of short texts per second on one core. Longer terms come
first within a branch, so the longest term wins at a position.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

__all__ = ["trie_regex"]

logger = logging.getLogger(__name__)

_END = ""


def _insert(trie: dict[str, Any], term: str) -> None:
    node = trie
    for ch in term:
        node = node.setdefault(ch, {})
    node[_END] = {}


def _render(node: dict[str, Any]) -> str:
    ends = _END in node
    branches = []
    for ch in sorted((k for k in node if k != _END), key=lambda c: -_depth(node[c])):
        branches.append(re.escape(ch) + _render(node[ch]))
    if not branches:
        return ""
    if len(branches) == 1 and not ends:
        return branches[0]
    body = "|".join(branches)
    if ends:
        return f"(?:{body})?"
    return f"(?:{body})"


def _depth(node: dict[str, Any]) -> int:
    children = [v for k, v in node.items() if k != _END]
    return 1 + max((_depth(c) for c in children), default=0)


def trie_regex(
    terms: Iterable[str], *, overlapping: bool = False
) -> re.Pattern[str] | None:
    """One compiled pattern matching any of ``terms`` (longest first); None if empty.

    With ``overlapping`` the pattern is a lookahead whose group 1 is the longest term
    starting at each position, so "一个股票群" yields both "个股" and "股票群"
    instead of letting the first term hide the second.
    """
    trie: dict[str, Any] = {}
    count = 0
    for term in terms:
        if term:
            _insert(trie, term)
            count += 1
    if not count:
        return None
    pattern = _render(trie)
    logger.debug("trie regex terms=%d length=%d", count, len(pattern))
    return re.compile(f"(?=({pattern}))" if overlapping else pattern)

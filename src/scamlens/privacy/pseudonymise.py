"""Keyed HMAC-SHA256 pseudonyms of phone numbers, in Python and in DuckDB SQL.

A phone number is first normalised (digits only; a leading 86/0086 country code
dropped from 13-digit numbers) so that ``+86 138-0013-8000`` and ``13800138000`` give
the same pseudonym. The pseudonym is the first 32 hex digits of
HMAC-SHA256(key, normalised number).

The SQL form computes the same HMAC inside DuckDB (two SHA-256 passes over the padded
key), so millions of numbers are pseudonymised at the door without a Python loop. The
raw number never leaves the query: only the pseudonym is selected.
"""

from __future__ import annotations

import hashlib
import hmac
import re

__all__ = [
    "PSEUDONYM_HEX_DIGITS",
    "normalise_phone",
    "normalise_phone_sql",
    "pseudonym",
    "pseudonym_sql",
]

PSEUDONYM_HEX_DIGITS = 32
_BLOCK = 64
_NON_DIGIT = re.compile(r"[^0-9]")


def normalise_phone(raw: str) -> str:
    """Digits of ``raw`` without a leading country code 86 or 0086."""
    digits = _NON_DIGIT.sub("", raw)
    if len(digits) == 15 and digits.startswith("0086"):
        digits = digits[4:]
    elif len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits


def pseudonym(key: bytes, raw_phone: str) -> str:
    """The pseudonym of ``raw_phone`` under ``key`` (reference implementation)."""
    digest = hmac.new(key, normalise_phone(raw_phone).encode(), hashlib.sha256)
    return digest.hexdigest()[:PSEUDONYM_HEX_DIGITS]


def _pads(key: bytes) -> tuple[str, str]:
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(_BLOCK, b"\0")
    inner = bytes(b ^ 0x36 for b in key).hex()
    outer = bytes(b ^ 0x5C for b in key).hex()
    return inner, outer


def normalise_phone_sql(expr: str) -> str:
    """SQL of :func:`normalise_phone` applied to the text ``expr``."""
    digits = f"regexp_replace({expr}, '[^0-9]', '', 'g')"
    return (
        f"(CASE WHEN length({digits}) = 15 AND starts_with({digits}, '0086') "
        f"THEN substr({digits}, 5) "
        f"WHEN length({digits}) = 13 AND starts_with({digits}, '86') "
        f"THEN substr({digits}, 3) ELSE {digits} END)"
    )


def pseudonym_sql(key: bytes, expr: str) -> str:
    """A DuckDB expression giving the pseudonym of the phone text in ``expr``.

    The key only appears as its two padded forms, as hex literals inside the query.
    """
    inner, outer = _pads(key)
    message = f"encode({normalise_phone_sql(expr)})"
    inner_hash = f"unhex(sha256(unhex('{inner}') || {message}))"
    return (
        f"substr(sha256(unhex('{outer}') || {inner_hash}), 1, {PSEUDONYM_HEX_DIGITS})"
    )

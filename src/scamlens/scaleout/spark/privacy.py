"""Keyed HMAC-SHA256 pseudonyms of phone numbers, as Spark column expressions.

The same construction as :mod:`scamlens.privacy.pseudonymise` (RFC 2104 with SHA-256,
the first 32 hex digits kept), built from Spark's ``sha2`` and ``unhex`` so executors
need nothing but Spark: ``sha2(outer_pad || unhex(sha2(inner_pad || number)))``. The
key only enters the plan as its two padded forms; the raw number is replaced by its
pseudonym in the first projection and never written anywhere.
"""

from __future__ import annotations

import hashlib
import logging

from scamlens.privacy import PSEUDONYM_HEX_DIGITS
from scamlens.scaleout.spark.text import zs_trim

__all__ = ["citizen_key_sql", "hmac_pads", "pseudonym_sql"]

logger = logging.getLogger(__name__)

_BLOCK = 64


def hmac_pads(key: bytes) -> tuple[str, str]:
    """The inner and outer HMAC-SHA256 pads of ``key``, as hex."""
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(_BLOCK, b"\0")
    inner = bytes(b ^ 0x36 for b in key).hex()
    outer = bytes(b ^ 0x5C for b in key).hex()
    return inner, outer


def _digits(phone: str) -> str:
    return f"regexp_replace(coalesce({phone}, ''), '[^0-9]', '')"


def _normalised(digits: str) -> str:
    return (
        f"(CASE WHEN length({digits}) = 15 AND startswith({digits}, '0086') "
        f"THEN substring({digits}, 5) "
        f"WHEN length({digits}) = 13 AND startswith({digits}, '86') "
        f"THEN substring({digits}, 3) ELSE {digits} END)"
    )


def pseudonym_sql(key: bytes, phone: str) -> str:
    """Spark SQL giving the pseudonym of the phone text in ``phone``.

    The same value as :func:`scamlens.privacy.pseudonym`; the key appears only as its
    two padded forms.
    """
    inner, outer = hmac_pads(key)
    message = f"CAST({_normalised(_digits(phone))} AS BINARY)"
    inner_hash = f"unhex(sha2(concat(unhex('{inner}'), {message}), 256))"
    digest = f"sha2(concat(unhex('{outer}'), {inner_hash}), 256)"
    return f"substring({digest}, 1, {PSEUDONYM_HEX_DIGITS})"


def citizen_key_sql(key: bytes, phone: str, citizen_id: str) -> str:
    """Spark SQL for the citizen key: the phone's pseudonym, else the ``citizen_id``."""
    return (
        f"(CASE WHEN {_digits(phone)} <> '' THEN {pseudonym_sql(key, phone)} "
        f"ELSE nullif({zs_trim(citizen_id)}, '') END)"
    )

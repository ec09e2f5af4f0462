"""Pseudonymisation of citizens' phone numbers at the door."""

from scamlens.privacy.keys import KEY_FILE, resolve_key
from scamlens.privacy.pseudonymise import (
    PSEUDONYM_HEX_DIGITS,
    normalise_phone,
    normalise_phone_sql,
    pseudonym,
    pseudonym_sql,
)

__all__ = [
    "KEY_FILE",
    "PSEUDONYM_HEX_DIGITS",
    "normalise_phone",
    "normalise_phone_sql",
    "pseudonym",
    "pseudonym_sql",
    "resolve_key",
]

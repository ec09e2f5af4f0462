"""Redacting phone numbers inside free text (raw lines of malformed records, logs).

Anything that looks like a mainland mobile number (optionally with +86) is replaced
by ``<phone:PSEUDONYM>``, the same pseudonym the record would have had.
"""

from __future__ import annotations

import re

from scamlens.privacy.pseudonymise import pseudonym

__all__ = ["PHONE_PATTERN", "PHONE_PREFILTER", "Redactor"]

# A cheap RE2-compatible test that every phone number passes (for Arrow kernels).
PHONE_PREFILTER = r"1[3-9][0-9]"
PHONE_PATTERN = re.compile(r"(?<!\d)(?:\+?86[-\s]?)?1[3-9]\d(?:[-\s]?\d){8}(?!\d)")


class Redactor:
    """Replaces phone numbers in text with their keyed pseudonyms."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def redact(self, text: str) -> str:
        return PHONE_PATTERN.sub(
            lambda m: f"<phone:{pseudonym(self._key, m.group(0))}>", text
        )

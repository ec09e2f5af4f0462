"""Dialogue intents of a citizen's reply to a warning, and the flags they imply.

The platform wants two facts from a reply: did the citizen confirm the warning was
accurate (they really were in contact with the scammer), and did they say they had
already been defrauded. The intents are the vocabulary analysts use for replies; the
flags follow from the intent, except that a victim who is being defrauded right now
may also have lost money already, which is decided separately from the loss cues.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["INTENT_LABELS", "DialogueLabel", "Intent"]

logger = logging.getLogger(__name__)


class Intent(StrEnum):
    """What the citizen's reply does."""

    BEING_DEFRAUDED_NOW = "being_defrauded_now"
    ALREADY_DEFRAUDED = "already_defrauded"
    ASKS_FOR_HELP = "asks_for_help"
    CONFIRMS = "confirms"
    DENIES = "denies"
    BUSY_OR_HUNG_UP = "busy_or_hung_up"
    OTHER = "other"


INTENT_LABELS: dict[str, tuple[str, str]] = {
    Intent.BEING_DEFRAUDED_NOW: ("正在被骗", "Being defrauded right now"),
    Intent.ALREADY_DEFRAUDED: ("已被骗", "Already defrauded"),
    Intent.ASKS_FOR_HELP: ("求助", "Asks for help"),
    Intent.CONFIRMS: ("确认预警", "Confirms the warning"),
    Intent.DENIES: ("否认", "Denies"),
    Intent.BUSY_OR_HUNG_UP: ("忙碌/挂断", "Busy or hung up"),
    Intent.OTHER: ("其他", "Other"),
}


@dataclass(frozen=True)
class DialogueLabel:
    """The verdict on one transcript."""

    intent: str
    confirmed_accurate: bool
    reported_defrauded: bool
    confidence: float
    evidence: tuple[str, ...] = ()
    fraud_type: str = "none"
    backend: str = "rules"
    note: str = ""

    @property
    def urgent(self) -> bool:
        return self.intent == Intent.BEING_DEFRAUDED_NOW

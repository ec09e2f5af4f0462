"""Dialogue understanding: intents of citizens' replies and the outcome flags."""

from scamlens.language.dialogue.intents import INTENT_LABELS, DialogueLabel, Intent
from scamlens.language.dialogue.labeller import DialogueRules

__all__ = ["INTENT_LABELS", "DialogueLabel", "DialogueRules", "Intent"]

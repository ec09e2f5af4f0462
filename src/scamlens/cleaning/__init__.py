"""Cleaning: parse raw records, resolve versions, apply named rules, quarantine."""

from scamlens.cleaning.parse import PARSED_COLUMNS, parsed_select
from scamlens.cleaning.pipeline import CleaningPlan
from scamlens.cleaning.rules import REASONS, RULES, SUPERSEDED, Rule, active_rules

__all__ = [
    "PARSED_COLUMNS",
    "REASONS",
    "RULES",
    "SUPERSEDED",
    "CleaningPlan",
    "Rule",
    "active_rules",
    "parsed_select",
]

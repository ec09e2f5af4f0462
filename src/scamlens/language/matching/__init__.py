"""Matching texts against the feature library: trie regex, negation, scoring."""

from scamlens.language.matching.matcher import (
    Evidence,
    Matcher,
    MatchResult,
    ScoringParams,
)
from scamlens.language.matching.negation import polarity

__all__ = ["Evidence", "MatchResult", "Matcher", "ScoringParams", "polarity"]

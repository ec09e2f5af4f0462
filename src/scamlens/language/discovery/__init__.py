"""Keeping the library alive: clustering unexplained texts, proposals, coverage."""

from scamlens.language.discovery.coverage import (
    coverage,
    coverage_history,
    record_coverage,
)
from scamlens.language.discovery.proposals import (
    Proposal,
    accept_proposals,
    discover,
    list_proposals,
    reject_proposals,
    save_proposals,
)

__all__ = [
    "Proposal",
    "accept_proposals",
    "coverage",
    "coverage_history",
    "discover",
    "list_proposals",
    "record_coverage",
    "reject_proposals",
    "save_proposals",
]

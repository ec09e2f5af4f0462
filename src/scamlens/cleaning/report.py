"""How many records a cleaning pass read, and where each of them went."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from scamlens.cleaning.rules import RULES, SUPERSEDED
from scamlens.errors import InternalError

__all__ = ["CleaningReport"]


@dataclass(frozen=True)
class CleaningReport:
    """``read == superseded + sum(quarantined.values()) + counted``, always."""

    read: int
    superseded: int
    counted: int
    quarantined: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_reasons(cls, by_reason: dict[str | None, int]) -> CleaningReport:
        """Build from row counts per reason (None = counted)."""
        quarantined = {rule.code: 0 for rule in RULES}
        for reason, n in by_reason.items():
            if reason is None or reason == SUPERSEDED:
                continue
            if reason not in quarantined:
                raise InternalError(f"cleaning produced unknown reason `{reason}`")
            quarantined[reason] += int(n)
        report = cls(
            read=int(sum(by_reason.values())),
            superseded=int(by_reason.get(SUPERSEDED, 0)),
            counted=int(by_reason.get(None, 0)),
            quarantined=quarantined,
        )
        report.check()
        return report

    @property
    def quarantined_total(self) -> int:
        return sum(self.quarantined.values())

    def check(self) -> None:
        """Raise :class:`InternalError` if the counts do not add up."""
        if self.read != self.superseded + self.quarantined_total + self.counted:
            raise InternalError(
                f"cleaning counts do not add up: read {self.read} != superseded "
                f"{self.superseded} + quarantined {self.quarantined_total} + counted "
                f"{self.counted}"
            )

    def as_dict(self) -> dict[str, Any]:
        return {
            "read": self.read,
            "superseded": self.superseded,
            "quarantined": dict(self.quarantined),
            "quarantined_total": self.quarantined_total,
            "counted": self.counted,
        }

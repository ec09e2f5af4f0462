"""What a streaming run is configured with, beyond the global settings.

The global :class:`scamlens.settings.StreamSettings` gives the allowed lateness, the
micro-batch bounds and the alert destinations; this object adds what a command line
chooses per run: the window tables, the segment sets tested for anomalies, and an
optional fixed cut-off time for the ``future_time`` rule.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from scamlens.anomaly import DetectionConfig
from scamlens.errors import UsageError
from scamlens.settings import StreamSettings
from scamlens.streaming.closing import DEFAULT_SEGMENT_SETS
from scamlens.streaming.windows import DEFAULT_SPECS, WindowSpec

__all__ = ["StreamConfig"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StreamConfig:
    """One streaming run.

    ``as_of`` None means live: the ``future_time`` rule compares with the wall clock
    at each micro-batch, and records whose time has come since are re-decided.
    ``detection`` None switches anomaly detection off. ``catch_up_factor`` lets a
    micro-batch grow to that many times ``commit_every_records`` while the source has
    a backlog (see :attr:`catch_up_records`).
    """

    specs: tuple[WindowSpec, ...] = DEFAULT_SPECS
    segment_sets: tuple[tuple[str, ...], ...] = DEFAULT_SEGMENT_SETS
    allowed_lateness_seconds: int = 86_400
    commit_every_records: int = 50_000
    commit_every_seconds: float = 1.0
    as_of: datetime | None = None
    detection: DetectionConfig | None = field(default_factory=DetectionConfig)
    catch_up_factor: int = 4

    @property
    def catch_up_records(self) -> int:
        """Micro-batch bound while catching up with a backlog: every transaction has
        a fixed cost (planning its SQL, closing windows), which bigger batches share
        out; live, the time bound keeps batches small anyway."""
        return self.commit_every_records * self.catch_up_factor

    def __post_init__(self) -> None:
        if self.allowed_lateness_seconds < 0:
            raise UsageError(
                f"allowed lateness is `{self.allowed_lateness_seconds}` seconds; it "
                "must be 0 or more"
            )
        if self.commit_every_records < 1 or self.commit_every_seconds <= 0:
            raise UsageError(
                f"micro-batch bounds `{self.commit_every_records}` records / "
                f"`{self.commit_every_seconds}` s must both be above 0"
            )
        if self.catch_up_factor < 1:
            raise UsageError(
                f"catch-up factor `{self.catch_up_factor}` must be 1 or more"
            )
        if len({s.table for s in self.specs}) != len(self.specs):
            raise UsageError("the same window spec is given twice")
        if not any(s.grain == "1d" for s in self.specs):
            raise UsageError(
                "keep at least one day window (1d:...): `metrics --live` reads it"
            )

    @classmethod
    def from_settings(cls, stream: StreamSettings, **changes: object) -> StreamConfig:
        """The run's config from the global stream settings, then ``changes``."""
        values: dict[str, object] = {
            "allowed_lateness_seconds": stream.allowed_lateness_seconds,
            "commit_every_records": stream.commit_every_records,
            "commit_every_seconds": stream.commit_every_seconds,
        }
        values.update({k: v for k, v in changes.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]

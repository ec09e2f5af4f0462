"""Running a simulation: chunk by chunk, each from its own random stream.

A chunk is one time slice of one day (a whole day unless ``per_day`` exceeds
``chunk_rows``). Its random generator is seeded with ``(seed, day, slice)``, so any
chunk can be regenerated alone: :meth:`Simulation.day` builds one day without the days
before it, and the same config always gives the same bytes.

Inside a chunk the order is: ordinary attempts, runaway tasks and spikes; ids in
time order; a few single records without ``updated_at``; the planted defects; the
older versions; the runaway labels; and finally the write order, by the time each
row reached the platform database.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from scamlens.errors import InternalError, UsageError
from scamlens.simulate.attempts import build_attempts
from scamlens.simulate.config import SimConfig
from scamlens.simulate.context import SEQ_PER_SLICE, SimContext
from scamlens.simulate.frame import TAG_NORMAL, Frame
from scamlens.simulate.keys import stochastic_round
from scamlens.simulate.messes import apply_messes
from scamlens.simulate.render import render
from scamlens.simulate.runaway import (
    build_spike,
    build_tasks,
    label_runaway,
    plan_tasks,
)
from scamlens.simulate.truth import GroundTruth, TruthBuilder
from scamlens.simulate.versions import add_versions

__all__ = ["DayResult", "Simulation"]

logger = logging.getLogger(__name__)

_BLANK_UPDATED_RATE = 0.01


@dataclass(frozen=True)
class DayResult:
    """One simulated day: its records sorted by ``initiated_at`` and its truth."""

    table: pa.Table
    truth: GroundTruth


class Simulation:
    """A configured simulation; iterate :meth:`tables`, then read :attr:`truth`."""

    def __init__(self, config: SimConfig) -> None:
        self.ctx = SimContext(config)
        self._truth: GroundTruth | None = None

    @property
    def config(self) -> SimConfig:
        """The validated config."""
        return self.ctx.config

    def chunks(self) -> list[tuple[int, int]]:
        """(day, slice) of every chunk, in output order."""
        return [(d, s) for d in range(self.config.days) for s in range(self.ctx.slices)]

    def expected_rows(self) -> int:
        """Rows the simulation will write, anomaly spikes excluded (for progress)."""
        return self.config.days * self.config.per_day

    def tables(self) -> Iterator[pa.Table]:
        """Yield the records chunk by chunk; the truth is complete afterwards."""
        builder = TruthBuilder(self.ctx)
        for day, slice_ in self.chunks():
            frame = self.frame(day, slice_)
            builder.add(day, frame)
            yield render(self.ctx, day, frame)
        self._truth = _checked(builder.finish())

    @property
    def truth(self) -> GroundTruth:
        """The ground truth; only after :meth:`tables` has been fully consumed."""
        if self._truth is None:
            raise UsageError(
                "the ground truth is not ready: consume Simulation.tables() to the end "
                "first, or call scamlens.simulate.ground_truth(config)"
            )
        return self._truth

    def compute_truth(self) -> GroundTruth:
        """Generate every chunk without rendering and return the ground truth."""
        builder = TruthBuilder(self.ctx)
        for day, slice_ in self.chunks():
            builder.add(day, self.frame(day, slice_))
        self._truth = _checked(builder.finish())
        return self._truth

    def day(self, day: int) -> DayResult:
        """Records of simulated ``day`` sorted by ``initiated_at``, with their truth.

        Rows keep write order among equal times, so older versions still come before
        the newer (a re-sent stale copy after it). Rows whose ``initiated_at`` is
        blank or unparseable sit where their real time would be.
        """
        if not 0 <= day < self.config.days:
            raise UsageError(
                f"day `{day}` is outside the simulation; "
                f"expected 0..{self.config.days - 1}"
            )
        builder = TruthBuilder(self.ctx)
        frames = []
        for slice_ in range(self.ctx.slices):
            frame = self.frame(day, slice_)
            builder.add(day, frame)
            frames.append(frame)
        whole = Frame.concat(frames)
        order = np.lexsort((np.arange(len(whole)), whole["initiated"]))
        table = render(self.ctx, day, whole.take(order))
        return DayResult(table, _checked(builder.finish()))

    def frame(self, day: int, slice_: int) -> Frame:
        """The labelled rows of one chunk, in write order (deterministic)."""
        ctx, cfg = self.ctx, self.config
        rng = np.random.default_rng(np.random.SeedSequence([cfg.seed, day, slice_]))
        rows = ctx.slice_rows(slice_)
        older = stochastic_round(rng, cfg.mess.superseded * rows)
        tasks = plan_tasks(rng, ctx, rows)
        room = rows // 4
        older = min(older, room)
        tasks = tasks[np.cumsum(tasks) <= room - older]
        frame = Frame.concat(
            [
                build_attempts(rng, ctx, day, slice_, rows - older - int(tasks.sum())),
                build_tasks(rng, ctx, day, slice_, tasks),
                build_spike(rng, ctx, day, slice_),
            ]
        )
        _assign_ids(frame, slice_)
        blank = (frame["tag"] == TAG_NORMAL) & (
            rng.random(len(frame)) < _BLANK_UPDATED_RATE
        )
        frame["upd_null"] = frame["upd_null"] | blank
        apply_messes(rng, ctx, frame, rows)
        frame = add_versions(rng, ctx, frame, older)
        label_runaway(frame, cfg.daily_cap)
        logger.debug("chunk day=%d slice=%d rows=%d", day, slice_, len(frame))
        return frame.take(np.lexsort((frame["order"], frame["write"])))


def _assign_ids(frame: Frame, slice_: int) -> None:
    """Outreach ids grow with ``initiated_at``, as a platform sequence would."""
    order = np.lexsort((np.arange(len(frame)), frame["initiated"]))
    seq = np.empty(len(frame), dtype=np.int64)
    seq[order] = slice_ * SEQ_PER_SLICE + np.arange(len(frame))
    frame["seq"] = seq
    frame["order"] = seq


def _checked(truth: GroundTruth) -> GroundTruth:
    counts = truth.data["counts"]
    if counts["counted"] != truth.data["indicators"]["initiated"]:
        raise InternalError(
            f"simulator truth is inconsistent: counted `{counts['counted']}` but "
            f"initiated `{truth.data['indicators']['initiated']}`; please report it"
        )
    return truth

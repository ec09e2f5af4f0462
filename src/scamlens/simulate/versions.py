"""Older versions of records: the platform writes a record, then corrects it.

A call result syncs late, an operator ticks the outcome boxes after hanging up, a
dialler misreported a connection: the record is written again under the same
``outreach_id``. The older copies are planted before the final one in write order,
in five timing patterns that exercise every branch of the version rule:

``later``       the correction has a strictly later ``updated_at`` (most common);
``equal``       both versions carry the same ``updated_at``: read order decides;
``missing``     neither version has an ``updated_at``: read order decides;
``late_stale``  an older copy (smaller ``updated_at``) is re-sent *after* the newer;
``duplicate``   an exact copy delivered twice.

Only ``duplicate`` copies are identical to the version read just before them (the
others differ at least in ``gender`` or ``updated_at``), so a core that drops
identical re-reads instead of counting them as superseded can reconcile exactly with
``counts.unchanged_rereads`` of the truth.

In every pattern the final row both has the greatest (or an equal, or no)
``updated_at`` and is the winner by read order, so the outcome does not depend on how
a missing ``updated_at`` compares with a present one. What an older copy holds is
irrelevant to cleaning (it is only ``superseded``); some are deliberately defective.
"""

from __future__ import annotations

import logging

import numpy as np

from scamlens.simulate import profile
from scamlens.simulate.context import SimContext
from scamlens.simulate.frame import SUPERSEDED, TAG_NORMAL, TAG_PREDECESSOR, Frame

__all__ = ["CONTENT_KINDS", "TIMINGS", "add_versions"]

logger = logging.getLogger(__name__)

TIMINGS: tuple[str, ...] = ("later", "equal", "missing", "late_stale", "duplicate")
_TIMING_SHARE = np.array([0.60, 0.12, 0.10, 0.08, 0.10])
CONTENT_KINDS: tuple[str, ...] = (
    "early",
    "flags_pending",
    "flipped",
    "defective",
    "copy",
)
_CONTENT_SHARE = np.array([0.40, 0.30, 0.20, 0.10])
_LATER, _EQUAL, _MISSING, _STALE, _DUPLICATE = range(5)
_EARLY, _PENDING, _FLIPPED, _DEFECTIVE, _COPY = range(5)


def add_versions(
    rng: np.random.Generator, ctx: SimContext, frame: Frame, count: int
) -> Frame:
    """``frame`` plus ``count`` older versions of some of its ordinary rows."""
    if count <= 0:
        return frame
    sizes = np.where(rng.random(count) < 0.15, 2, 1)
    sizes = sizes[: int(np.searchsorted(np.cumsum(sizes), count)) + 1]
    sizes[-1] -= int(sizes.sum() - count)
    sizes = sizes[sizes > 0]
    pool = np.flatnonzero(
        (frame["tag"] == TAG_NORMAL) & ~frame["id_null"] & ~frame["upd_null"]
    )
    groups = min(len(sizes), len(pool))
    if groups == 0:
        return frame
    sizes = sizes[:groups]
    winners = np.sort(rng.choice(pool, groups, replace=False))
    timing = rng.choice(len(_TIMING_SHARE), groups, p=_TIMING_SHARE)
    # Two older versions follow the natural progression, with growing times.
    timing = np.where(sizes == 2, _LATER, timing)
    step = rng.integers(60, 1801, groups)
    rep = np.repeat(np.arange(groups), sizes)
    position = np.arange(len(rep)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    older = frame.take(winners[rep])
    content = rng.choice(len(_CONTENT_SHARE), len(rep), p=_CONTENT_SHARE)
    content = np.where(
        sizes[rep] == 2, np.where(position == 0, _EARLY, _PENDING), content
    )
    content = np.where(timing[rep] == _DUPLICATE, _COPY, content)
    _shape_content(rng, older, content)
    _time(rng, frame, older, winners, timing, sizes, step, rep, position)
    older["status"] = np.full(len(rep), SUPERSEDED)
    older["reason"] = np.full(len(rep), -1)
    older["defect"] = np.full(len(rep), -1)
    older["tag"] = np.full(len(rep), TAG_PREDECESSOR)
    older["version_kind"] = timing[rep] * len(CONTENT_KINDS) + content
    keep_override = content == _COPY
    older["override_col"] = np.where(keep_override, older["override_col"], -1)
    older["override_val"] = np.where(keep_override, older["override_val"], -1)
    return Frame.concat([frame, older])


def _shape_content(rng: np.random.Generator, older: Frame, content: np.ndarray) -> None:
    """Turn copies of the final rows into plausible earlier states."""
    n = len(older)
    channel = older["channel"]
    call = (channel == profile.VOICE) | (channel == profile.MANUAL)
    not_copy = content != _COPY
    for column in ("fully", "confirmed", "reported"):
        older[column] = np.where(not_copy, -1, older[column])
    older["transcript"] = np.where(not_copy, -1, older["transcript"])
    # A first write without the citizen's gender keeps every older version different
    # from the next one: only ``duplicate`` copies are identical re-reads.
    gender = older["gender"]
    older["gender"] = np.where(not_copy, np.where(gender == -1, 2, -1), gender)
    was = older["connected"]
    connected = np.where(content == _EARLY, 0, was)
    connected = np.where(content == _FLIPPED, np.where(was == 1, 0, 1), connected)
    connected = np.where(content == _DEFECTIVE, 0, connected)
    older["connected"] = connected
    fresh_talk = rng.integers(5, 61, n).astype(float)
    talk = np.where((content != _COPY) & (connected == 0) & call, 0.0, older["talk"])
    talk = np.where((content == _FLIPPED) & (connected == 1) & call, fresh_talk, talk)
    older["talk"] = talk
    played = older["played"]
    older["played"] = np.where(
        not_copy & (connected == 0) & ~np.isnan(played), 0.0, played
    )
    # A defective first write: "confirmed" ticked on an attempt marked unconnected.
    older["confirmed"] = np.where(content == _DEFECTIVE, 1, older["confirmed"])


def _time(
    rng: np.random.Generator,
    frame: Frame,
    older: Frame,
    winners: np.ndarray,
    timing: np.ndarray,
    sizes: np.ndarray,
    step: np.ndarray,
    rep: np.ndarray,
    position: np.ndarray,
) -> None:
    """Set ``updated_at`` and write times of older and final versions."""
    base_updated = frame["updated"][winners]
    base_write = frame["write"][winners]
    moves = (timing == _LATER) | (timing == _MISSING) | (timing == _STALE)
    new_updated = np.where(moves, base_updated + sizes * step, base_updated)
    new_write = np.where(moves, base_write + sizes * step, base_write)
    frame["updated"][winners] = new_updated
    frame["write"][winners] = new_write
    missing = timing == _MISSING
    frame["upd_null"][winners] = frame["upd_null"][winners] | missing

    t = timing[rep]
    own = base_updated[rep] + position * step[rep]
    updated = np.where(np.isin(t, (_EQUAL, _DUPLICATE)), new_updated[rep], own)
    write = updated.copy()
    back = rng.integers(1, 301, len(rep))
    write = np.where(t == _EQUAL, new_write[rep] - back, write)
    write = np.where(t == _DUPLICATE, new_write[rep] - np.minimum(back, 120), write)
    write = np.where(
        t == _STALE, new_write[rep] + rng.integers(1, 601, len(rep)), write
    )
    older["updated"] = updated
    older["write"] = write
    older["upd_null"] = np.where(t == _MISSING, True, older["upd_null"])

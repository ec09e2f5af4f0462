"""Runaway dialling: a task stuck in a loop calls the same citizens again and again.

Two sources: the ``runaway_dialing`` mess (a task dials one citizen ``cap+10`` to
``cap+40`` times in a day, 30-60 with the default cap of 20) and the ``volume_spike``
anomaly (a task redials a whole list of citizens within an hour, each about twice the
cap). Their targets live in their own citizen-index namespace, so nobody else ever
shares their phone number, and every row is otherwise clean: exactly the attempts
beyond the ``daily_cap``-th of each citizen, ordered by time, are quarantined. The
attempts of one citizen are at distinct seconds, so the ``outreach_id`` tie-break
of the rule never matters.
"""

from __future__ import annotations

import logging

import numpy as np

from scamlens.errors import ConfigError
from scamlens.simulate import profile
from scamlens.simulate.context import (
    CONTACT_PHONE,
    RUNAWAY_BASE,
    RUNAWAY_PER_CHUNK,
    SEQ_PER_SLICE,
    ActiveAnomaly,
    SimContext,
)
from scamlens.simulate.frame import (
    QUARANTINED,
    REASONS,
    TAG_RUNAWAY,
    TAG_SPIKE,
    Frame,
)
from scamlens.simulate.keys import stochastic_round
from scamlens.simulate.transcripts import Category

__all__ = [
    "build_spike",
    "build_tasks",
    "label_runaway",
    "plan_tasks",
    "spike_expectation",
]

logger = logging.getLogger(__name__)

_SPIKE_OFFSET = RUNAWAY_PER_CHUNK - 4096
_SPIKE_CITIZENS = 1024
"""At most four spikes a chunk, each of at most this many citizens."""
_LEAD_OFFSET = SEQ_PER_SLICE // 2
_CONTENT = 60.0
_MIX_CUM = np.cumsum(profile.FRAUD_MIX / profile.FRAUD_MIX.sum())


def plan_tasks(rng: np.random.Generator, ctx: SimContext, rows: int) -> np.ndarray:
    """Attempts per runaway task of a chunk of ``rows`` (about 25 quarantined each)."""
    cap = ctx.config.daily_cap
    tasks = stochastic_round(rng, ctx.config.mess.runaway_dialing * rows / 25)
    tasks = min(tasks, _SPIKE_OFFSET)
    return rng.integers(cap + 10, cap + 41, tasks)


def build_tasks(
    rng: np.random.Generator, ctx: SimContext, day: int, slice_: int, sizes: np.ndarray
) -> Frame:
    """Rows of the runaway tasks of one chunk, one citizen and one module per task."""
    n_tasks = len(sizes)
    if n_tasks == 0:
        return Frame.empty(0)
    key = (day * ctx.slices + slice_) * RUNAWAY_PER_CHUNK
    task = np.repeat(np.arange(n_tasks), sizes)
    citizen = RUNAWAY_BASE + key + task
    publicity = rng.random(n_tasks) < 0.4
    fraud = np.searchsorted(_MIX_CUM, rng.random(n_tasks), side="right")
    fraud = np.where(publicity, -1, np.minimum(fraud, len(profile.FRAUD_TYPES) - 2))
    lo, hi = ctx.slice_range(slice_)
    start = lo + rng.random(n_tasks) * (hi - lo)
    start = np.where(publicity, np.clip(start, 9 * 3600, 19 * 3600), start)
    gaps = rng.integers(20, 601, len(task))
    first = np.cumsum(sizes) - sizes
    gaps[first] = 0
    offset = np.cumsum(gaps) - np.repeat(np.cumsum(gaps)[first], sizes)
    span = offset[np.cumsum(sizes) - 1]
    start = np.minimum(start.astype(np.int64), 86_399 - span)
    seconds = start[task] + offset
    module = np.where(publicity, profile.PUBLICITY, profile.WARNING)[task]
    lead = np.where(
        publicity, -1, slice_ * SEQ_PER_SLICE + _LEAD_OFFSET + np.arange(n_tasks)
    )[task]
    rank = np.arange(len(task)) - first[task]
    frame = _dial(rng, ctx, citizen, ctx.day_start(day) + seconds, rank)
    frame["module"] = module
    frame["fraud"] = fraud[task]
    frame["lead"] = lead
    frame["tag"] = np.full(len(task), TAG_RUNAWAY)
    _transcripts(rng, ctx, frame)
    return frame


def spike_expectation(ctx: SimContext, anomaly: ActiveAnomaly) -> float:
    """Ordinary rows the spiked region is expected to have in the anomaly window."""
    warning, publicity = profile.hourly_lead_weights()
    weights = warning + publicity
    cum = np.concatenate([[0.0], np.cumsum(weights) / weights.sum()])
    start = anomaly.start - ctx.day_start(anomaly.day)
    end = min(anomaly.end - ctx.day_start(anomaly.day), 86_400)
    share = np.interp(end, np.arange(25) * 3600.0, cum) - np.interp(
        start, np.arange(25) * 3600.0, cum
    )
    region = ctx.region_share[anomaly.region] if anomaly.region >= 0 else 1.0
    return float(ctx.config.per_day * share * region)


def build_spike(
    rng: np.random.Generator, ctx: SimContext, day: int, slice_: int
) -> Frame:
    """Rows of the ``volume_spike`` anomalies starting in this slice."""
    lo, hi = ctx.slice_range(slice_)
    parts = []
    for number, anomaly in enumerate(ctx.anomalies_of("volume_spike", day)):
        offset = anomaly.start - ctx.day_start(day)
        if not lo <= offset < hi:
            continue
        parts.append(_spike(rng, ctx, day, slice_, number, anomaly))
    return Frame.concat(parts)


def _spike(
    rng: np.random.Generator,
    ctx: SimContext,
    day: int,
    slice_: int,
    number: int,
    anomaly: ActiveAnomaly,
) -> Frame:
    if anomaly.channel not in (-1, profile.VOICE, profile.MANUAL):
        raise ConfigError(
            f"volume_spike channel `{anomaly.spec.segment_dict().get('channel')}` is "
            "not a call channel; use voice or manual_call"
        )
    cap = ctx.config.daily_cap
    window = min(anomaly.end, ctx.day_start(day) + 86_400) - anomaly.start
    per = min(2 * cap, window)
    rows = round(anomaly.spec.factor * spike_expectation(ctx, anomaly))
    rows = int(min(max(rows, 2 * per), _SPIKE_CITIZENS * per))
    citizens = max(2, rows // per)
    counts = np.full(citizens, rows // citizens) + (
        np.arange(citizens) < rows % citizens
    )
    counts = np.minimum(counts, window)
    key = (day * ctx.slices + slice_) * RUNAWAY_PER_CHUNK + _SPIKE_OFFSET
    citizen = (
        RUNAWAY_BASE
        + key
        + number * _SPIKE_CITIZENS
        + np.repeat(np.arange(citizens), counts)
    )
    times = np.concatenate(
        [np.sort(rng.choice(window, c, replace=False)) for c in counts]
    )
    rank = np.concatenate([np.arange(c) for c in counts])
    frame = _dial(rng, ctx, citizen, anomaly.start + times, rank)
    if anomaly.region >= 0:
        frame["region"] = np.full(len(frame), anomaly.region)
    if anomaly.channel >= 0:
        frame["channel"] = np.full(len(frame), anomaly.channel)
    module = anomaly.module if anomaly.module >= 0 else profile.PUBLICITY
    frame["module"] = np.full(len(frame), module)
    frame["fraud"] = np.full(len(frame), anomaly.fraud)
    frame["tag"] = np.full(len(frame), TAG_SPIKE)
    _transcripts(rng, ctx, frame)
    return frame


def _dial(
    rng: np.random.Generator,
    ctx: SimContext,
    citizen: np.ndarray,
    initiated: np.ndarray,
    rank: np.ndarray,
) -> Frame:
    """Voice attempts by a stuck dialler: answered at first, then ignored."""
    n = len(citizen)
    frame = Frame.empty(n)
    people = ctx.citizens(citizen)
    frame["citizen"] = citizen
    frame["contact"] = np.full(n, CONTACT_PHONE)
    frame["region"] = people.region
    frame["age"] = people.age
    frame["gender"] = people.gender
    frame["channel"] = np.full(n, profile.VOICE)
    frame["initiated"] = initiated
    connected = rng.random(n) < np.where(rank < 3, 0.5, 0.04)
    frame["connected"] = connected.astype(np.int8)
    talk = np.where(connected, rng.integers(3, 31, n), 0).astype(float)
    frame["talk"] = talk
    frame["content"] = np.full(n, _CONTENT)
    frame["played"] = np.where(connected, np.maximum(talk - 1, 0), 0.0)
    frame["fully"] = np.where(rng.random(n) < 0.5, -1, 0)
    frame["updated"] = initiated + talk.astype(np.int64) + rng.integers(5, 91, n)
    frame["write"] = frame["updated"]
    return frame


def _transcripts(rng: np.random.Generator, ctx: SimContext, frame: Frame) -> None:
    category = np.where(frame["connected"] == 1, int(Category.ANNOYED), -1)
    frame["transcript"] = ctx.bank.pick(rng, category, frame["fraud"])


def label_runaway(frame: Frame, cap: int) -> None:
    """Quarantine each runaway target's attempts beyond the ``cap``-th of the day."""
    rows = np.flatnonzero((frame["tag"] == TAG_RUNAWAY) | (frame["tag"] == TAG_SPIKE))
    if len(rows) == 0:
        return
    citizen = frame["citizen"][rows]
    order = np.lexsort((frame["seq"][rows], frame["initiated"][rows], citizen))
    rows, citizen = rows[order], citizen[order]
    starts = np.r_[0, np.flatnonzero(np.diff(citizen)) + 1]
    sizes = np.diff(np.r_[starts, len(rows)])
    rank = np.arange(len(rows)) - np.repeat(starts, sizes)
    beyond = rows[rank >= cap]
    frame["status"][beyond] = QUARANTINED
    frame["reason"][beyond] = REASONS.index("runaway_dialing")

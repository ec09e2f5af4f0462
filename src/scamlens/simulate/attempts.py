"""Leads and the attempts the platform makes for them, vectorised step by step.

A lead is either a warning (a citizen was just contacted by a suspected scammer) or a
publicity push. A warning is worked like a real centre does: an AI voice call (or a
human one), a voice retry if nobody answered, an SMS or flash SMS if calls failed, a
human call for high-risk citizens who picked up, and a follow-up call hours later. A
publicity push is one video SMS, SMS, voice call or flash SMS. Each step is computed
for all leads at once; whether an attempt connects depends on the channel, the
citizen's age, the hour and the anomalies active at that moment.

Every attempt stays on the lead's local day, and a citizen gets at most one lead a
day (see :func:`_citizens`), so no ordinary citizen is dialled more than four times a
day in one module: only planted runaway tasks reach the ``daily_cap``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from scamlens.simulate import profile
from scamlens.simulate.context import SEQ_PER_SLICE, SimContext
from scamlens.simulate.frame import Frame
from scamlens.simulate.outcomes import Latent, fill_outcomes
from scamlens.simulate.profile import (
    FLASH,
    FOLLOW_UP,
    MANUAL,
    PUBLICITY,
    SMS,
    VIDEO,
    VOICE,
    WARNING,
)

__all__ = ["build_attempts", "connect_chance"]

logger = logging.getLogger(__name__)

_DAY = 86_400
_UNKNOWN_FRAUD = profile.FRAUD_TYPES.index("unknown")
_PUBLICITY_CHANNELS = np.array([VIDEO, SMS, VOICE, FLASH])
_PUBLICITY_CUM = np.cumsum([0.40, 0.30, 0.25, 0.05])
_BASE = np.array([profile.CONNECT_BASE[c] for c in range(len(profile.CHANNELS))])
_MIX = profile.FRAUD_MIX * profile.FRAUD_AGE_TILT
_MIX_CUM = np.cumsum(_MIX / _MIX.sum(axis=1, keepdims=True), axis=1)


@dataclass
class _Leads:
    time: np.ndarray
    """Seconds after local midnight."""
    publicity: np.ndarray
    citizen: np.ndarray
    region: np.ndarray
    age: np.ndarray
    band: np.ndarray
    gender: np.ndarray
    contact: np.ndarray
    fraud: np.ndarray
    accurate: np.ndarray
    defrauded: np.ndarray
    in_progress: np.ndarray


@dataclass
class _Steps:
    lead: list[np.ndarray]
    channel: list[np.ndarray]
    module: list[np.ndarray]
    time: list[np.ndarray]
    p_base: list[np.ndarray]
    connected: list[np.ndarray]


def build_attempts(
    rng: np.random.Generator, ctx: SimContext, day: int, slice_: int, rows: int
) -> Frame:
    """Exactly ``rows`` attempts (fewer only if the slice cannot hold them)."""
    if rows <= 0:
        return Frame.empty(0)
    n_leads = min(ctx.lead_slots, int(rows / 1.5) + 16)
    while True:
        leads = _leads(rng, ctx, day, slice_, n_leads)
        steps = _steps(rng, ctx, day, leads)
        if sum(len(x) for x in steps.lead) >= rows or n_leads >= ctx.lead_slots:
            break
        n_leads = min(ctx.lead_slots, n_leads * 2)
    return _frame(rng, ctx, day, slice_, leads, steps, rows)


def _leads(
    rng: np.random.Generator, ctx: SimContext, day: int, slice_: int, n: int
) -> _Leads:
    warning_w, publicity_w = profile.hourly_lead_weights()
    total = warning_w + publicity_w
    cum = np.concatenate([[0.0], np.cumsum(total) / total.sum()])
    u = (slice_ + rng.random(n)) / ctx.slices
    time = np.sort(np.interp(u, cum, np.arange(25) * 3600.0)).astype(np.int64)
    time = np.minimum(time, _DAY - 1)
    hour = time // 3600
    publicity = rng.random(n) < publicity_w[hour] / total[hour]
    citizen = _citizens(rng, ctx, day, slice_, n)
    cz = ctx.citizens(citizen)
    fraud = (rng.random(n)[:, None] > _MIX_CUM[cz.band]).sum(axis=1)
    fraud = np.minimum(fraud, _UNKNOWN_FRAUD)
    themed = rng.random(n) < 0.4
    fraud = np.where(publicity & ~themed, _UNKNOWN_FRAUD, fraud)
    accurate = ~publicity & (rng.random(n) < profile.ACCURATE_RATE[fraud])
    victim = (
        profile.VICTIM_RATE[fraud]
        * profile.VICTIM_AGE_FACTOR[cz.band]
        * ctx.group_multiplier(cz.band, cz.region, fraud)
    )
    start = ctx.day_start(day)
    for anomaly in ctx.anomalies_of("victim_surge", day):
        hit = (time + start >= anomaly.start) & (time + start < anomaly.end)
        if anomaly.fraud >= 0:
            hit &= fraud == anomaly.fraud
        if anomaly.region >= 0:
            hit &= cz.region == anomaly.region
        victim = np.where(hit, victim * anomaly.spec.factor, victim)
    victim = np.minimum(victim, profile.VICTIM_CAP)
    defrauded = accurate & (rng.random(n) < victim)
    in_progress = accurate & ~defrauded & (rng.random(n) < profile.IN_PROGRESS_RATE)
    return _Leads(
        time,
        publicity,
        citizen,
        cz.region,
        cz.age,
        cz.band,
        cz.gender,
        cz.contact,
        fraud,
        accurate,
        defrauded,
        in_progress,
    )


def _citizens(
    rng: np.random.Generator, ctx: SimContext, day: int, slice_: int, n: int
) -> np.ndarray:
    """Citizen indices: a fresh one per lead slot, or the same slot's from 1-7 days ago.

    Slot ``i`` of a slice on day ``d`` owns index ``((d*S + s) * slots + i)``; reusing
    only the same slot's index of an earlier day means a citizen gets at most one
    lead per day, whatever the seed.
    """
    slot = np.arange(n, dtype=np.int64)
    own = (day * ctx.slices + slice_) * ctx.lead_slots + slot
    if day == 0:
        return own
    back = rng.integers(1, min(7, day) + 1, n)
    earlier = ((day - back) * ctx.slices + slice_) * ctx.lead_slots + slot
    return np.where(rng.random(n) < 0.08, earlier, own)


def connect_chance(
    ctx: SimContext,
    day: int,
    channel: np.ndarray,
    band: np.ndarray,
    region: np.ndarray,
    module: np.ndarray,
    time: np.ndarray,
    retry: np.ndarray | bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """(normal chance, chance under the day's anomalies) that attempts connect."""
    voice, manual = channel == VOICE, channel == MANUAL
    age = profile.CONNECT_AGE_FACTOR[band]
    p = _BASE[channel] * np.where(voice, age, np.where(manual, np.sqrt(age), 1.0))
    hour = np.clip(time // 3600, 0, 23).astype(np.int64)
    p = p * np.where(voice | manual, profile.call_hour_factor(hour), 1.0)
    p = np.clip(p * np.where(retry, profile.RETRY_FACTOR, 1.0), 0.0, 0.97)
    final = p.copy()
    start = ctx.day_start(day)
    for anomaly in ctx.anomalies_of("connection_drop", day):
        hit = (time + start >= anomaly.start) & (time + start < anomaly.end)
        for code, values in (
            (anomaly.region, region),
            (anomaly.channel, channel),
            (anomaly.module, module),
        ):
            if code >= 0:
                hit &= values == code
        final = np.where(hit, final * anomaly.spec.factor, final)
    return p, final


def _steps(
    rng: np.random.Generator, ctx: SimContext, day: int, leads: _Leads
) -> _Steps:
    steps = _Steps([], [], [], [], [], [])
    n = len(leads.time)
    talked = np.zeros(n, dtype=bool)
    reached = np.zeros(n, dtype=bool)
    last = leads.time.copy()
    warning = ~leads.publicity

    def add(
        idx: np.ndarray, channel: np.ndarray, module: int, time: np.ndarray, retry: bool
    ) -> np.ndarray:
        mod = np.full(len(idx), module, dtype=np.int64)
        p, final = connect_chance(
            ctx, day, channel, leads.band[idx], leads.region[idx], mod, time, retry
        )
        ok = rng.random(len(idx)) < final
        steps.lead.append(idx)
        steps.channel.append(channel)
        steps.module.append(mod)
        steps.time.append(time)
        steps.p_base.append(p)
        steps.connected.append(ok)
        last[idx] = time
        call = (channel == VOICE) | (channel == MANUAL)
        talked[idx[ok & call]] = True
        reached[idx[ok]] = True
        return ok

    night = leads.time < 7 * 3600
    first = np.flatnonzero(warning)
    manual_p = np.where(night[first], 0.05, 0.15)
    channel = np.where(rng.random(len(first)) < manual_p, MANUAL, VOICE)
    ok = add(
        first,
        channel,
        WARNING,
        leads.time[first] + rng.integers(10, 121, len(first)),
        False,
    )
    retry = first[~ok & (channel == VOICE) & (rng.random(len(first)) < 0.6)]
    add(
        retry,
        np.full(len(retry), VOICE),
        WARNING,
        last[retry] + rng.integers(300, 1801, len(retry)),
        True,
    )
    text = np.flatnonzero(warning & ~reached & (rng.random(n) < 0.9))
    add(
        text,
        np.where(rng.random(len(text)) < 0.5, SMS, FLASH),
        WARNING,
        last[text] + rng.integers(60, 181, len(text)),
        False,
    )
    risky = leads.accurate & (
        (leads.band == 5) | (leads.band == 6) | leads.defrauded | leads.in_progress
    )
    human = np.flatnonzero(warning & talked & risky & (rng.random(n) < 0.3))
    add(
        human,
        np.full(len(human), MANUAL),
        WARNING,
        last[human] + rng.integers(600, 2401, len(human)),
        False,
    )
    follow_p = np.where(leads.defrauded, 0.6, 0.3)
    follow = np.flatnonzero(warning & talked & (rng.random(n) < follow_p))
    add(
        follow,
        np.where(rng.random(len(follow)) < 0.7, VOICE, MANUAL),
        FOLLOW_UP,
        leads.time[follow] + rng.integers(2 * 3600, 8 * 3600, len(follow)),
        False,
    )
    push = np.flatnonzero(leads.publicity)
    pick = np.searchsorted(_PUBLICITY_CUM, rng.random(len(push)), side="right")
    add(
        push,
        _PUBLICITY_CHANNELS[np.minimum(pick, 3)],
        PUBLICITY,
        leads.time[push] + rng.integers(0, 61, len(push)),
        False,
    )
    return steps


def _frame(
    rng: np.random.Generator,
    ctx: SimContext,
    day: int,
    slice_: int,
    leads: _Leads,
    steps: _Steps,
    rows: int,
) -> Frame:
    lead = np.concatenate(steps.lead)
    time = np.concatenate(steps.time)
    keep = time < _DAY
    order = np.lexsort((time[keep], lead[keep]))[:rows]
    pick = np.flatnonzero(keep)[order]

    def cat(parts: list[np.ndarray]) -> np.ndarray:
        return np.concatenate(parts)[pick]

    lead, time = lead[pick], time[pick]
    frame = Frame.empty(len(pick))
    frame["lead"] = np.where(leads.publicity[lead], -1, slice_ * SEQ_PER_SLICE + lead)
    frame["citizen"] = leads.citizen[lead]
    frame["contact"] = leads.contact[lead]
    frame["channel"] = cat(steps.channel)
    frame["module"] = cat(steps.module)
    fraud = leads.fraud[lead]
    written = np.where(
        (fraud == _UNKNOWN_FRAUD) & (rng.random(len(pick)) < 0.8), -1, fraud
    )
    frame["fraud"] = written
    frame["gender"] = leads.gender[lead]
    frame["region"] = leads.region[lead]
    frame["age"] = leads.age[lead]
    frame["initiated"] = ctx.day_start(day) + time
    frame["connected"] = cat(steps.connected).astype(np.int8)
    frame["p_connect"] = cat(steps.p_base)
    latent = Latent(
        accurate=leads.accurate[lead],
        defrauded=leads.defrauded[lead],
        in_progress=leads.in_progress[lead],
        fraud=fraud,
    )
    fill_outcomes(rng, ctx, frame, latent)
    return frame

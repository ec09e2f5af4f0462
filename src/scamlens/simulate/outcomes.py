"""What happened in each attempt: durations, outcome flags, transcript, version time.

Everything here follows from whether the attempt connected and on which channel, so
the values are consistent the way the cleaning rules expect of a clean record: no
talk time without a connection, no "confirmed" or "defrauded" without a dialogue,
``played_seconds`` within the content (a few replays aside) and ``fully_played`` left
empty now and then so that it has to be inferred from the two durations.

The outcome flags are drawn from the lead's hidden truth (was the warning accurate,
has the citizen lost money, is the scam going on right now); a small share of true
flags is written empty, as when an operator forgets to tick the box, while the
transcript still says it. :attr:`Frame.true_confirmed` keeps the truth for the
language layer's expected counts.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from scamlens.simulate.context import SimContext
from scamlens.simulate.frame import Frame
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
from scamlens.simulate.transcripts import Category

__all__ = ["Latent", "fill_outcomes"]

logger = logging.getLogger(__name__)

_VIDEO_LENGTHS = np.array([30.0, 45.0, 60.0, 90.0, 120.0])


@dataclass
class Latent:
    """Hidden facts about each attempt's lead."""

    accurate: np.ndarray
    defrauded: np.ndarray
    in_progress: np.ndarray
    fraud: np.ndarray
    """Fraud type code used for content and transcripts (never -1)."""


def fill_outcomes(
    rng: np.random.Generator, ctx: SimContext, frame: Frame, latent: Latent
) -> None:
    """Fill durations, flags, transcripts and times of ``frame`` in place."""
    n = len(frame)
    channel = frame["channel"]
    conn = frame["connected"] == 1
    call = (channel == VOICE) | (channel == MANUAL)
    engaged = conn & call & (rng.random(n) < np.where(channel == MANUAL, 0.95, 0.8))
    _flags(rng, ctx, frame, latent, conn, call, engaged)
    _durations(rng, ctx, frame, latent, conn, engaged)
    _transcripts(rng, ctx, frame, latent, conn, call, engaged)
    talk = np.nan_to_num(frame["talk"], nan=0.0)
    lag = np.where(call, talk + rng.integers(5, 91, n), rng.integers(2, 61, n))
    frame["updated"] = frame["initiated"] + lag.astype(np.int64)
    frame["write"] = frame["updated"]


def _flags(
    rng: np.random.Generator,
    ctx: SimContext,
    frame: Frame,
    latent: Latent,
    conn: np.ndarray,
    call: np.ndarray,
    engaged: np.ndarray,
) -> None:
    n = len(frame)
    dialogue = conn & call & (frame["module"] != PUBLICITY)
    reported = dialogue & engaged & latent.defrauded & (rng.random(n) < 0.9)
    confirmed = (
        dialogue & engaged & latent.accurate & (rng.random(n) < 0.85)
    ) | reported
    written_conf = np.full(n, -1, dtype=np.int8)
    written_rep = np.full(n, -1, dtype=np.int8)
    written_conf[dialogue] = confirmed[dialogue]
    written_rep[dialogue] = reported[dialogue]
    unanswered = call & ~conn & (frame["module"] != PUBLICITY) & (rng.random(n) < 0.4)
    written_conf[unanswered] = 0
    written_rep[unanswered] = 0
    rate = ctx.config.flag_blank_rate
    written_conf[confirmed & (rng.random(n) < rate)] = -1
    written_rep[reported & (rng.random(n) < rate)] = -1
    frame["confirmed"] = written_conf
    frame["reported"] = written_rep
    frame["true_confirmed"] = confirmed
    frame["true_reported"] = reported


def _durations(
    rng: np.random.Generator,
    ctx: SimContext,
    frame: Frame,
    latent: Latent,
    conn: np.ndarray,
    engaged: np.ndarray,
) -> None:
    n = len(frame)
    channel, module = frame["channel"], frame["module"]
    voice, manual, video = channel == VOICE, channel == MANUAL, channel == VIDEO
    u = rng.random((8, n))
    script = np.where(
        module == PUBLICITY,
        90.0,
        np.where(module == FOLLOW_UP, 30.0, 45.0 + 15.0 * (latent.fraud % 3)),
    )
    content = np.where(
        voice, script, np.where(video, _VIDEO_LENGTHS[latent.fraud % 5], np.nan)
    )
    talk = np.where(channel == SMS, np.where(u[0] < 0.8, 0.0, np.nan), 0.0)
    played = np.where(voice | video, 0.0, np.nan)
    fully = np.full(n, -1, dtype=np.int8)

    # AI voice: the script plays while the citizen listens; the talk adds a dialogue.
    listened = voice & engaged
    full = listened & (u[1] < 0.7)
    played = np.where(full, content, played)
    played = np.where(full & (u[2] < 0.05), content + np.floor(1 + 3 * u[3]), played)
    partial = listened & ~full
    played = np.where(partial, np.floor(content * (0.2 + 0.75 * u[3])), played)
    extra = np.where(
        module == PUBLICITY, 2 + np.floor(14 * u[4]), 8 + np.floor(53 * u[4])
    )
    talk = np.where(listened, played + extra, talk)
    hung = voice & conn & ~engaged
    talk = np.where(hung, 2 + np.floor(14 * u[4]), talk)
    played = np.where(hung, np.maximum(talk - 1, 0), played)
    content = np.where(voice & ~conn & (u[5] < 0.3), np.nan, content)

    # Human calls: free conversation, no fixed content; the operator ticks the box.
    human_talk = np.clip(
        np.round(np.exp(np.log(150) + 0.7 * rng.standard_normal(n))), 20, 1800
    )
    talk = np.where(manual & engaged, human_talk, talk)
    talk = np.where(manual & conn & ~engaged, 3 + np.floor(18 * u[4]), talk)
    fully = np.where(manual & conn, (engaged & (talk >= 60)).astype(np.int8), fully)

    # Video SMS: delivered videos are opened now and then, sometimes to the end.
    opened = video & conn & (u[6] < 0.4)
    played = np.where(
        opened,
        np.where(u[7] < 0.5, content, np.floor(content * (0.1 + 0.8 * u[3]))),
        played,
    )
    played = np.where(video & ~conn & (u[5] < 0.5), np.nan, played)

    # Flash SMS: a read receipt is the platform's "fully played".
    flash = channel == FLASH
    fully = np.where(flash & conn, (u[6] < 0.55).astype(np.int8), fully)

    known = ~np.isnan(played) & ~np.isnan(content)
    inferred = (known & (np.nan_to_num(played) >= np.nan_to_num(content))).astype(
        np.int8
    )
    explicit = (voice & conn & (u[5] < 0.7)) | (video & conn & (u[5] < 0.5))
    fully = np.where(explicit, inferred, fully)
    silent = (voice | video | manual | flash) & ~conn & (u[7] < 0.5)
    fully = np.where(silent, 0, fully)

    frame["talk"] = np.minimum(talk, ctx.config.max_talk_seconds)
    frame["content"] = content
    frame["played"] = played
    frame["fully"] = fully


def _transcripts(
    rng: np.random.Generator,
    ctx: SimContext,
    frame: Frame,
    latent: Latent,
    conn: np.ndarray,
    call: np.ndarray,
    engaged: np.ndarray,
) -> None:
    n = len(frame)
    module = frame["module"]
    rep, conf = frame["true_reported"], frame["true_confirmed"]
    u = rng.random((3, n))
    cat = np.full(n, -1, dtype=np.int64)
    talk = conn & call
    for mod, defrauded, confirmed in (
        (
            WARNING,
            np.where(u[0] < 0.7, Category.DEFRAUDED, Category.HELP_DEFRAUDED),
            np.where(
                latent.in_progress,
                Category.IN_PROGRESS,
                np.where(u[0] < 0.8, Category.CONFIRM, Category.HELP_CONFIRM),
            ),
        ),
        (
            FOLLOW_UP,
            np.full(n, Category.FOLLOW_DEFRAUDED),
            np.full(n, Category.FOLLOW_SAFE),
        ),
    ):
        here = talk & (module == mod)
        other = np.where(
            ~engaged,
            Category.BUSY,
            np.where(latent.accurate, Category.VAGUE, Category.DENY),
        )
        cat = np.where(
            here, np.where(rep, defrauded, np.where(conf, confirmed, other)), cat
        )
    push = talk & (module == PUBLICITY)
    cat = np.where(
        push,
        np.where(
            ~engaged,
            Category.BUSY,
            np.where(u[1] < 0.8, Category.PUBLICITY_ACK, Category.PUBLICITY_REFUSE),
        ),
        cat,
    )
    cat = np.where(conn & ~call & (u[1] < 0.03), Category.SMS_REPLY, cat)
    cat = np.where(talk & (u[2] < 0.03), -1, cat)
    frame["transcript"] = ctx.bank.pick(rng, cat, latent.fraud)

"""The behaviour model of the simulated platform: every rate and mix in one place.

The numbers are plausible orders of magnitude for a city anti-fraud centre, not
measurements: leads arrive mostly in office hours, an SMS is delivered ~95% of the
time while an AI voice call is answered 30-60% of the time depending on age and hour,
young people answer fewer calls, elderly people more, order-brushing and game-trading
scams hit the young and fake investment and police impersonation the old. Keeping
them here, as data, lets a reader check the realism without reading the generator and
lets the ground truth quote the same constants the generator used.

Codes are small integers indexing :data:`CHANNELS`, :data:`MODULES`,
:data:`FRAUD_TYPES`, :data:`GENDERS` and :data:`AGE_BANDS`, in contract order.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from scamlens.contract.enums import AgeBand, Channel, FraudType, Gender, Module

__all__ = [
    "ACCURATE_RATE",
    "AGE_BANDS",
    "AGE_BAND_RANGE",
    "AGE_BAND_SHARE",
    "CHANNELS",
    "CONNECT_AGE_FACTOR",
    "CONNECT_BASE",
    "FRAUD_AGE_TILT",
    "FRAUD_MIX",
    "FRAUD_TYPES",
    "GENDERS",
    "MODULES",
    "PLANTED_GROUPS",
    "PlantedGroup",
    "VICTIM_AGE_FACTOR",
    "VICTIM_RATE",
    "call_hour_factor",
    "hourly_lead_weights",
]

logger = logging.getLogger(__name__)

CHANNELS: tuple[str, ...] = tuple(c.value for c in Channel)
MODULES: tuple[str, ...] = tuple(m.value for m in Module)
FRAUD_TYPES: tuple[str, ...] = tuple(f.value for f in FraudType)
GENDERS: tuple[str, ...] = tuple(g.value for g in Gender)
AGE_BANDS: tuple[str, ...] = tuple(b.value for b in AgeBand if b is not AgeBand.UNKNOWN)

VOICE = CHANNELS.index("voice")
SMS = CHANNELS.index("sms")
FLASH = CHANNELS.index("flash_sms")
VIDEO = CHANNELS.index("video_sms")
MANUAL = CHANNELS.index("manual_call")
WARNING = MODULES.index("warning")
PUBLICITY = MODULES.index("publicity")
FOLLOW_UP = MODULES.index("follow_up")

# Leads per hour of day (relative): scams are reported and detected in waking hours.
# fmt: off
_WARNING_HOURS = np.array([
    0.8, 0.5, 0.3, 0.25, 0.25, 0.4, 0.9, 2.0, 3.6, 5.2, 6.0, 5.8,
    4.6, 4.8, 5.8, 6.2, 6.0, 5.4, 4.6, 4.8, 4.6, 3.8, 2.6, 1.5,
])
# fmt: on
# Publicity campaigns may only call between 09:00 and 20:59.
_PUBLICITY_HOURS = np.array(
    [0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 7, 7, 3, 4, 7, 7, 7, 5, 3, 4, 3, 0, 0, 0],
    dtype=float,
)
PUBLICITY_SHARE = 0.28
"""Share of leads that are publicity pushes rather than warnings."""


def hourly_lead_weights() -> tuple[np.ndarray, np.ndarray]:
    """(warning, publicity) lead weights per hour; they sum to the two shares."""
    warning = _WARNING_HOURS / _WARNING_HOURS.sum() * (1 - PUBLICITY_SHARE)
    publicity = _PUBLICITY_HOURS / _PUBLICITY_HOURS.sum() * PUBLICITY_SHARE
    return warning, publicity


def call_hour_factor(hours: np.ndarray) -> np.ndarray:
    """Multiplier on the chance a call is answered, by local hour (asleep at night)."""
    factor = np.ones(24)
    factor[0:7] = 0.55
    factor[7] = 0.85
    factor[12:14] = 0.9
    factor[22:24] = 0.75
    return factor[hours]


CONNECT_BASE: dict[int, float] = {
    VOICE: 0.45,
    MANUAL: 0.68,
    SMS: 0.955,
    FLASH: 0.90,
    VIDEO: 0.92,
}
"""Chance an attempt connects (call answered, message delivered) before modifiers."""

AGE_BAND_SHARE = np.array([0.02, 0.14, 0.24, 0.20, 0.16, 0.13, 0.11])
"""Share of contacted citizens per age band (0-17 ... 65+)."""
AGE_BAND_RANGE: tuple[tuple[int, int], ...] = (
    (12, 17),
    (18, 24),
    (25, 34),
    (35, 44),
    (45, 54),
    (55, 64),
    (65, 88),
)
AGE_MISSING_RATE = 0.015

# Voice answer-rate factor per band, plus a last entry for unknown age.
CONNECT_AGE_FACTOR = np.array([0.75, 0.68, 0.82, 0.98, 1.12, 1.25, 1.32, 1.0])
RETRY_FACTOR = 0.85

FRAUD_MIX = np.array(
    [0.22, 0.15, 0.10, 0.12, 0.08, 0.06, 0.06, 0.06, 0.05, 0.05, 0.03, 0.02]
)
"""Base mix of warning leads over :data:`FRAUD_TYPES` (``unknown`` last, empty)."""


def _tilt(**factors: float) -> np.ndarray:
    row = np.ones(len(FRAUD_TYPES))
    for name, value in factors.items():
        row[FRAUD_TYPES.index(name)] = value
    return row


FRAUD_AGE_TILT = np.vstack(
    [
        _tilt(
            game_trading=5,
            order_brushing=1.5,
            fake_shopping=1.5,
            fake_investment=0.1,
            fake_loan=0.1,
            romance=0.2,
            fake_credit_repair=0.2,
        ),
        _tilt(
            order_brushing=1.6,
            game_trading=2.5,
            fake_credit_repair=2.0,
            fake_loan=1.2,
            fake_investment=0.5,
            romance=0.8,
        ),
        _tilt(order_brushing=1.3, fake_loan=1.3, fake_investment=0.9, romance=1.3),
        _tilt(),
        _tilt(
            fake_investment=1.3,
            impersonate_police=1.2,
            order_brushing=0.8,
            game_trading=0.4,
        ),
        _tilt(
            fake_investment=1.6,
            impersonate_police=1.5,
            order_brushing=0.5,
            game_trading=0.2,
            other=1.5,
        ),
        _tilt(
            fake_investment=2.0,
            impersonate_police=1.8,
            impersonate_acquaintance=1.3,
            order_brushing=0.3,
            game_trading=0.1,
            fake_credit_repair=0.2,
            other=2.0,
        ),
        _tilt(),
    ]
)
"""Multipliers on :data:`FRAUD_MIX` per age band (last row: unknown age)."""

ACCURATE_RATE = np.array(
    [0.78, 0.74, 0.70, 0.80, 0.76, 0.68, 0.62, 0.66, 0.64, 0.58, 0.50, 0.45]
)
"""Chance a warning lead is right (the citizen really was approached), by fraud type."""

VICTIM_RATE = np.array(
    [0.06, 0.07, 0.05, 0.04, 0.05, 0.03, 0.03, 0.04, 0.05, 0.06, 0.02, 0.02]
)
"""Chance an accurate lead's citizen has already lost money, by fraud type."""

VICTIM_AGE_FACTOR = np.array([0.6, 1.0, 1.0, 1.0, 1.0, 1.15, 1.3, 1.0])
VICTIM_CAP = 0.9
IN_PROGRESS_RATE = 0.04
"""Share of accurate, not yet defrauded leads caught while the scam is going on."""


@dataclass(frozen=True)
class PlantedGroup:
    """A high-risk group whose victim rate is planted ``multiplier`` times higher.

    ``city`` is a city-level code, or empty for every simulated city. When the named
    city is not among the simulated regions, the group moves to the most populous
    simulated city; the ground truth records the city actually used. ``zh``/``en``
    describe the group without the city, which is prefixed when resolved.
    """

    name: str
    age_band: str
    fraud_type: str
    multiplier: float
    city: str = ""
    zh: str = ""
    en: str = ""


PLANTED_GROUPS: tuple[PlantedGroup, ...] = (
    PlantedGroup(
        "elderly_investment_wenzhou",
        "65+",
        "fake_investment",
        4.0,
        "330300",
        "65岁以上老人虚假投资理财受骗率高",
        "Elderly (65+), fake investment",
    ),
    PlantedGroup(
        "students_order_brushing",
        "18-24",
        "order_brushing",
        4.0,
        "",
        "18-24岁学生刷单返利受骗率高",
        "Students (18-24), order brushing",
    ),
    PlantedGroup(
        "students_game_trading",
        "18-24",
        "game_trading",
        4.0,
        "",
        "18-24岁学生网络游戏虚假交易受骗率高",
        "Students (18-24), fake game trading",
    ),
)

"""Everything a simulation derives once from its config and shares between chunks.

The context resolves names to codes (regions, planted groups, anomalies), fixes the
time slices a day is generated in, and computes the deterministic attributes of a
citizen from their index. Chunk generators read it and never change it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from scamlens.errors import ConfigError
from scamlens.simulate import profile
from scamlens.simulate.anomalies import default_plan
from scamlens.simulate.config import AnomalySpec, SimConfig
from scamlens.simulate.geography import CITIES, County, counties_in
from scamlens.simulate.keys import hash_uniform
from scamlens.simulate.transcripts import TranscriptBank

__all__ = [
    "ActiveAnomaly",
    "Citizens",
    "INVALID_REGIONS",
    "ResolvedGroup",
    "SimContext",
]

logger = logging.getLogger(__name__)

INVALID_REGIONS: tuple[str, ...] = ("33010", "3301060", "33O106", "hz-xihu")
"""Malformed region codes planted as ``bad_value`` (none is six digits)."""

CONTACT_PHONE, CONTACT_BOTH, CONTACT_ID, CONTACT_NONE = 0, 1, 2, 3
_CONTACT_SHARE = np.cumsum([0.80, 0.12, 0.08])

# Citizen index namespaces: ordinary citizens below, runaway-task targets above.
RUNAWAY_BASE = 6_000_000_000
RUNAWAY_PER_CHUNK = 65_536
LEAD_SLOTS_PER_CHUNK_FACTOR = 2
SEQ_PER_SLICE = 100_000_000


@dataclass(frozen=True)
class ResolvedGroup:
    """A planted group with codes ready for vectorised matching."""

    name: str
    age_band: int
    fraud: int
    city: str
    """City-level code, or empty for every city."""
    multiplier: float
    zh: str
    en: str


@dataclass(frozen=True)
class ActiveAnomaly:
    """An anomaly spec with its segment translated to codes and epoch seconds."""

    spec: AnomalySpec
    day: int
    start: int
    end: int
    region: int = -1
    channel: int = -1
    module: int = -1
    fraud: int = -1


@dataclass
class Citizens:
    """Deterministic attributes of citizens given their indices."""

    region: np.ndarray
    age: np.ndarray
    band: np.ndarray
    """Age band index (0..6), 7 for unknown age."""
    gender: np.ndarray
    contact: np.ndarray


class SimContext:
    """Resolved, shared state of one simulation."""

    def __init__(self, config: SimConfig) -> None:
        self.config = config.validated()
        try:
            self.counties: tuple[County, ...] = counties_in(config.regions)
        except KeyError as exc:
            raise ConfigError(
                f"region `{exc.args[0]}` is not simulated; use county, city or "
                "province codes of Zhejiang listed in scamlens.simulate.geography"
            ) from None
        self.region_codes: tuple[str, ...] = tuple(c.code for c in self.counties)
        self.region_vocab: tuple[str, ...] = self.region_codes + INVALID_REGIONS
        weights = np.array([c.population for c in self.counties], dtype=float)
        self.region_cum = np.cumsum(weights / weights.sum())
        self.region_share = weights / weights.sum()
        self.region_city = np.array([c.city for c in self.counties])
        self.slices = config.slices_per_day
        self.lead_slots = LEAD_SLOTS_PER_CHUNK_FACTOR * config.chunk_rows
        self._slice_bounds = _slice_bounds(self.slices)
        self.groups = self._resolve_groups()
        specs = config.anomaly_specs
        if specs is None and config.anomalies:
            specs = default_plan(config, self.counties)
        self.anomalies = tuple(self._activate(s) for s in (specs or ()))
        self.bank = TranscriptBank(config.seed)
        if config.days * self.slices * RUNAWAY_PER_CHUNK >= 1_000_000_000:
            raise ConfigError(
                f"`{config.days}` days in `{self.slices}` slices is too long a "
                "simulation; use fewer days or a larger chunk_rows"
            )
        if self.slices >= 100:
            raise ConfigError(
                f"per_day `{config.per_day}` needs `{self.slices}` chunks a day; "
                "raise chunk_rows so a day takes fewer than 100 chunks"
            )

    # -- time -------------------------------------------------------------------

    def day_start(self, day: int) -> int:
        """Epoch seconds (UTC) of local midnight starting simulated ``day``."""
        return int((self.config.period_start + timedelta(days=day)).timestamp())

    def day_date(self, day: int) -> date:
        """Calendar date of simulated ``day``."""
        return self.config.start + timedelta(days=day)

    def slice_range(self, slice_: int) -> tuple[float, float]:
        """Seconds after midnight where leads of ``slice_`` start and stop."""
        return self._slice_bounds[slice_], self._slice_bounds[slice_ + 1]

    def slice_rows(self, slice_: int) -> int:
        """Rows of ``slice_`` (the day's rows split as evenly as possible)."""
        per_day, slices = self.config.per_day, self.slices
        return per_day // slices + (1 if slice_ < per_day % slices else 0)

    # -- citizens ---------------------------------------------------------------

    def citizens(self, index: np.ndarray) -> Citizens:
        """Region, age, gender and contact form of each citizen in ``index``."""
        seed = self.config.seed
        u = [hash_uniform(seed, index, stream) for stream in range(6)]
        region = np.searchsorted(self.region_cum, u[0], side="right")
        region = np.minimum(region, len(self.region_codes) - 1).astype(np.int16)
        band = np.searchsorted(np.cumsum(profile.AGE_BAND_SHARE), u[1], side="right")
        band = np.minimum(band, len(profile.AGE_BANDS) - 1)
        low = np.array([r[0] for r in profile.AGE_BAND_RANGE])[band]
        high = np.array([r[1] for r in profile.AGE_BAND_RANGE])[band]
        age = np.floor(low + u[2] * (high - low + 1)).astype(float)
        unknown = u[3] < profile.AGE_MISSING_RATE
        age[unknown] = np.nan
        band = np.where(unknown, 7, band)
        gender = np.select(
            [u[4] < 0.04, u[4] < 0.52, u[4] < 0.985], [-1, 0, 1], default=2
        ).astype(np.int8)
        contact = np.searchsorted(_CONTACT_SHARE, u[5], side="right").astype(np.int8)
        return Citizens(region, age, band, gender, np.minimum(contact, CONTACT_ID))

    # -- resolution -------------------------------------------------------------

    def _resolve_groups(self) -> tuple[ResolvedGroup, ...]:
        cities = set(self.region_city.tolist())
        if len(cities) == 0:
            return ()
        biggest = max(
            cities, key=lambda c: self.region_share[self.region_city == c].sum()
        )
        resolved = []
        for g in profile.PLANTED_GROUPS:
            city = g.city if not g.city or g.city in cities else biggest
            zh, en = g.zh, g.en
            if city:
                zh, en = CITIES[city][0] + zh, f"{en} in {CITIES[city][1]}"
            resolved.append(
                ResolvedGroup(
                    g.name,
                    profile.AGE_BANDS.index(g.age_band),
                    profile.FRAUD_TYPES.index(g.fraud_type),
                    city,
                    g.multiplier,
                    zh,
                    en,
                )
            )
        return tuple(resolved)

    def _activate(self, spec: AnomalySpec) -> ActiveAnomaly:
        start = int(spec.start.timestamp())
        end = int(spec.end.timestamp())
        day = (spec.start - self.config.period_start).days
        if not 0 <= day < self.config.days or end <= start:
            raise ConfigError(
                f"anomaly `{spec.kind}` from `{spec.start.isoformat()}` to "
                f"`{spec.end.isoformat()}` is not a window inside the simulated period"
            )
        seg = spec.segment_dict()
        codes = {
            "region": _code(self.region_codes, seg.get("region_code"), spec),
            "channel": _code(profile.CHANNELS, seg.get("channel"), spec),
            "module": _code(profile.MODULES, seg.get("module"), spec),
            "fraud": _code(profile.FRAUD_TYPES, seg.get("fraud_type"), spec),
        }
        return ActiveAnomaly(spec, day, start, end, **codes)

    def anomalies_of(self, kind: str, day: int) -> tuple[ActiveAnomaly, ...]:
        """Active anomalies of ``kind`` on ``day``."""
        return tuple(a for a in self.anomalies if a.spec.kind == kind and a.day == day)

    def group_multiplier(
        self, band: np.ndarray, region: np.ndarray, fraud: np.ndarray
    ) -> np.ndarray:
        """Victim-rate multiplier from the planted groups (1 outside any group)."""
        factor = np.ones(len(band))
        city = self.region_city[region]
        for g in self.groups:
            match = (band == g.age_band) & (fraud == g.fraud)
            if g.city:
                match &= city == g.city
            factor[match] *= g.multiplier
        return factor


def _code(vocab: tuple[str, ...], value: str | None, spec: AnomalySpec) -> int:
    if value is None:
        return -1
    if value not in vocab:
        raise ConfigError(
            f"anomaly `{spec.kind}` names `{value}`, which is not simulated; "
            f"expected one of {', '.join(vocab[:8])}..."
        )
    return vocab.index(value)


def _slice_bounds(slices: int) -> np.ndarray:
    """Seconds after midnight splitting a day into slices of equal lead volume."""
    warning, publicity = profile.hourly_lead_weights()
    weights = warning + publicity
    cum = np.concatenate([[0.0], np.cumsum(weights) / weights.sum()])
    quantiles = np.linspace(0, 1, slices + 1)
    return np.interp(quantiles, cum, np.arange(25) * 3600.0)

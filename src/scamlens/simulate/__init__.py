"""The outreach platform simulator and its ground truth.

scamlens is tested and benchmarked against data nobody may share: real outreach
records carry phone numbers and victims' stories. The simulator produces records that
look and misbehave like a real platform export (diurnal volumes, channel-dependent
connection rates, ASR transcripts, older versions, broken values, runaway diallers)
and, beside them, the exact results a correct cleaning and indicator run must find.

Library use::

    from scamlens import simulate

    config = simulate.SimConfig(days=3, per_day=5_000, seed=7)
    for chunk in simulate.generate(config):      # pa.Table chunks, contract columns
        ...
    truth = simulate.ground_truth(config)        # GroundTruth (same config, same data)

    sim = simulate.Simulation(config)            # both in one pass
    for chunk in sim.tables():
        ...
    sim.truth.counts

    simulate.write(config, Path("out.csv"))      # file + out.csv.truth.json
    simulate.write_db(config, "sqlite:///platform.db")
    day = simulate.day_table(config, 2)          # one day, sorted by initiated_at

See ``docs/simulator.md`` for the realism model, the mess and anomaly catalogue and
the ground-truth layout.
"""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa

from scamlens.simulate.config import (
    LOCAL_TZ,
    MESS_KINDS,
    AnomalySpec,
    MessRates,
    SimConfig,
)
from scamlens.simulate.engine import DayResult, Simulation
from scamlens.simulate.geography import CITIES, COUNTIES, PROVINCES, REGION_NAMES
from scamlens.simulate.render import TEXT_SCHEMA, TYPED_SCHEMA
from scamlens.simulate.truth import GroundTruth
from scamlens.simulate.writers import FORMATS, WriteResult, write, write_db

__all__ = [
    "CITIES",
    "COUNTIES",
    "FORMATS",
    "LOCAL_TZ",
    "MESS_KINDS",
    "PROVINCES",
    "REGION_NAMES",
    "TEXT_SCHEMA",
    "TYPED_SCHEMA",
    "AnomalySpec",
    "DayResult",
    "GroundTruth",
    "MessRates",
    "SimConfig",
    "Simulation",
    "WriteResult",
    "day_table",
    "generate",
    "ground_truth",
    "simulate_day",
    "write",
    "write_db",
]


def generate(config: SimConfig) -> Iterator[pa.Table]:
    """Yield the simulated records as Arrow tables of at most ~``chunk_rows`` rows."""
    yield from Simulation(config).tables()


def ground_truth(config: SimConfig) -> GroundTruth:
    """The ground truth of ``config`` (generates the data once, without rendering)."""
    return Simulation(config).compute_truth()


def simulate_day(config: SimConfig, day: int) -> DayResult:
    """Day ``day`` (0-based) of ``config``: its table sorted by time, and its truth."""
    return Simulation(config).day(day)


def day_table(config: SimConfig, day: int) -> pa.Table:
    """Records of day ``day`` (0-based) sorted by ``initiated_at``, for stream replay.

    Use ``config.clean()`` for a day without any mess or anomaly (false-alarm tests).
    """
    return simulate_day(config, day).table

"""Small simulations shared by the simulator tests."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import pyarrow as pa

from scamlens.simulate import GroundTruth, MessRates, SimConfig, Simulation

# Mess four times the default so that every defect kind appears in a few thousand
# rows; two slices a day so chunk boundaries are exercised too.
MESSY = SimConfig(
    days=3,
    per_day=3_000,
    seed=11,
    anomalies=True,
    mess=MessRates().scaled(4),
    chunk_rows=1_600,
)


@dataclass
class Generated:
    """A simulation's rows (read order), table and ground truth."""

    config: SimConfig
    table: pa.Table
    truth: GroundTruth

    @cached_property
    def rows(self) -> list[dict[str, Any]]:
        """Rows as dicts; shared, so tests must not modify them."""
        return self.table.to_pylist()


def run(config: SimConfig) -> Generated:
    sim = Simulation(config)
    table = pa.concat_tables(list(sim.tables()))
    return Generated(config, table, sim.truth)

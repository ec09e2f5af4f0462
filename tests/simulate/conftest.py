"""Simulations generated once per test session."""

from __future__ import annotations

import pytest

from scamlens.simulate import SimConfig

from .helpers import MESSY, Generated, run


@pytest.fixture(scope="session")
def messy() -> Generated:
    return run(MESSY)


@pytest.fixture(scope="session")
def messy_typed() -> Generated:
    return run(MESSY.replace(typed=True))


@pytest.fixture(scope="session")
def realistic() -> Generated:
    """Default mess, enough rows for rates to be stable within a few points."""
    return run(SimConfig(days=4, per_day=20_000, seed=5, anomalies=True))

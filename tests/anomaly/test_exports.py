"""The package re-exports exactly what its modules declare public."""

from __future__ import annotations

import importlib

import pytest

import scamlens.anomaly as anomaly

MODULES = (
    "alerts",
    "baseline",
    "config",
    "detectors",
    "engine",
    "evaluation",
    "fdr",
    "frame",
    "keys",
    "rolling",
    "messages",
    "stat_tests",
    "state",
    "sinks",
    "sinks.base",
    "sinks.factory",
    "sinks.log",
    "sinks.nats",
    "sinks.warehouse",
    "sinks.webhook",
)


@pytest.mark.parametrize("name", MODULES)
def test_module_all_names_exist(name: str) -> None:
    module = importlib.import_module(f"scamlens.anomaly.{name}")
    for item in module.__all__:
        assert hasattr(module, item), f"{name}.{item}"


def test_package_exports_resolve_to_their_module_objects() -> None:
    for item in anomaly.__all__:
        assert getattr(anomaly, item) is not None, item
    assert len(set(anomaly.__all__)) == len(anomaly.__all__)

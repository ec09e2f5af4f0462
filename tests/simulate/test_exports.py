"""The package's public names are exactly what it documents."""

from __future__ import annotations

import importlib

import pytest

from scamlens import simulate

MODULES = [
    "anomalies",
    "attempts",
    "config",
    "context",
    "engine",
    "frame",
    "geography",
    "keys",
    "messes",
    "outcomes",
    "profile",
    "render",
    "runaway",
    "transcripts",
    "truth",
    "versions",
    "writers",
]


def test_package_exports_resolve() -> None:
    for name in simulate.__all__:
        assert getattr(simulate, name) is not None, name


@pytest.mark.parametrize("name", MODULES)
def test_module_all_is_complete(name: str) -> None:
    module = importlib.import_module(f"scamlens.simulate.{name}")
    for exported in module.__all__:
        assert hasattr(module, exported), f"{name}.{exported}"

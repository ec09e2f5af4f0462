"""Every public name is exported where documented."""

from __future__ import annotations

import importlib

import pytest

MODULES = [
    "scamlens.language",
    "scamlens.language.taxonomy",
    "scamlens.language.text",
    "scamlens.language.library",
    "scamlens.language.matching",
    "scamlens.language.dialogue",
    "scamlens.language.backends",
    "scamlens.language.discovery",
    "scamlens.language.evaluation",
]


@pytest.mark.parametrize("name", MODULES)
def test_all_names_exist(name: str) -> None:
    module = importlib.import_module(name)
    for member in module.__all__:
        assert hasattr(module, member), f"{name}.{member}"


def test_cli_module_is_registered() -> None:
    from scamlens.cli.app import COMMAND_MODULES, cli

    assert "scamlens.cli.language" in COMMAND_MODULES
    import click

    names = set(cli.list_commands(click.Context(cli)))
    assert {"classify", "label", "train", "eval", "scripts"} <= names

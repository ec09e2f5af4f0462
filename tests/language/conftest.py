"""Fixtures of the language-layer tests: the labelled sets and shared backends."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from scamlens.language.backends.rules import RulesBackend
from scamlens.language.library import default_library
from scamlens.language.library.model import Library

DATA = Path(__file__).parent / "data"
CLASSIFY_SET = DATA / "classify_test.csv"
DIALOGUE_SET = DATA / "dialogue_test.csv"


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="session")
def library() -> Library:
    return default_library()


@pytest.fixture(scope="session")
def rules(library: Library) -> RulesBackend:
    return RulesBackend(library)


@pytest.fixture(scope="session")
def classify_rows() -> list[dict[str, str]]:
    return read_rows(CLASSIFY_SET)


@pytest.fixture(scope="session")
def dialogue_rows() -> list[dict[str, str]]:
    return read_rows(DIALOGUE_SET)

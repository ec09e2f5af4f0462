"""Fixtures shared by the whole suite."""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from scamlens.settings import Settings, load_settings

TEST_KEY = "test-key-0123456789abcdef-not-secret"


@dataclass
class CliResult:
    """What a CLI invocation returned."""

    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    return load_settings(env={"SCAMLENS_HMAC_KEY": TEST_KEY}, data_dir=data_dir)


@contextlib.contextmanager
def _env(values: dict[str, str]) -> Iterator[None]:
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def invoke(args: list[str], *, env: dict[str, str] | None = None) -> CliResult:
    """Run the CLI in-process through its real entry point and error boundary."""
    from scamlens.cli import main

    out, err = io.StringIO(), io.StringIO()
    code = 0
    with (
        _env(env or {}),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        try:
            main(args)
        except SystemExit as exc:
            code = int(exc.code or 0)
    return CliResult(code, out.getvalue(), err.getvalue())


@pytest.fixture
def cli(data_dir: Path):
    """Invoke the CLI with a private data folder and a fixed pseudonymisation key."""

    def run(*args: str, env: dict[str, str] | None = None) -> CliResult:
        merged = {"SCAMLENS_HMAC_KEY": TEST_KEY, "SCAMLENS_DATA_DIR": str(data_dir)}
        merged.update(env or {})
        return invoke(list(args), env=merged)

    return run

"""The ``scamlens`` command line: thin commands over the library layers."""

from scamlens.cli.app import cli, main

__all__ = ["cli", "main"]

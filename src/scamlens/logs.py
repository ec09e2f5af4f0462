"""Logging set-up for the entry points.

Modules create their logger with ``logging.getLogger(__name__)``; all of them sit under
the ``scamlens`` root. Only entry points (the CLI, the service) call
:func:`configure_logging`; library code never adds handlers.
"""

from __future__ import annotations

import logging
import sys

__all__ = ["configure_logging", "kv"]

ROOT = "scamlens"


def configure_logging(level: str = "WARNING", *, stream: object = None) -> None:
    """Send scamlens log records at ``level`` and above to stderr (or ``stream``)."""
    root = logging.getLogger(ROOT)
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)  # type: ignore[arg-type]
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root.addHandler(handler)
    root.setLevel(level.upper())
    root.propagate = False


def kv(**fields: object) -> str:
    """Render ``key=value`` pairs for a log line, in the order given."""
    return " ".join(f"{key}={value!r}" for key, value in fields.items())

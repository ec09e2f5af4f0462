"""The curated default library shipped with scamlens, and where data files live.

The default library is read from ``language/data/library/`` once per process and
cached; it is version 0 until it is imported into a warehouse, where every change
becomes a numbered version with its history (see :mod:`.store`).
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

from scamlens.language.library.model import Library
from scamlens.language.library.yaml_io import load_yaml

__all__ = ["DATA_DIR", "DEFAULT_LIBRARY_DIR", "default_library"]

logger = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
DEFAULT_LIBRARY_DIR = DATA_DIR / "library"


@lru_cache(maxsize=1)
def default_library() -> Library:
    """The shipped library (cached; it is immutable)."""
    library = load_yaml(DEFAULT_LIBRARY_DIR)
    return library.with_entries(
        library.entries,
        author=library.author or "scamlens",
        reason=library.reason or "shipped default library",
    )

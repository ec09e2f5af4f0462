"""The fraud-script feature library (涉诈话术特征库): model, YAML, storage, history."""

from scamlens.language.library.default import DATA_DIR, default_library
from scamlens.language.library.history import EntryChange, LibraryDiff, diff_libraries
from scamlens.language.library.model import (
    TIERS,
    Action,
    Library,
    LibraryError,
    Pattern,
    Persona,
    ScriptEntry,
)
from scamlens.language.library.store import (
    ensure_tables,
    latest_version,
    list_versions,
    load_active,
    load_version,
    save_version,
)
from scamlens.language.library.yaml_io import dump_library, load_yaml

__all__ = [
    "DATA_DIR",
    "TIERS",
    "Action",
    "EntryChange",
    "Library",
    "LibraryDiff",
    "LibraryError",
    "Pattern",
    "Persona",
    "ScriptEntry",
    "default_library",
    "diff_libraries",
    "dump_library",
    "ensure_tables",
    "latest_version",
    "list_versions",
    "load_active",
    "load_version",
    "load_yaml",
    "save_version",
]

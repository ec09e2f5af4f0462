"""Reading and writing the feature library as YAML, one file or a folder of files.

The shipped default library is a folder (one file per fraud type, plus ``lexicon.yaml``
with the shared personas and actions) so analysts can review a type at a time. An
export is a single file with the same three sections, ``personas``, ``actions`` and
``scripts``, and a ``library`` header with version, author and reason. A file may set
``fraud_type`` at the top for all its scripts.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import yaml

from scamlens.language.library.model import (
    Action,
    Library,
    LibraryError,
    Persona,
    ScriptEntry,
)

__all__ = ["dump_library", "library_from_mapping", "library_to_mapping", "load_yaml"]

logger = logging.getLogger(__name__)


def _read(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0]
        raise LibraryError(
            f"library file `{path}` is not valid YAML ({first}); fix the file"
        ) from None
    except UnicodeDecodeError:
        raise LibraryError(
            f"library file `{path}` is not UTF-8; save it as UTF-8 and retry"
        ) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise LibraryError(
            f"library file `{path}` must hold a mapping with a `scripts` list"
        )
    return data


def load_yaml(path: Path) -> Library:
    """Load a library from a YAML file or a folder of YAML files."""
    if not path.exists():
        raise LibraryError(f"library path `{path}` does not exist; check the path")
    files = (
        sorted(path.glob("*.yaml")) + sorted(path.glob("*.yml"))
        if path.is_dir()
        else [path]
    )
    if not files:
        raise LibraryError(f"library folder `{path}` has no .yaml files")
    merged: dict[str, Any] = {"personas": [], "actions": [], "scripts": []}
    header: dict[str, Any] = {}
    for file in files:
        data = _read(file)
        header.update(data.get("library") or {})
        merged["personas"].extend(data.get("personas") or [])
        merged["actions"].extend(data.get("actions") or [])
        default_type = str(data.get("fraud_type") or "")
        for item in data.get("scripts") or []:
            if not isinstance(item, dict):
                raise LibraryError(
                    f"library file `{file}` has a script that is not a mapping"
                )
            if default_type and "fraud_type" not in item:
                item = {**item, "fraud_type": default_type}
            merged["scripts"].append(item)
    merged["library"] = header
    library = library_from_mapping(merged)
    logger.info("library loaded path=%s scripts=%d", path, len(library.entries))
    return library


def _lower(values: Any) -> tuple[str, ...]:
    return tuple(str(v).strip().lower() for v in values or () if str(v).strip())


def library_from_mapping(data: dict[str, Any]) -> Library:
    """Build a :class:`Library` from the parsed YAML shape."""
    header = data.get("library") or {}
    personas = tuple(
        Persona(
            str(p["code"]),
            str(p.get("zh", "")),
            str(p.get("en", "")),
            _lower(p.get("cues")),
        )
        for p in data.get("personas") or []
    )
    actions = tuple(
        Action(
            str(a["code"]),
            str(a.get("zh", "")),
            str(a.get("en", "")),
            _lower(a.get("cues")),
            float(a.get("weight", 1.0)),
        )
        for a in data.get("actions") or []
    )
    entries = tuple(ScriptEntry.from_dict(item) for item in data.get("scripts") or [])
    return Library(
        entries=entries,
        personas=personas,
        actions=actions,
        version=int(header.get("version") or 0),
        created_at=str(header.get("created_at") or ""),
        author=str(header.get("author") or ""),
        reason=str(header.get("reason") or ""),
    )


def library_to_mapping(library: Library) -> dict[str, Any]:
    """The single-file YAML shape of ``library``."""
    return {
        "library": {
            "version": library.version,
            "created_at": library.created_at,
            "author": library.author,
            "reason": library.reason,
        },
        "personas": [
            {"code": p.code, "zh": p.zh, "en": p.en, "cues": list(p.cues)}
            for p in library.personas
        ],
        "actions": [
            {
                "code": a.code,
                "zh": a.zh,
                "en": a.en,
                "weight": a.weight,
                "cues": list(a.cues),
            }
            for a in library.actions
        ],
        "scripts": [e.to_dict() for e in library.entries],
    }


def dump_library(library: Library, path: Path | None = None) -> str:
    """Render ``library`` as one YAML document; write it to ``path`` when given."""
    text = yaml.safe_dump(
        library_to_mapping(library), allow_unicode=True, sort_keys=False, width=100
    )
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return text

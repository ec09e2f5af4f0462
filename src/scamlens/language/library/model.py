"""The feature library's data model: scripts, personas, actions, and a versioned whole.

A :class:`ScriptEntry` is one fraud script (涉诈话术): who is impersonated, the hook,
what the victim is asked to do, and the evidence that recognises it (keywords in three
strengths and regular expressions), with example texts. Entries of type ``none`` are
benign templates (bank notices, courier messages, marketing) that pull ordinary texts
away from the fraud types. Personas and actions are shared lexicons the entries refer
to by code, so "安全账户" is written once and every police script can ask for it.

Everything is frozen: a change to the library is a new :class:`Library` version.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field, replace
from typing import Any

from scamlens.errors import UserError
from scamlens.language.taxonomy import CODES

__all__ = [
    "TIERS",
    "Action",
    "Library",
    "LibraryError",
    "Pattern",
    "Persona",
    "ScriptEntry",
]

logger = logging.getLogger(__name__)

TIERS: dict[str, float] = {"strong": 3.0, "medium": 1.5, "weak": 0.6}
"""Weight of a keyword by strength; see ``matching/scoring.py`` for how they add up."""

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{1,63}$")


class LibraryError(UserError):
    """A library file or entry is malformed; the message names the entry and field."""


@dataclass(frozen=True)
class Pattern:
    """A regular expression with the weight its match adds to the script's score."""

    regex: str
    weight: float = 2.0


@dataclass(frozen=True)
class Persona:
    """Who a script pretends to be, with the words that reveal that role."""

    code: str
    zh: str
    en: str
    cues: tuple[str, ...] = ()


@dataclass(frozen=True)
class Action:
    """Something a script asks the victim to do, with the words that ask for it."""

    code: str
    zh: str
    en: str
    cues: tuple[str, ...] = ()
    weight: float = 1.0


@dataclass(frozen=True)
class ScriptEntry:
    """One fraud script (or, with type ``none``, one benign template)."""

    script_id: str
    fraud_type: str
    name: str
    persona: str = ""
    hook: str = ""
    actions: tuple[str, ...] = ()
    strong: tuple[str, ...] = ()
    medium: tuple[str, ...] = ()
    weak: tuple[str, ...] = ()
    patterns: tuple[Pattern, ...] = ()
    examples: tuple[str, ...] = ()
    name_en: str = ""
    status: str = "active"
    notes: str = ""

    @property
    def keywords(self) -> dict[str, tuple[str, ...]]:
        return {"strong": self.strong, "medium": self.medium, "weak": self.weak}

    def all_terms(self) -> tuple[str, ...]:
        return self.strong + self.medium + self.weak

    def to_dict(self) -> dict[str, Any]:
        """The YAML shape of the entry; empty fields are left out."""
        data: dict[str, Any] = {
            "id": self.script_id,
            "fraud_type": self.fraud_type,
            "name": self.name,
            "name_en": self.name_en,
            "persona": self.persona,
            "hook": self.hook,
            "actions": list(self.actions),
            "keywords": {k: list(v) for k, v in self.keywords.items() if v},
            "patterns": [{"regex": p.regex, "weight": p.weight} for p in self.patterns],
            "examples": list(self.examples),
            "status": self.status,
            "notes": self.notes,
        }
        return {k: v for k, v in data.items() if v not in ("", [], {}, None)}

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, default_type: str = "") -> ScriptEntry:
        """Build an entry from its YAML shape, checking every field it can."""
        sid = str(data.get("id", "")).strip()
        if not _ID.match(sid):
            raise LibraryError(
                f"script id `{sid}` is not a valid id; use 2-64 letters, digits, "
                "'-', '_' or '.'"
            )
        fraud_type = str(data.get("fraud_type") or default_type).strip()
        if fraud_type not in CODES:
            raise LibraryError(
                f"script `{sid}` has fraud_type `{fraud_type}`; expected one of "
                f"{', '.join(CODES)}"
            )
        keywords = data.get("keywords") or {}
        if not isinstance(keywords, dict):
            raise LibraryError(
                f"script `{sid}` keywords must be a mapping of strong/medium/weak lists"
            )
        unknown = set(keywords) - set(TIERS)
        if unknown:
            raise LibraryError(
                f"script `{sid}` has keyword tier `{sorted(unknown)[0]}`; "
                "expected strong, medium or weak"
            )
        patterns = []
        for raw in data.get("patterns") or ():
            item = raw if isinstance(raw, dict) else {"regex": raw}
            regex = str(item.get("regex", ""))
            try:
                re.compile(regex)
            except re.error as exc:
                raise LibraryError(
                    f"script `{sid}` pattern `{regex}` is not a valid regex ({exc}); "
                    "fix it in the library file"
                ) from None
            patterns.append(Pattern(regex, float(item.get("weight", 2.0))))
        return cls(
            script_id=sid,
            fraud_type=fraud_type,
            name=str(data.get("name") or sid),
            name_en=str(data.get("name_en") or ""),
            persona=str(data.get("persona") or ""),
            hook=str(data.get("hook") or ""),
            actions=_strs(data.get("actions")),
            strong=_terms(keywords.get("strong")),
            medium=_terms(keywords.get("medium")),
            weak=_terms(keywords.get("weak")),
            patterns=tuple(patterns),
            examples=_strs(data.get("examples")),
            status=str(data.get("status") or "active"),
            notes=str(data.get("notes") or ""),
        )


def _strs(value: Any) -> tuple[str, ...]:
    if not value:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v).strip() for v in value if str(v).strip())


def _terms(value: Any) -> tuple[str, ...]:
    """Keywords are matched on cleaned, lower-cased text, so store them that way."""
    seen: dict[str, None] = {}
    for term in _strs(value):
        seen.setdefault(term.lower(), None)
    return tuple(seen)


@dataclass(frozen=True)
class Library:
    """A whole version of the feature library."""

    entries: tuple[ScriptEntry, ...]
    personas: tuple[Persona, ...] = ()
    actions: tuple[Action, ...] = ()
    version: int = 0
    created_at: str = ""
    author: str = ""
    reason: str = ""
    meta: dict[str, str] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for entry in self.entries:
            if entry.script_id in seen:
                raise LibraryError(
                    f"script id `{entry.script_id}` appears twice; give each script "
                    "its own id"
                )
            seen.add(entry.script_id)
        personas = {p.code for p in self.personas}
        actions = {a.code for a in self.actions}
        for entry in self.entries:
            if self.personas and entry.persona and entry.persona not in personas:
                raise LibraryError(
                    f"script `{entry.script_id}` names persona `{entry.persona}`, "
                    "which the library does not define; add it under personas"
                )
            for action in entry.actions:
                if self.actions and action not in actions:
                    raise LibraryError(
                        f"script `{entry.script_id}` names action `{action}`, which "
                        "the library does not define; add it under actions"
                    )

    @property
    def active(self) -> tuple[ScriptEntry, ...]:
        return tuple(e for e in self.entries if e.status == "active")

    def entry(self, script_id: str) -> ScriptEntry:
        for candidate in self.entries:
            if candidate.script_id == script_id:
                return candidate
        raise LibraryError(
            f"script `{script_id}` is not in library version {self.version}; "
            "list the ids with `scamlens scripts list`"
        )

    def persona(self, code: str) -> Persona | None:
        return next((p for p in self.personas if p.code == code), None)

    def action(self, code: str) -> Action | None:
        return next((a for a in self.actions if a.code == code), None)

    def terms(self) -> set[str]:
        """Every literal term (keywords, persona and action cues) of the library."""
        found: set[str] = set()
        for entry in self.active:
            found.update(entry.all_terms())
        for persona in self.personas:
            found.update(persona.cues)
        for action in self.actions:
            found.update(action.cues)
        return found

    def with_entries(self, entries: tuple[ScriptEntry, ...], **changes: Any) -> Library:
        return replace(self, entries=entries, **changes)

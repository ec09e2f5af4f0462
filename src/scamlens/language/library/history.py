"""Differences between two library versions, entry by entry and field by field.

The diff answers the reviewer's questions: which scripts were added, which were
removed, and for a changed script which keywords, examples or fields changed. It is
computed from the stored versions, so it works for any two versions in the warehouse.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from scamlens.language.library.model import Library

__all__ = ["EntryChange", "LibraryDiff", "diff_libraries"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class EntryChange:
    """How one script differs: per field, the items removed and added (or old/new)."""

    script_id: str
    fields: dict[str, tuple[Any, Any]]


@dataclass(frozen=True)
class LibraryDiff:
    """Scripts added, removed and changed from ``old_version`` to ``new_version``."""

    old_version: int
    new_version: int
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[EntryChange, ...] = field(default_factory=tuple)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)

    def render(self) -> str:
        """A plain-text report, one line per change."""
        lines = [f"library v{self.old_version} -> v{self.new_version}"]
        lines += [f"+ {sid}" for sid in self.added]
        lines += [f"- {sid}" for sid in self.removed]
        for change in self.changed:
            lines.append(f"~ {change.script_id}")
            for name, (old, new) in change.fields.items():
                if isinstance(old, list):
                    if new:
                        lines.append(f"    {name} +: {', '.join(map(str, new))}")
                    if old:
                        lines.append(f"    {name} -: {', '.join(map(str, old))}")
                else:
                    lines.append(f"    {name}: {old!r} -> {new!r}")
        if self.empty:
            lines.append("(no differences)")
        return "\n".join(lines)


_LIST_FIELDS = ("actions", "examples")


def _compare(old: dict[str, Any], new: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    changes: dict[str, tuple[Any, Any]] = {}
    old_kw, new_kw = old.get("keywords", {}), new.get("keywords", {})
    for tier in sorted(set(old_kw) | set(new_kw)):
        before, after = old_kw.get(tier, []), new_kw.get(tier, [])
        gone = [t for t in before if t not in after]
        came = [t for t in after if t not in before]
        if gone or came:
            changes[f"keywords.{tier}"] = (gone, came)
    for name in _LIST_FIELDS:
        before, after = old.get(name, []), new.get(name, [])
        gone = [t for t in before if t not in after]
        came = [t for t in after if t not in before]
        if gone or came:
            changes[name] = (gone, came)
    old_p = [p["regex"] for p in old.get("patterns", [])]
    new_p = [p["regex"] for p in new.get("patterns", [])]
    if old_p != new_p:
        changes["patterns"] = (
            [p for p in old_p if p not in new_p],
            [p for p in new_p if p not in old_p],
        )
    for name in sorted((set(old) | set(new)) - {"keywords", "patterns", *_LIST_FIELDS}):
        if old.get(name) != new.get(name):
            changes[name] = (old.get(name), new.get(name))
    return changes


def diff_libraries(old: Library, new: Library) -> LibraryDiff:
    """Compare two libraries script by script."""
    before = {e.script_id: e.to_dict() for e in old.entries}
    after = {e.script_id: e.to_dict() for e in new.entries}
    changed = []
    for sid in sorted(set(before) & set(after)):
        fields = _compare(before[sid], after[sid])
        if fields:
            changed.append(EntryChange(sid, fields))
    return LibraryDiff(
        old.version,
        new.version,
        added=tuple(sorted(set(after) - set(before))),
        removed=tuple(sorted(set(before) - set(after))),
        changed=tuple(changed),
    )

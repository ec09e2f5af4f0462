"""Proposed new scripts: found by discovery, kept until a person decides.

A proposal is a cluster of texts the library does not explain, with keywords,
examples (phone and card numbers masked), a suggested fraud type and, when the llm
backend is configured, a summary (name, persona, hook, actions). Proposals live in
``script_proposals``; accepting some turns them into library entries in one new
library version whose history names the reviewer and the reason.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb
import pyarrow as pa

from scamlens.language.backends.base import Backend
from scamlens.language.discovery.cluster import cluster_keywords, cluster_texts
from scamlens.language.library.default import default_library
from scamlens.language.library.model import Library, LibraryError, ScriptEntry
from scamlens.language.library.store import (
    ensure_tables,
    latest_version,
    load_version,
    save_version,
)
from scamlens.language.matching.matcher import Matcher
from scamlens.language.segment import Segmenter
from scamlens.language.taxonomy import CODES, FRAUD_CODES, NONE
from scamlens.language.text import mask_pii, prepare

__all__ = [
    "Proposal",
    "accept_proposals",
    "discover",
    "ensure_proposal_table",
    "list_proposals",
    "reject_proposals",
    "save_proposals",
]

logger = logging.getLogger(__name__)

_DDL = """
CREATE TABLE IF NOT EXISTS script_proposals (
    proposal_id VARCHAR PRIMARY KEY,
    created_at TIMESTAMPTZ NOT NULL,
    status VARCHAR NOT NULL,
    base_version INTEGER,
    size INTEGER,
    cohesion DOUBLE,
    fraud_type VARCHAR,
    name VARCHAR,
    persona VARCHAR,
    hook VARCHAR,
    actions VARCHAR,
    keywords VARCHAR,
    examples VARCHAR,
    summary_source VARCHAR,
    reviewer VARCHAR,
    reviewed_at TIMESTAMPTZ,
    decision_reason VARCHAR,
    script_id VARCHAR
)
"""


@dataclass(frozen=True)
class Proposal:
    """One proposed script, before review."""

    proposal_id: str
    size: int
    cohesion: float
    fraud_type: str
    name: str
    keywords: tuple[str, ...]
    examples: tuple[str, ...]
    persona: str = ""
    hook: str = ""
    actions: tuple[str, ...] = ()
    summary_source: str = "keywords"


def _suggest_type(matcher: Matcher, texts: Sequence[str]) -> str:
    """The type the rules lean to for the group, even below threshold; else other."""
    votes: Counter[str] = Counter()
    for text in texts:
        scores = matcher.match(text).type_scores
        if scores:
            code, score = max(scores.items(), key=lambda kv: kv[1])
            if score >= 1.5:
                votes[code] += 1
    if votes:
        code, count = votes.most_common(1)[0]
        if count * 2 >= len(texts):
            return code
    return "other"


def discover(
    texts: Sequence[object],
    library: Library,
    *,
    summariser: Backend | None = None,
    min_size: int = 3,
    distance: float = 0.75,
    max_proposals: int = 20,
) -> tuple[list[Proposal], dict[str, int]]:
    """Proposals from the ``texts`` the library does not explain, and counts."""
    matcher = Matcher(library)
    cleaned = [prepare(t).text for t in texts]
    unmatched = [t for t in cleaned if len(t) >= 6 and not matcher.match(t).matched]
    unique = list(dict.fromkeys(unmatched))
    stats = {"texts": len(cleaned), "unmatched": len(unmatched), "unique": len(unique)}
    segmenter = Segmenter(library.terms())
    clusters = cluster_texts(unique, min_size=min_size, distance=distance)
    stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    proposals = []
    for n, cluster in enumerate(clusters[:max_proposals], start=1):
        members = [unique[i] for i in cluster.members]
        keywords = cluster_keywords(unique, cluster.members, segmenter)
        summary = None
        if summariser is not None and hasattr(summariser, "summarise"):
            summary = summariser.summarise(members)
        fraud_type = (summary or {}).get("fraud_type") or _suggest_type(
            matcher, members
        )
        proposals.append(
            Proposal(
                proposal_id=f"P{stamp}-{n:03d}",
                size=len(members),
                cohesion=cluster.cohesion,
                fraud_type=fraud_type if fraud_type in CODES else "other",
                name=str(
                    (summary or {}).get("name")
                    or "、".join(keywords[:3])
                    or "未命名话术"
                ),
                keywords=tuple(
                    dict.fromkeys(
                        [str(k).lower() for k in (summary or {}).get("keywords", [])]
                        + keywords
                    )
                ),
                examples=tuple(mask_pii(m)[:300] for m in members[:5]),
                persona=str((summary or {}).get("persona") or ""),
                hook=str((summary or {}).get("hook") or ""),
                actions=tuple(str(a) for a in (summary or {}).get("actions", [])),
                summary_source="llm" if summary else "keywords",
            )
        )
    stats["proposals"] = len(proposals)
    logger.info(
        "discovery texts=%d unmatched=%d proposals=%d",
        stats["texts"],
        stats["unmatched"],
        len(proposals),
    )
    return proposals, stats


def ensure_proposal_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(_DDL)


def save_proposals(
    con: duckdb.DuckDBPyConnection,
    proposals: Sequence[Proposal],
    base_version: int | None,
) -> int:
    """Store ``proposals`` as pending; return how many were stored."""
    ensure_proposal_table(con)
    now = datetime.now(UTC)
    rows = [
        (
            p.proposal_id,
            now,
            "pending",
            base_version,
            p.size,
            p.cohesion,
            p.fraud_type,
            p.name,
            p.persona,
            p.hook,
            json.dumps(list(p.actions), ensure_ascii=False),
            json.dumps(list(p.keywords), ensure_ascii=False),
            json.dumps(list(p.examples), ensure_ascii=False),
            p.summary_source,
            None,
            None,
            None,
            None,
        )
        for p in proposals
    ]
    if rows:
        con.executemany(
            "INSERT INTO script_proposals VALUES "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
            "?, ?, ?, ?, ?) ON CONFLICT (proposal_id) DO NOTHING",
            rows,
        )
    return len(rows)


def list_proposals(
    con: duckdb.DuckDBPyConnection, status: str | None = "pending"
) -> pa.Table:
    ensure_proposal_table(con)
    where = "WHERE status = ?" if status else ""
    params = [status] if status else []
    return con.sql(
        f"SELECT * FROM script_proposals {where} ORDER BY proposal_id", params=params
    ).to_arrow_table()


def _fetch(con: duckdb.DuckDBPyConnection, ids: Sequence[str]) -> list[dict[str, Any]]:
    ensure_proposal_table(con)
    found = list_proposals(con, None).to_pylist()
    by_id = {r["proposal_id"]: r for r in found}
    missing = [i for i in ids if i not in by_id]
    if missing:
        raise LibraryError(
            f"proposal `{missing[0]}` does not exist; list them with "
            "`scamlens scripts review --list`"
        )
    rows = [by_id[i] for i in ids]
    decided = [r["proposal_id"] for r in rows if r["status"] != "pending"]
    if decided:
        raise LibraryError(
            f"proposal `{decided[0]}` was already decided; only pending ones can be "
            "reviewed"
        )
    return rows


def _entry(
    row: dict[str, Any], library: Library, fraud_type: str | None
) -> ScriptEntry:
    code = fraud_type or row["fraud_type"]
    if code not in FRAUD_CODES and code != NONE:
        raise LibraryError(
            f"fraud type `{code}` is not a taxonomy code; expected one of "
            f"{', '.join(CODES)}"
        )
    keywords = [k for k in json.loads(row["keywords"]) if len(k) >= 2]
    persona_text = row["persona"] or ""
    persona = next(
        (
            p.code
            for p in library.personas
            if persona_text
            and (
                p.zh in persona_text
                or any(c in persona_text for c in p.cues if len(c) >= 2)
            )
        ),
        "",
    )
    actions = []
    for text in json.loads(row["actions"]):
        for action in library.actions:
            if (
                action.code == text
                or action.zh in text
                or any(len(c) >= 2 and c in text for c in action.cues)
            ):
                actions.append(action.code)
                break
    return ScriptEntry(
        script_id=f"DSC-{row['proposal_id'][1:]}",
        fraud_type=code,
        name=row["name"],
        persona=persona,
        hook=row["hook"] or "",
        actions=tuple(dict.fromkeys(actions)),
        strong=tuple(keywords[:3]),
        medium=tuple(keywords[3:12]),
        examples=tuple(json.loads(row["examples"])),
        notes=f"discovered as {row['proposal_id']} from {row['size']} texts"
        + (f"; persona: {persona_text}" if persona_text and not persona else ""),
    )


def _current(con: duckdb.DuckDBPyConnection) -> Library:
    ensure_tables(con)
    version = latest_version(con)
    return load_version(con, version) if version is not None else default_library()


def accept_proposals(
    con: duckdb.DuckDBPyConnection,
    ids: Sequence[str],
    *,
    reviewer: str,
    reason: str,
    fraud_type: str | None = None,
) -> Library:
    """Add the proposals as entries in a new library version; mark them accepted."""
    rows = _fetch(con, ids)
    library = _current(con)
    new_entries = [_entry(r, library, fraud_type) for r in rows]
    updated = library.with_entries(library.entries + tuple(new_entries))
    stored = save_version(
        con, updated, author=reviewer, reason=f"{reason} (accepted {', '.join(ids)})"
    )
    now = datetime.now(UTC)
    for row, entry in zip(rows, new_entries, strict=True):
        con.execute(
            "UPDATE script_proposals SET status = 'accepted', reviewer = ?, "
            "reviewed_at = ?, decision_reason = ?, script_id = ?, fraud_type = ? "
            "WHERE proposal_id = ?",
            [
                reviewer,
                now,
                reason,
                entry.script_id,
                entry.fraud_type,
                row["proposal_id"],
            ],
        )
    return stored


def reject_proposals(
    con: duckdb.DuckDBPyConnection, ids: Sequence[str], *, reviewer: str, reason: str
) -> int:
    """Mark proposals rejected with who and why; return how many."""
    rows = _fetch(con, ids)
    now = datetime.now(UTC)
    for row in rows:
        con.execute(
            "UPDATE script_proposals SET status = 'rejected', reviewer = ?, "
            "reviewed_at = ?, decision_reason = ? WHERE proposal_id = ?",
            [reviewer, now, reason, row["proposal_id"]],
        )
    return len(rows)

"""The feature library: shipped content, YAML round trip, warehouse versions, diffs."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from scamlens.language.library import (
    Library,
    LibraryError,
    default_library,
    diff_libraries,
    dump_library,
    list_versions,
    load_active,
    load_version,
    load_yaml,
    save_version,
)
from scamlens.language.taxonomy import CODES
from scamlens.warehouse import connect


def test_default_library_covers_every_type_with_several_scripts(
    library: Library,
) -> None:
    by_type: dict[str, int] = {}
    for entry in library.entries:
        by_type[entry.fraud_type] = by_type.get(entry.fraud_type, 0) + 1
    assert set(by_type) == set(CODES)
    assert min(by_type.values()) >= 3
    assert sum(len(e.examples) for e in library.entries) >= 180
    assert len(library.terms()) >= 2000


def test_default_library_scripts_name_known_personas_and_actions(
    library: Library,
) -> None:
    personas = {p.code for p in library.personas}
    actions = {a.code for a in library.actions}
    assert {
        "safe_account",
        "screen_share",
        "download_app",
        "verification_code",
        "pay_fee",
        "add_contact",
    } <= actions
    for entry in library.entries:
        assert not entry.persona or entry.persona in personas
        assert set(entry.actions) <= actions


def test_yaml_round_trip_is_lossless(tmp_path: Path, library: Library) -> None:
    path = tmp_path / "lib.yaml"
    dump_library(library, path)
    again = load_yaml(path)
    assert again.entries == library.entries
    assert again.personas == library.personas and again.actions == library.actions


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("scripts:\n  - {id: X-1, fraud_type: nonsense}\n", "fraud_type `nonsense`"),
        ("scripts:\n  - {id: '!', fraud_type: romance}\n", "script id `!`"),
        (
            "scripts:\n  - {id: X-1, fraud_type: romance, patterns: ['(']}\n",
            "not a valid regex",
        ),
        (
            "scripts:\n  - {id: X-1, fraud_type: romance}\n"
            "  - {id: X-1, fraud_type: other}\n",
            "appears twice",
        ),
        ("scripts: [\n", "not valid YAML"),
    ],
)
def test_bad_library_files_raise_named_errors(
    tmp_path: Path, yaml_text: str, message: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(yaml_text, encoding="utf-8")
    with pytest.raises(LibraryError, match=message):
        load_yaml(path)


def test_warehouse_keeps_versions_with_author_and_reason(tmp_path: Path) -> None:
    con = connect(tmp_path / "wh.duckdb")
    base = default_library()
    first = save_version(con, base, author="alice", reason="initial import")
    same = save_version(con, base, author="bob", reason="no change")
    assert first.version == 1 and same.version == 1
    entry = base.entries[0]
    changed = replace(
        entry, strong=entry.strong + ("新话术词",), examples=entry.examples[1:]
    )
    second = save_version(
        con,
        base.with_entries((changed, *base.entries[1:])),
        author="bob",
        reason="add term",
    )
    assert second.version == 2
    history = list_versions(con).to_pylist()
    assert [(h["version"], h["author"], h["parent"]) for h in history] == [
        (1, "alice", None),
        (2, "bob", 1),
    ]
    diff = diff_libraries(load_version(con, 1), load_version(con, 2))
    assert diff.added == () and diff.removed == ()
    (change,) = diff.changed
    assert change.script_id == entry.script_id
    assert change.fields["keywords.strong"] == ([], ["新话术词"])
    assert change.fields["examples"] == ([entry.examples[0]], [])
    assert "+: 新话术词" in diff.render()
    con.close()


def test_save_version_requires_author_and_reason(tmp_path: Path) -> None:
    con = connect(tmp_path / "wh.duckdb")
    with pytest.raises(LibraryError, match="author and a reason"):
        save_version(con, default_library(), author="", reason="x")
    con.close()


def test_load_active_prefers_the_warehouse_and_never_creates_one(
    tmp_path: Path,
) -> None:
    path = tmp_path / "wh.duckdb"
    assert load_active(path).version == 0
    assert not path.exists()
    con = connect(path)
    base = default_library()
    save_version(con, base.with_entries(base.entries[:5]), author="a", reason="small")
    con.close()
    active = load_active(path)
    assert active.version == 1 and len(active.entries) == 5

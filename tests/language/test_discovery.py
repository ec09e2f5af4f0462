"""Keeping the library alive: discovery, review, new versions and coverage."""

from __future__ import annotations

from pathlib import Path

import pytest

from scamlens.language.discovery import (
    accept_proposals,
    coverage,
    coverage_history,
    discover,
    list_proposals,
    record_coverage,
    reject_proposals,
    save_proposals,
)
from scamlens.language.library import LibraryError, latest_version, load_version
from scamlens.language.library.model import Library
from scamlens.language.matching import Matcher
from scamlens.language.text import prepare
from scamlens.warehouse import connect

METER = [
    "您好我是供电局的，您家电表需要更换智能电表，更换前需先缴纳电表押金两百元",
    "供电公司通知：您家的电表已到期，需要更换新电表，请先缴纳电表押金",
    "我们是电力公司的，您家电表老化要换新电表，换表先付押金",
    "供电局工作人员：您家电表更换需要交押金，交完师傅上门换表",
    "电力局通知更换电表，押金三百元，扫码缴纳",
]
KNOWN = ["诚招兼职点赞关注一单3元日结佣金", "今天天气不错我们去公园吧", "明天上午开会"]


def test_discover_proposes_the_unexplained_group(library: Library) -> None:
    proposals, stats = discover(METER + KNOWN, library, min_size=3)
    assert stats["texts"] == 8
    assert stats["unmatched"] >= 5
    (proposal,) = proposals
    assert proposal.size >= 3
    assert "电表" in proposal.keywords
    cleaned = {prepare(t).text for t in METER}
    assert all(e in cleaned for e in proposal.examples)
    assert proposal.summary_source == "keywords"


def test_accept_makes_a_new_version_that_matches_the_group(
    tmp_path: Path, library: Library
) -> None:
    con = connect(tmp_path / "wh.duckdb")
    proposals, _ = discover(METER, library, min_size=3)
    save_proposals(con, proposals, library.version)
    assert list_proposals(con).num_rows == 1
    stored = accept_proposals(
        con,
        [proposals[0].proposal_id],
        reviewer="carol",
        reason="meter scam",
        fraud_type="other",
    )
    assert stored.version == latest_version(con) == 1
    assert load_version(con, 1).reason.startswith("meter scam")
    matcher = Matcher(stored)
    assert sum(matcher.match(t).fraud_type == "other" for t in METER) >= 4
    decided = list_proposals(con, None).to_pylist()[0]
    assert decided["status"] == "accepted" and decided["reviewer"] == "carol"
    with pytest.raises(LibraryError, match="already decided"):
        reject_proposals(con, [proposals[0].proposal_id], reviewer="x", reason="y")
    con.close()


def test_reject_keeps_the_library(tmp_path: Path, library: Library) -> None:
    con = connect(tmp_path / "wh.duckdb")
    proposals, _ = discover(METER, library, min_size=3)
    save_proposals(con, proposals, 0)
    assert (
        reject_proposals(
            con, [p.proposal_id for p in proposals], reviewer="d", reason="noise"
        )
        == 1
    )
    assert latest_version(con) is None
    assert list_proposals(con).num_rows == 0
    with pytest.raises(LibraryError, match="does not exist"):
        accept_proposals(con, ["P-nope"], reviewer="d", reason="x")
    con.close()


def test_coverage_per_period_and_history(tmp_path: Path, library: Library) -> None:
    table = coverage(
        METER[:2] + KNOWN[:1] + [""],
        library,
        times=["2026-11-01", "2026-11-01T10:00:00", "2026-11-02", None],
    )
    assert table.to_pylist() == [
        {"period": "2026-11-01", "texts": 2, "matched": 0, "share": 0.0},
        {"period": "2026-11-02", "texts": 1, "matched": 1, "share": 1.0},
    ]
    weekly = coverage(KNOWN[:1], library, times=["2026-11-02"], grain="week")
    assert weekly.column("period").to_pylist() == ["2026-W45"]
    con = connect(tmp_path / "wh.duckdb")
    record_coverage(con, table, library_version=0, source="test")
    history = coverage_history(con).to_pylist()
    assert [h["period"] for h in history] == ["2026-11-01", "2026-11-02"]
    con.close()

"""The batch core fills outcome flags the platform left empty, from transcripts."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import duckdb

from scamlens import simulate
from scamlens.jobs.run import PLATFORM_DB, PLATFORM_TABLE, run_job
from scamlens.settings import Settings

CONFIG = simulate.SimConfig(
    start=date(2026, 11, 20), days=1, per_day=3_000, seed=5, flag_blank_rate=0.3
)


def _indicators(settings: Settings) -> dict[str, int]:
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        row = con.execute(
            "SELECT sum(initiated), sum(succeeded), sum(accurate), sum(victims), "
            "sum(publicity) FROM daily_counts"
        ).fetchall()[0]
        labelled = con.execute(
            "SELECT count(*) FROM record_versions WHERE json_extract_string(extras, "
            "'$.label_backend') = 'rules'"
        ).fetchall()[0][0]
    finally:
        con.close()
    names = ("initiated", "succeeded", "accurate", "victims", "publicity")
    return {**dict(zip(names, map(int, row), strict=True)), "labelled": int(labelled)}


def test_empty_flags_are_filled_from_transcripts(settings: Settings, tmp_path) -> None:
    db = tmp_path / PLATFORM_DB
    simulate.write_db(CONFIG, f"sqlite:///{db}", table=PLATFORM_TABLE)
    truth = json.loads((tmp_path / f"{PLATFORM_DB}.truth.json").read_text())
    from scamlens.sources import DatabaseSource

    plain = run_job(
        settings, CONFIG.as_of, source=DatabaseSource(f"sqlite:///{db}", PLATFORM_TABLE)
    )
    assert plain.cleaning["counted"] == truth["counts"]["counted"]
    as_given = _indicators(settings)
    assert {k: as_given[k] for k in truth["indicators"]} == truth["indicators"]
    assert as_given["labelled"] == 0

    filling = replace(
        settings,
        data_dir=tmp_path / "filled",
        language=replace(settings.language, fill_missing_flags=True),
    )
    run_job(
        filling, CONFIG.as_of, source=DatabaseSource(f"sqlite:///{db}", PLATFORM_TABLE)
    )
    filled = _indicators(filling)
    expected = truth["if_flags_filled"]
    assert filled["labelled"] > 0
    for name in ("accurate", "victims"):
        assert filled[name] > as_given[name]
        # The rules backend reads most planted replies right; allow a few misses.
        assert abs(filled[name] - expected[name]) <= max(3, 0.1 * expected[name])
    assert filled["initiated"] == as_given["initiated"]

"""The stream engine agrees with the batch layer, whatever the micro-batches."""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from scamlens.cleaning.rules import SUPERSEDED
from scamlens.jobs.metrics import compute_metrics
from scamlens.privacy.redact import Redactor
from scamlens.settings import Settings
from scamlens.simulate import MessRates, SimConfig
from scamlens.sources import JsonLinesSource
from scamlens.streaming.live import live_counts

from .conftest import KEY, EngineFactory, batch_counts, by_group, feed
from .records import stream_lines

# Four times the default mess, so every bad row kind shows up in 2 x 1,200 records.
CONFIG = SimConfig(days=2, per_day=1_200, seed=23, mess=MessRates().scaled(4))
BREAKDOWNS = (
    ("day", "region_code", "channel", "module", "fraud_type", "age_band", "gender"),
    ("week", "province"),
    ("month", "city", "gender"),
    ("hour", "fraud_type"),
    (),
)


@pytest.fixture(scope="module")
def lines() -> list[str]:
    return stream_lines(CONFIG, seed=4)


def _sizes(rng: random.Random, total: int) -> list[int]:
    sizes = []
    while sum(sizes) < total:
        sizes.append(rng.choice([1, 7, 50, 233, 600]))
    return sizes


@pytest.mark.parametrize("split_seed", [1, 2])
def test_engine_equals_batch_for_any_micro_batches(
    make_engine: EngineFactory,
    lines: list[str],
    settings: Settings,
    tmp_path: Path,
    split_seed: int,
) -> None:
    con, engine = make_engine(as_of=CONFIG.as_of)
    feed(engine, lines, _sizes(random.Random(split_seed), len(lines)))
    for dims in BREAKDOWNS:
        batch = by_group(
            batch_counts(settings, lines, dims, CONFIG.as_of, tmp_path), dims
        )
        live = by_group(live_counts(con, dims), dims)
        assert live == batch, dims
        assert len(batch) >= 1
    assert engine.state().next_seq == len(lines)


def test_quarantine_holds_what_the_batch_layer_quarantines(
    make_engine: EngineFactory, lines: list[str], settings: Settings, tmp_path: Path
) -> None:
    con, engine = make_engine(as_of=CONFIG.as_of)
    feed(engine, lines, [500] * (len(lines) // 500 + 1))
    path = tmp_path / "records.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = compute_metrics(
        JsonLinesSource(path, redactor=Redactor(KEY)), (), settings, CONFIG.as_of
    ).report
    reasons = Counter(
        dict(
            con.execute(
                "SELECT reason, count(*) FROM stream_quarantine GROUP BY 1"
            ).fetchall()
        )
    )
    expected = Counter({k: v for k, v in report.quarantined.items() if v})
    assert reasons == expected
    # Every bad row kind of the batch core shows up, malformed messages included.
    assert {
        "malformed_record",
        "missing_required",
        "bad_value",
        "future_time",
        "negative_duration",
        "outcome_without_connection",
        "duration_outlier",
        "runaway_dialing",
    } <= set(reasons)
    superseded = con.execute(
        f"SELECT count(*) FROM stream_verdicts WHERE reason = '{SUPERSEDED}'"
    ).fetchall()[0][0]
    assert superseded == report.superseded
    raw = con.execute(
        "SELECT original FROM stream_quarantine WHERE reason = 'malformed_record'"
    ).fetchall()
    texts = " ".join(r[0] for r in raw)
    assert "13812345678" not in texts and "<phone:" in texts


def test_phone_numbers_never_reach_the_warehouse(
    make_engine: EngineFactory, lines: list[str]
) -> None:
    con, engine = make_engine(as_of=CONFIG.as_of)
    feed(engine, lines[:800], [800])
    phones = [
        line.split('"phone": "')[1][:11]
        for line in lines[:800]
        if '"phone": "1' in line
    ]
    stored = con.execute(
        "SELECT string_agg(to_json(v)::VARCHAR, ' ') FROM stream_versions v"
    ).fetchall()[0][0]
    assert phones and not any(p in stored for p in phones)


def test_adding_a_window_spec_later_builds_it_from_the_verdicts(
    make_engine: EngineFactory, lines: list[str]
) -> None:
    from scamlens.streaming.apply import ensure_window_tables
    from scamlens.streaming.windows import DEFAULT_SPECS, WindowSpec

    con, engine = make_engine(as_of=CONFIG.as_of)
    feed(engine, lines, [900] * 4)
    extra = WindowSpec("1h", ("region_code", "gender"))
    ensure_window_tables(con, [*DEFAULT_SPECS, extra])
    built = con.execute(
        f"SELECT window_start, region_code, sum(initiated) FROM {extra.table} "
        "GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    hourly = con.execute(
        "SELECT window_start, region_code, sum(initiated) FROM "
        "stream_w1h__region_code_channel_module_fraud_type_age_band "
        "GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    assert built == hourly and built


def test_a_failed_micro_batch_leaves_no_trace(
    make_engine: EngineFactory, lines: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import scamlens.streaming.engine as engine_module

    con, engine = make_engine(as_of=CONFIG.as_of)
    feed(engine, lines[:400], [400])
    before = live_counts(con, ("day", "region_code"))
    state = engine.state()

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(engine_module, "apply_deltas", broken)
    with pytest.raises(RuntimeError):
        feed(engine, lines[400:900], [500])
    assert live_counts(con, ("day", "region_code")) == before
    assert engine.state() == state
    assert engine.position("test") == {"batch": 0}
    monkeypatch.undo()
    feed(engine, lines[400:900], [500])
    assert engine.state().next_seq == 900


def test_live_clock_counts_a_future_record_once_its_time_has_come(
    make_engine: EngineFactory,
) -> None:
    from .conftest import records_json

    now = [datetime.fromisoformat("2025-03-03T09:00:00+08:00")]
    con, engine = make_engine(clock=lambda: now[0])
    feed(engine, [records_json(initiated_at="2025-03-03T10:00:00+08:00")], [1])
    reasons = con.execute("SELECT reason FROM stream_quarantine").fetchall()
    assert reasons == [("future_time",)]
    now[0] += timedelta(hours=2)
    engine.tick("test", "test")
    assert con.execute("SELECT count(*) FROM stream_quarantine").fetchall()[0][0] == 0
    assert by_group(live_counts(con, ("day",)), ("day",)) == {
        (datetime.fromisoformat("2025-03-03").date(),): (1, 1, 1, 0, 1)
    }


def test_a_window_spec_no_longer_configured_is_dropped(
    make_engine: EngineFactory, lines: list[str]
) -> None:
    from scamlens.streaming.apply import ensure_window_tables
    from scamlens.streaming.live import stored_specs
    from scamlens.streaming.windows import WindowSpec

    con, engine = make_engine(as_of=CONFIG.as_of)
    feed(engine, lines[:300], [300])
    only_days = [WindowSpec("1d", ("region_code",))]
    ensure_window_tables(con, only_days)
    assert stored_specs(con) == only_days
    tables = {
        r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()
    }
    assert not any(t.startswith(("stream_w1h", "stream_w1m")) for t in tables)


def test_a_prepared_batch_also_counts_a_future_record_whose_time_has_come(
    make_engine: EngineFactory,
) -> None:
    from .conftest import records_json

    now = [datetime.fromisoformat("2025-03-03T09:00:00+08:00")]
    con, engine = make_engine(clock=lambda: now[0])
    feed(engine, [records_json(initiated_at="2025-03-03T10:00:00+08:00")], [1])
    now[0] += timedelta(hours=2)
    # The next micro-batch (prepared off the engine's thread) brings another record;
    # the first one's future_time verdict expires in the same transaction.
    other = records_json(
        outreach_id="OR-other", initiated_at="2025-03-03T10:30:00+08:00"
    )
    feed(engine, [other], [1])
    assert con.execute("SELECT count(*) FROM stream_quarantine").fetchall()[0][0] == 0
    assert by_group(live_counts(con, ("day",)), ("day",)) == {
        (datetime.fromisoformat("2025-03-03").date(),): (2, 2, 2, 0, 2)
    }

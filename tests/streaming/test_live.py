"""``scamlens metrics --live``: which window table answers, and its refusals."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from scamlens.errors import UsageError
from scamlens.streaming.live import live_counts
from scamlens.streaming.windows import WindowSpec

from .conftest import EngineFactory, by_group, feed, records_json

AS_OF = datetime.fromisoformat("2025-03-10T00:00:00+08:00")


def test_hour_breakdowns_come_from_hour_windows(make_engine: EngineFactory) -> None:
    con, engine = make_engine(as_of=AS_OF)
    feed(
        engine,
        [
            records_json(outreach_id="A", initiated_at="2025-03-03T10:59:00+08:00"),
            records_json(
                outreach_id="B",
                phone="13900000001",
                initiated_at="2025-03-03T11:00:00+08:00",
                connected="false",
                talk_seconds="0",
                played_seconds="0",
                confirmed_accurate="false",
            ),
        ],
        [2],
    )
    assert by_group(live_counts(con, ("hour", "province")), ("hour", "province")) == {
        (10, "330000"): (1, 1, 1, 0, 1),
        (11, "330000"): (1, 0, 0, 0, 0),
    }
    assert by_group(live_counts(con, ("month",)), ("month",)) == {
        ("2025-03",): (2, 1, 1, 0, 1)
    }
    assert by_group(live_counts(con, ("day",)), ("day",)) == {
        (date(2025, 3, 3),): (2, 1, 1, 0, 1)
    }


def test_a_breakdown_no_window_table_keeps_is_refused(
    make_engine: EngineFactory,
) -> None:
    con, _ = make_engine(as_of=AS_OF, specs=(WindowSpec("1d", ("region_code",)),))
    with pytest.raises(UsageError, match="no live window table"):
        live_counts(con, ("hour",))
    with pytest.raises(UsageError, match="no live window table"):
        live_counts(con, ("channel",))
    assert live_counts(con, ("city",)).num_rows == 0


def test_metrics_live_without_a_stream_or_with_a_source_fails_clearly(
    cli, tmp_path: Path
) -> None:
    out = tmp_path / "live.csv"
    missing = cli("metrics", "--live", "--by", "day", "--out", str(out))
    assert missing.exit_code == 2 and "run `scamlens stream`" in missing.stderr
    both = cli("metrics", "records.csv", "--live", "--by", "day", "--out", str(out))
    assert both.exit_code == 2 and "drop SOURCE" in both.stderr

"""Windows closing in the stream reach the anomaly engine; alerts reach the sinks."""

from __future__ import annotations

from datetime import datetime, timedelta

import pyarrow as pa

from scamlens.anomaly import AlertSink, AnomalyEngine, DetectionConfig

from .conftest import EngineFactory, feed, records_json

START = datetime.fromisoformat("2025-03-03T00:00:00+08:00")


class Collecting(AlertSink):
    """A sink that keeps what it is sent."""

    name = "collect"

    def __init__(self) -> None:
        self.sent: list[dict[str, object]] = []

    def send(self, alerts: pa.Table) -> None:
        self.sent += alerts.to_pylist()


def _day(day: int, *, broken: bool) -> list[str]:
    """Three busy morning hours in two districts; 330106 stops answering if broken."""
    lines = []
    for hour in (9, 10, 11):
        for i in range(80):
            for region in ("330106", "330108"):
                failing = broken and hour == 10 and region == "330106"
                answered = i % 20 == 0 if failing else i % 2 == 0
                at = START + timedelta(days=day, hours=hour, seconds=i * 40)
                n = ((day * 24 + hour) * 80 + i) * 2 + (region == "330108")
                lines.append(
                    records_json(
                        outreach_id=f"OR-{n}",
                        phone=f"138{n:08d}",
                        region_code=region,
                        initiated_at=at.isoformat(),
                        updated_at=at.isoformat(),
                        connected="true" if answered else "false",
                        talk_seconds="30" if answered else "0",
                        played_seconds="60" if answered else "0",
                        confirmed_accurate="true" if answered else "false",
                    )
                )
    return lines


def test_a_district_that_stops_answering_is_alerted_when_its_hour_closes(
    make_engine: EngineFactory,
) -> None:
    sink = Collecting()
    detection = DetectionConfig()
    engine_ = AnomalyEngine(detection, sinks=[sink])
    con, engine = make_engine(
        as_of=START + timedelta(days=30),
        detection=detection,
        anomaly=engine_,
        segment_sets=(("region_code",),),
    )
    lines = [line for day in range(8) for line in _day(day, broken=day == 7)]
    feed(engine, lines, [500] * (len(lines) // 500 + 1))
    stored = con.execute(
        "SELECT kind, metric, segment, grain, window_start FROM alerts"
    ).fetchall()
    broken_hour = START + timedelta(days=7, hours=10)
    # Only the broken district's success rate, and its broken hour among them
    # (trailing multi-hour windows may flag the same drop).
    assert {(k, m, s) for k, m, s, _, _ in stored} == {
        ("rate_drop", "success_rate", '{"region_code":"330106"}')
    }
    assert ("1h", broken_hour) in {(g, w) for _, _, _, g, w in stored}
    # Each stored alert was handed to the sinks once, after its commit.
    assert sorted(a["alert_id"] for a in sink.sent) == sorted(
        r[0] for r in con.execute("SELECT alert_id FROM alerts").fetchall()
    )
    closed = con.execute("SELECT grain, closed_until FROM stream_closed").fetchall()
    assert dict(closed)["1h"] == broken_hour + timedelta(hours=1)
    history = con.execute("SELECT count(*) FROM anomaly_history").fetchall()[0][0]
    assert history > 0

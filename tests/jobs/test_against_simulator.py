"""The batch core finds exactly what the simulator planted."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest

from scamlens import simulate
from scamlens.jobs.metrics import compute_metrics
from scamlens.settings import Settings
from scamlens.sources import file_source

CONFIG = simulate.SimConfig(start=date(2026, 11, 20), days=2, per_day=3_000, seed=11)


@pytest.fixture(scope="module")
def simulated(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("sim")
    files = {}
    for fmt in ("csv", "jsonl", "parquet"):
        path = folder / f"records.{fmt}"
        simulate.write(CONFIG, path)
        files[fmt] = path
    return files


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_counts_match_ground_truth(simulated, fmt, settings: Settings) -> None:
    path = simulated[fmt]
    truth = json.loads(Path(f"{path}.truth.json").read_text(encoding="utf-8"))
    as_of = datetime.fromisoformat(truth["as_of"])
    result = compute_metrics(file_source(path), ["day"], settings, as_of)
    report = result.report.as_dict()
    counts = truth["counts"]
    assert report["read"] == counts["read"]
    assert report["superseded"] == counts["superseded"]
    assert report["counted"] == counts["counted"]
    planted = {k: v for k, v in counts["quarantined"].items() if v}
    assert {k: v for k, v in report["quarantined"].items() if v} == planted
    totals = {
        name: sum(result.counts.column(name).to_pylist())
        for name in ("initiated", "succeeded", "accurate", "victims", "publicity")
    }
    assert totals == {k: truth["indicators"][k] for k in totals}

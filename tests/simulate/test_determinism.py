"""The same config gives the same records; days and chunks can be made alone."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from scamlens import simulate
from scamlens.simulate import SimConfig, day_table, generate, simulate_day

from .helpers import MESSY


def _all(config: SimConfig) -> pa.Table:
    return pa.concat_tables(list(generate(config)))


def test_same_seed_same_records() -> None:
    config = MESSY.replace(days=2)
    assert _all(config).equals(_all(config))


def test_other_seed_other_records() -> None:
    a = _all(MESSY.replace(days=1))
    b = _all(MESSY.replace(days=1, seed=MESSY.seed + 1))
    assert a.column("phone").to_pylist() != b.column("phone").to_pylist()
    assert a.column("initiated_at").to_pylist() != b.column("initiated_at").to_pylist()


def test_text_and_typed_share_the_same_rows() -> None:
    text = _all(MESSY.replace(days=1))
    typed = _all(MESSY.replace(days=1, typed=True))
    assert text.num_rows == typed.num_rows
    assert text.column("outreach_id").equals(typed.column("outreach_id"))
    assert text.column("transcript").equals(typed.column("transcript"))


def test_a_day_alone_equals_that_day_of_the_whole_run() -> None:
    whole = _all(MESSY)
    day = day_table(MESSY, 1)
    dated = pc.starts_with(whole.column("outreach_id"), "OR20250304")
    ids = pc.drop_null(whole.filter(dated).column("outreach_id"))
    assert sorted(ids.to_pylist()) == sorted(
        pc.drop_null(day.column("outreach_id")).to_pylist()
    )
    result = simulate_day(MESSY, 1)
    assert result.table.equals(day)
    whole_truth = simulate.ground_truth(MESSY).data["by_day"][1]
    assert result.truth.data["by_day"] == [whole_truth]
    assert result.truth.counts["read"] == day.num_rows


def test_rows_per_day_are_exact_without_spikes() -> None:
    config = SimConfig(days=2, per_day=1_234, seed=2, chunk_rows=500)
    assert simulate.ground_truth(config).counts["read"] == 2 * 1_234

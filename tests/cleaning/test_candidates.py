"""The candidate search only ever adds rows: every row that needs the set-based
steps is found (the superset property the exact pipeline relies on)."""

from __future__ import annotations

from collections import Counter

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from scamlens.cleaning.candidates import Special, _repeated

HASHES = st.lists(st.integers(min_value=0, max_value=2**64 - 1), max_size=300)


@settings(max_examples=200, deadline=None)
@given(values=HASHES, repeats=st.lists(st.integers(0, 299), max_size=30))
def test_every_repeated_hash_is_marked(values: list[int], repeats: list[int]) -> None:
    values = values + [values[i] for i in repeats if i < len(values)]
    hashes = np.asarray(values, dtype=np.uint64)
    marked = _repeated(hashes)
    counts = Counter(values)
    for value, mark in zip(values, marked.tolist(), strict=True):
        if counts[value] > 1:
            assert mark, value


def test_unique_hashes_are_mostly_left_out() -> None:
    rng = np.random.default_rng(3)
    hashes = rng.integers(0, 2**63, 200_000, dtype=np.uint64)
    hashes[:1000] = hashes[1000:2000]  # 1,000 ids with two versions
    marked = _repeated(hashes)
    assert marked[:2000].all()
    assert marked[2000:].sum() < 50  # bitmap false positives: about 200k * 1e3 / 2**24


def test_adding_crowded_rows_keeps_the_flags_of_known_ones() -> None:
    special = Special(
        seq=np.array([5, 9], dtype=np.int64),
        dup=np.array([True, False]),
        crowded=np.array([False, True]),
        missing=np.array([False, False]),
        id_seq=np.array([5, 7], dtype=np.int64),
        id_hash=np.array([11, 12], dtype=np.uint64),
        rows=10,
    )
    found = special.id_rows_in(np.array([12, 11, 99], dtype=np.uint64))
    assert found.tolist() == [5, 7]
    more = special.with_crowded(found)
    assert more.seq.tolist() == [5, 9, 7]
    assert more.dup.tolist() == [True, False, False]
    assert more.crowded.tolist() == [True, True, True]
    assert more.id_rows_in(np.array([11, 12], dtype=np.uint64)).size == 0


def test_phone_rows_one_short_of_the_cap_are_probed_when_an_id_row_shares_the_day() -> (
    None
):
    from scamlens.cleaning.candidates import _probes
    from scamlens.cleaning.citizens import KIND_ID, KIND_PHONE

    # Bucket 1: 20 phone rows on day-module 7; bucket 2: 19 phone rows on 8;
    # bucket 3: one id row on 7; bucket 4: one id row on 8; bucket 5: 20 phone
    # rows on day-module 9, where no id row is.
    bucket = np.array([1] * 20 + [2] * 19 + [3, 4] + [5] * 20, dtype=np.uint32)
    counts = np.bincount(bucket, minlength=8)
    dm = np.array([7] * 20 + [8] * 19 + [7, 8] + [9] * 20, dtype=np.uint32)
    kind = np.array([KIND_PHONE] * 39 + [KIND_ID] * 2 + [KIND_PHONE] * 20)
    eligible = np.ones(bucket.size, dtype=bool)
    kind = kind.astype(np.uint8)
    ids = np.flatnonzero(eligible & (kind == KIND_ID))
    probes = _probes(bucket, counts, dm, kind, eligible, ids, 20)
    assert probes.tolist() == list(range(20))  # 20 + 1 > 20; 19 + 1 is not


def test_two_id_rows_of_one_citizen_lower_the_bar_for_their_day_only() -> None:
    from scamlens.cleaning.candidates import _probes
    from scamlens.cleaning.citizens import KIND_ID, KIND_PHONE

    # Bucket 1: 19 phone rows on day-module 7; bucket 2: 19 on 8; bucket 3: two id
    # rows of one citizen on 7. Only day-module 7 can reach 19 + 2 > 20.
    bucket = np.array([1] * 19 + [2] * 19 + [3, 3], dtype=np.uint32)
    counts = np.bincount(bucket, minlength=4)
    dm = np.array([7] * 19 + [8] * 19 + [7, 7], dtype=np.uint32)
    kind = np.array([KIND_PHONE] * 38 + [KIND_ID] * 2, dtype=np.uint8)
    eligible = np.ones(bucket.size, dtype=bool)
    ids = np.flatnonzero(eligible & (kind == KIND_ID))
    probes = _probes(bucket, counts, dm, kind, eligible, ids, 20)
    assert probes.tolist() == list(range(19))

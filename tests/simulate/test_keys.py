"""Simulated identities never collide, whatever the indices."""

from __future__ import annotations

import re

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from scamlens.simulate.keys import PHONE_SPACE, citizen_hex, phone_numbers

indices = st.lists(
    st.integers(0, PHONE_SPACE - 1), min_size=1, max_size=300, unique=True
)


@given(indices, st.integers(0, 2**31))
@settings(max_examples=60, deadline=None)
def test_distinct_citizens_get_distinct_phones(citizens: list[int], seed: int) -> None:
    phones = phone_numbers(seed, np.array(citizens, dtype=np.int64))
    assert len(set(phones.tolist())) == len(citizens)
    assert all(re.fullmatch(r"1[3-9]\d{9}", str(p)) for p in phones.tolist())


@given(indices, st.integers(0, 2**31))
@settings(max_examples=60, deadline=None)
def test_distinct_citizens_get_distinct_pseudonyms(
    citizens: list[int], seed: int
) -> None:
    ids = citizen_hex(seed, np.array(citizens, dtype=np.int64)).to_pylist()
    assert len({i[:16] for i in ids}) == len(citizens)
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)


def test_a_million_consecutive_citizens_are_distinct() -> None:
    citizens = np.arange(3_000_000, 4_000_000, dtype=np.int64)
    phones = phone_numbers(7, citizens)
    assert len(np.unique(phones)) == len(citizens)
    assert phones.min() >= 13_000_000_000 and phones.max() <= 19_999_999_999


def test_the_seed_changes_the_numbers() -> None:
    citizens = np.arange(100, dtype=np.int64)
    assert (phone_numbers(1, citizens) != phone_numbers(2, citizens)).mean() > 0.95

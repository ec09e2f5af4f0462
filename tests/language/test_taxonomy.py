"""The taxonomy agrees with the record contract and adds `none` with descriptions."""

from __future__ import annotations

import pytest

from scamlens.contract.enums import FraudType
from scamlens.language.taxonomy import (
    CODES,
    FRAUD_CODES,
    NONE,
    TAXONOMY,
    normalise_label,
)


def test_taxonomy_covers_contract_types_plus_none_without_unknown() -> None:
    contract = {m.value for m in FraudType} - {"unknown"}
    assert set(FRAUD_CODES) == contract
    assert set(CODES) == contract | {NONE}


def test_every_category_has_both_names_and_descriptions() -> None:
    for category in TAXONOMY:
        assert category.zh and category.en
        assert len(category.description_zh) > 20 and len(category.description_en) > 20


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("刷单返利", "order_brushing"),  # contract alias
        ("刷单返利类", "order_brushing"),  # case-classification dataset spelling
        ("冒充公检法及政府机关类", "impersonate_police"),
        ("Fake online loan", "fake_loan"),  # English display name
        (" ROMANCE ", "romance"),  # code in any case, spaces ignored
        ("正常", NONE),
        ("bogus", None),
        (None, None),
    ],
)
def test_normalise_label(raw: object, code: str | None) -> None:
    assert normalise_label(raw) == code

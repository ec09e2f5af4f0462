"""Bad input never crashes cleaning, and what was done is noted."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from scamlens.language.backends.rules import RulesBackend
from scamlens.language.taxonomy import CODES
from scamlens.language.text import MAX_CHARS, mask_pii, prepare


def test_prepare_empty_and_none_are_noted() -> None:
    assert prepare(None).text == "" and prepare(None).note == "empty text"
    assert prepare("   ").note == "empty text"
    assert prepare(float("nan")).text == ""


def test_prepare_truncates_long_text_with_note() -> None:
    result = prepare("刷单" * 10_000)
    assert len(result.text) == MAX_CHARS
    assert result.note == f"truncated from 20000 to {MAX_CHARS} characters"


def test_prepare_decodes_gbk_bytes_and_repairs_mojibake() -> None:
    assert prepare("安全账户".encode("gbk")).text == "安全账户"
    assert "decoded as gb18030" in prepare("安全账户".encode("gbk")).note
    mojibake = "安全账户".encode().decode("latin-1")
    repaired = prepare(mojibake)
    assert repaired.text == "安全账户" and "mojibake repaired" in repaired.note


def test_prepare_strips_html_emoji_and_evasion_filler() -> None:
    text = prepare("<p>诚招&nbsp;<b>刷*单</b>兼职🎉🎉</p><script>x()</script>").text
    assert text == "诚招刷单兼职"


def test_prepare_folds_full_width_and_case() -> None:
    assert prepare("加ＱＱ ８８６６").text == "加qq 8866"


def test_prepare_notes_non_chinese_text() -> None:
    assert prepare("Your parcel has shipped").note == "no Chinese characters"


def test_keep_pauses_turns_spaces_between_chinese_into_clause_marks() -> None:
    assert prepare("对 他让我转账", keep_pauses=True).text == "对，他让我转账"
    assert prepare("对 他让我转账").text == "对他让我转账"


def test_mask_pii_hides_phone_card_and_id_numbers() -> None:
    masked = mask_pii(
        "打13812345678或卡号6222 0212 3456 7890，身份证11010519900307123X"
    )
    assert "13812345678" not in masked and "6222" not in masked
    assert masked.count("*") > 20
    assert mask_pii("验证码 2261") == "验证码 2261"


_RULES = RulesBackend()


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.text(max_size=300), st.binary(max_size=200), st.none()))
def test_any_input_gets_exactly_one_valid_label(value: object) -> None:
    (result,) = _RULES.classify([value])
    assert result.fraud_type in CODES
    assert 0.0 <= result.confidence <= 1.0
    (label,) = _RULES.label([value])
    assert isinstance(label.confirmed_accurate, bool)

"""Matching: trie regex, negation and hedging, benign templates, evidence."""

from __future__ import annotations

import pytest

from scamlens.language.backends.rules import RulesBackend
from scamlens.language.matching.lexicon import trie_regex
from scamlens.language.matching.negation import HEDGED, NEGATED, PLAIN, polarity
from scamlens.language.text import prepare


def test_trie_regex_prefers_the_longest_term() -> None:
    regex = trie_regex(["安全", "安全账户", "账户", "刷单"])
    assert regex is not None
    assert [m.group(0) for m in regex.finditer("转到安全账户再刷单")] == [
        "安全账户",
        "刷单",
    ]
    assert trie_regex([]) is None


@pytest.mark.parametrize(
    ("text", "cue", "expected"),
    [
        ("我没有转账", "转账", NEGATED),
        ("我没有给他转账", "转账", NEGATED),
        ("警惕刷单诈骗", "刷单", NEGATED),
        ("如果让你转账就是诈骗", "转账", HEDGED),
        ("差点就转账了", "转账", HEDGED),  # a counterfactual, not an event
        ("没想到他让我转账", "转账", PLAIN),  # 没想到 does not negate
        ("我没多想，转账了", "转账", PLAIN),  # the clause boundary stops the scan
        ("他不仅让我转账", "转账", PLAIN),
    ],
)
def test_polarity(text: str, cue: str, expected: float) -> None:
    assert polarity(text, text.index(cue)) == expected


@pytest.mark.parametrize(
    ("text", "fraud_type"),
    [
        ("我是你领导，明天来我办公室一趟", "impersonate_acquaintance"),
        ("诚招兼职，给视频点赞关注一单3元，日结", "order_brushing"),
        ("您的贷款已审批，但银行卡号填写错误导致资金冻结，需缴纳解冻费", "fake_loan"),
        ("你名下银行卡涉嫌洗钱，请把资金转到安全账户配合调查", "impersonate_police"),
        ("我没有刷单，也没有转账", "none"),
        ("【国家反诈中心】凡是要求转账到安全账户的都是诈骗", "none"),
        ("【招商银行】您尾号1234的账户转账支出500元，余额300元", "none"),
        ("【美团】您的验证码是482913，5分钟内有效，请勿泄露给他人。", "none"),
        ("您好，这里是顺丰快递，您有一个快递到了，十分钟后送到", "none"),
    ],
)
def test_rules_classify_core_cases(
    rules: RulesBackend, text: str, fraud_type: str
) -> None:
    assert rules.classify([text])[0].fraud_type == fraud_type


def test_negated_request_does_not_count_as_an_action(rules: RulesBackend) -> None:
    plain = rules.matcher.match(prepare("他让我转账到安全账户").text)
    negated = rules.matcher.match(prepare("他没让我转账到安全账户").text)
    assert "safe_account" in plain.actions
    assert "safe_account" not in negated.actions


def test_evidence_spans_come_from_the_text_and_name_the_script(
    rules: RulesBackend,
) -> None:
    text = "您好我是淘宝客服，您买的衣服有质量问题，给您办理退款"
    result = rules.classify([text])[0]
    assert result.fraud_type == "fake_customer_service"
    assert result.script_id.startswith("CS-")
    assert result.evidence and all(
        span in prepare(text).text for span in result.evidence
    )
    assert 0.5 < result.confidence <= 0.99


def test_context_words_alone_do_not_make_fraud(rules: RulesBackend) -> None:
    # courier + customer-service words but no request, no signature phrase
    result = rules.classify(["顺丰快递客服：您的快递已经到了，请注意查收"])[0]
    assert result.fraud_type == "none"

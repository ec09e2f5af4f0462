"""The fraud-type taxonomy of the language layer: the contract's types plus ``none``.

The codes and display names come from :mod:`scamlens.contract.enums` so the record
contract and the language layer can never disagree. The language layer adds ``none``
(a text that is not fraud) and a description of every type, which the script library,
the LLM prompt and the documentation all use. ``unknown`` is a contract value for an
empty field, never a classification result, so it is left out here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from scamlens.contract.enums import ALIASES, LABELS, FraudType

__all__ = [
    "CODES",
    "FRAUD_CODES",
    "NONE",
    "TAXONOMY",
    "Category",
    "category",
    "normalise_label",
]

logger = logging.getLogger(__name__)

NONE = "none"


@dataclass(frozen=True)
class Category:
    """One class of the taxonomy with its names and a one-paragraph description."""

    code: str
    zh: str
    en: str
    description_zh: str
    description_en: str

    @property
    def is_fraud(self) -> bool:
        return self.code != NONE


_DESCRIPTIONS: dict[str, tuple[str, str]] = {
    FraudType.ORDER_BRUSHING: (
        "以兼职刷单、点赞关注、做任务返佣金为诱饵，先小额返利取信，再以连单、卡单、"
        "账户异常为由诱导受害人不断垫付充值。",
        "Part-time 'tasks' (brushing orders, liking videos) that pay small commissions "
        "first, then demand ever larger prepayments to 'unlock' the money.",
    ),
    FraudType.FAKE_INVESTMENT: (
        "以荐股、炒股老师、虚拟币、外汇期货、内幕消息、高额回报为诱饵，诱导受害人在"
        "虚假平台或APP充值投资，前期小额盈利可提现，后期无法出金。",
        "Stock tips, 'teachers', crypto, forex or insider projects with promised high "
        "returns on a fake platform; small early withdrawals, then the money is stuck.",
    ),
    FraudType.FAKE_LOAN: (
        "以无抵押、低利息、快速放款为诱饵，在虚假贷款APP或网站上以手续费、保证金、"
        "解冻费、验资、卡号填错等名义收取费用。",
        "Easy loans (no collateral, low interest, instant approval) on a fake app that "
        "charges fees, deposits, 'unfreeze' or 'verify funds' payments before lending.",
    ),
    FraudType.FAKE_CUSTOMER_SERVICE: (
        "冒充电商平台、快递物流、银行或航空公司客服，以退款理赔、快递丢失、会员扣费、"
        "航班取消、账户异常为由，诱导受害人共享屏幕、提供验证码或转账。",
        "Fake customer service of a shop, courier, bank or airline offering refunds or "
        "claims, or cancelling a 'membership', to get screen sharing, codes or money.",
    ),
    FraudType.IMPERSONATE_POLICE: (
        "冒充公安、检察院、法院或政府部门，称受害人涉嫌洗钱、身份证被冒用、快递藏有"
        "违禁品或医保社保违规，以资金核查为由要求转入安全账户并保密。",
        "Fake police, prosecutors, courts or officials: the victim is 'suspected' of "
        "money laundering or fraud and must move money to a 'safe account' in secret.",
    ),
    FraudType.FAKE_CREDIT_REPAIR: (
        "冒充金融机构或监管部门客服，称受害人开通过校园贷、学生账户、金条白条需要注销，"
        "或征信有污点可以修复，诱导其在各平台借款后转出。",
        "Fake finance or regulator staff: an old student loan account must be closed "
        "or "
        "the credit record will suffer; the victim borrows and transfers the money.",
    ),
    FraudType.FAKE_SHOPPING: (
        "以低价商品、二手转让、代购、门票、办证代办等虚假商品或服务为诱饵，收款后不发货，"
        "或以定金、保证金、运费等名义反复收费。",
        "Cheap goods, second-hand deals, tickets, agents or paid services that never "
        "arrive; deposits, shipping or 'guarantee' fees are taken again and again.",
    ),
    FraudType.IMPERSONATE_ACQUAINTANCE: (
        "冒充领导、老板、老师、亲友或老同学，通过新号码、QQ微信或换脸视频联系受害人，"
        "以急事周转、送礼、手术费、出事保释等理由要求转账。",
        "Pretending to be a boss, teacher, relative or old classmate on a new number "
        "or "
        "account, urgently asking for a transfer (a deal, a gift, an accident, bail).",
    ),
    FraudType.GAME_TRADING: (
        "以买卖游戏账号、装备、皮肤、点券、代练或未成年人充值退款为名，引导到虚假交易"
        "平台，以账户冻结、保证金、解冻费等名义收费。",
        "Buying or selling game accounts, skins, items or boosting, or a minor's "
        "refund, on a fake trading site that charges 'unfreeze' or deposit fees.",
    ),
    FraudType.ROMANCE: (
        "通过婚恋交友平台、社交软件或直播建立恋爱关系，以生病、车费、礼物、见面、"
        "裸聊敲诈等理由索要钱财（未转入投资平台的情形）。",
        "A dating or social-app relationship used to ask for money: illness, travel, "
        "gifts, a meeting, or blackmail after a video chat (without an investment).",
    ),
    FraudType.OTHER: (
        "不属于以上类型的诈骗：虚假中奖、积分兑换钓鱼、ETC认证、补贴退税钓鱼、网络赌博、"
        "冒充军警采购、虚构绑架等。",
        "Fraud of no type above: fake prizes, points or ETC phishing, subsidy or tax "
        "refund phishing, online gambling, fake military purchases, fake kidnapping.",
    ),
}

_NONE = Category(
    NONE,
    "非诈骗",
    "Not fraud",
    "正常的通知、营销、服务电话、日常对话或反诈宣传，没有诈骗意图。",
    "Ordinary notices, marketing, service calls, everyday talk or anti-fraud "
    "publicity, with no fraudulent intent.",
)


def _build() -> tuple[Category, ...]:
    items = []
    for member in FraudType:
        if member is FraudType.UNKNOWN:
            continue
        zh, en = LABELS[member]
        dzh, den = _DESCRIPTIONS[member]
        items.append(Category(member.value, zh, en, dzh, den))
    items.append(_NONE)
    return tuple(items)


TAXONOMY: tuple[Category, ...] = _build()
CODES: tuple[str, ...] = tuple(c.code for c in TAXONOMY)
FRAUD_CODES: tuple[str, ...] = tuple(c.code for c in TAXONOMY if c.is_fraud)
_BY_CODE = {c.code: c for c in TAXONOMY}

# Extra spellings seen in case-classification datasets and by analysts; the value is a
# taxonomy code. Keys are compared after lower-casing and removing spaces.
_EXTRA_ALIASES: dict[str, str] = {
    "正常": NONE,
    "非诈骗": NONE,
    "无": NONE,
    "normal": NONE,
    "not_fraud": NONE,
    "non_fraud": NONE,
    "刷单返利类": "order_brushing",
    "虚假网络投资理财类": "fake_investment",
    "虚假投资": "fake_investment",
    "虚假网络贷款类": "fake_loan",
    "虚假贷款": "fake_loan",
    "冒充电商物流客服类": "fake_customer_service",
    "冒充客服": "fake_customer_service",
    "冒充公检法及政府机关类": "impersonate_police",
    "冒充公检法": "impersonate_police",
    "虚假征信类": "fake_credit_repair",
    "虚假购物、服务类": "fake_shopping",
    "虚假购物服务类": "fake_shopping",
    "冒充领导、熟人类": "impersonate_acquaintance",
    "冒充领导熟人类": "impersonate_acquaintance",
    "网络游戏产品虚假交易类": "game_trading",
    "网络游戏虚假交易类": "game_trading",
    "网络婚恋、交友类": "romance",
    "网络婚恋交友类": "romance",
    "其他类型诈骗": "other",
    "其他": "other",
}


def category(code: str) -> Category:
    """Return the category of ``code``; raises KeyError for an unknown code."""
    return _BY_CODE[code]


def _key(label: str) -> str:
    return "".join(label.split()).lower()


_LOOKUP: dict[str, str] = {}
for _c in TAXONOMY:
    _LOOKUP[_key(_c.code)] = _c.code
    _LOOKUP[_key(_c.zh)] = _c.code
    _LOOKUP[_key(_c.en)] = _c.code
for _zh, _code in ALIASES["fraud_type"].items():
    _LOOKUP[_key(_zh)] = _code
for _alias, _code in _EXTRA_ALIASES.items():
    _LOOKUP[_key(_alias)] = _code


def normalise_label(label: object) -> str | None:
    """The code of a label written as a code or a Chinese or English name, else None."""
    if label is None:
        return None
    return _LOOKUP.get(_key(str(label)))

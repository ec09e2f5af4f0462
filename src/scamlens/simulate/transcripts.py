"""Citizen-side dialogue text, as a speech recogniser would return it.

Transcripts must agree with the outcome flags (a citizen who "confirmed" talks about
the scam, one who was defrauded names an amount) and with the fraud type (刷单 talks
about apps and commissions, 冒充公检法 about a "safe account"). Writing millions of
them one by one would dominate the run time, so a bank of variants per (category,
fraud type) is built once per seed from templates with slots (who approached, what
they asked, amounts, fillers) and rows pick a variant by index.

About a third of the variants lose their punctuation, as short ASR segments often do.
"""

from __future__ import annotations

import logging
import random
from enum import IntEnum

import numpy as np

from scamlens.simulate.profile import FRAUD_TYPES

__all__ = ["Category", "TranscriptBank"]

logger = logging.getLogger(__name__)


class Category(IntEnum):
    """What the citizen's side of the conversation says."""

    CONFIRM = 0
    DENY = 1
    DEFRAUDED = 2
    IN_PROGRESS = 3
    HELP_CONFIRM = 4
    HELP_DEFRAUDED = 5
    BUSY = 6
    VAGUE = 7
    PUBLICITY_ACK = 8
    PUBLICITY_REFUSE = 9
    FOLLOW_SAFE = 10
    FOLLOW_DEFRAUDED = 11
    ANNOYED = 12
    SMS_REPLY = 13


_SLOTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # fraud type: (who approached the citizen, what they asked for)
    "order_brushing": (
        (
            "有人拉我进了一个刷单群",
            "有个人加我QQ",
            "抖音上有人私信我",
            "一个兼职群里的人",
        ),
        (
            "下载APP刷单",
            "帮商家点赞关注返佣金",
            "先垫付做任务再返钱",
            "做刷单任务赚提成",
        ),
    ),
    "fake_investment": (
        ("有个炒股群的老师", "网上认识的一个投资顾问", "有人拉我进了一个股票群"),
        (
            "在APP上买虚拟币",
            "跟着老师炒股充值",
            "投资理财说稳赚不赔",
            "下载一个投资平台充钱",
        ),
    ),
    "fake_loan": (
        ("有个贷款客服", "网上一个贷款平台的人", "一个自称银行的业务员"),
        ("先交保证金再放款", "交解冻费，说我银行卡号填错了", "先刷流水再贷款"),
    ),
    "fake_customer_service": (
        ("说是快递客服的人", "自称淘宝客服的人", "一个说是抖音客服的"),
        (
            "关闭百万保障服务",
            "办快递丢件理赔",
            "开共享屏幕办退款",
            "取消会员不然每月扣费",
        ),
    ),
    "impersonate_police": (
        ("一个说是公安局的人", "自称检察院的人", "说是派出所民警的人"),
        ("把钱转到安全账户", "配合调查，说我涉嫌洗钱", "下载会议软件视频做笔录"),
    ),
    "fake_credit_repair": (
        ("说是银保监会的人", "自称京东金融客服的", "一个说是征信中心的"),
        ("注销校园贷不然影响征信", "转钱修复征信", "把额度里的钱转出来清空"),
    ),
    "fake_shopping": (
        ("闲鱼上一个卖家", "朋友圈一个代购", "一个卖门票的人"),
        ("低价买演唱会门票", "私下转账买手机", "先付定金再发货"),
    ),
    "impersonate_acquaintance": (
        ("一个冒充我们领导的", "说是我老同学的人", "自称我儿子老师的人"),
        ("帮忙转一笔钱", "先垫付一下货款", "借点钱急用"),
    ),
    "game_trading": (
        ("游戏里一个买家", "有人在游戏里私聊我", "一个游戏交易群的人"),
        ("把游戏账号卖到一个交易平台", "充值买皮肤", "交保证金才能提现游戏币"),
    ),
    "romance": (
        ("网上认识的一个男朋友", "婚恋网站上认识的人", "一个交友软件上认识的"),
        ("跟他一起投资", "寄钱给他说他在国外", "在一个博彩网站上充值"),
    ),
    "other": (
        ("一个陌生电话", "有人发短信给我", "一个陌生人"),
        ("转钱", "点一个链接", "把验证码告诉他"),
    ),
}
_SLOTS["unknown"] = _SLOTS["other"]

_AMOUNTS = (
    "三万块",
    "五千",
    "两千八",
    "十二万",
    "八千多",
    "一万五",
    "三千块钱",
    "二十万",
    "6000",
    "4万多",
    "九百",
    "两万",
    "五十多万",
    "1万2",
)
_FILLERS = ("", "", "", "嗯，", "呃，", "那个，", "喂，", "就是，")

_TEMPLATES: dict[Category, tuple[str, ...]] = {
    Category.CONFIRM: (
        "{f}对，刚才确实{who}让我{ask}",
        "{f}是的是的，{who}，让我{ask}，我还没弄",
        "对的，{who}，让我{ask}，我觉得不太对劲",
        "嗯，是有这么回事，{who}让我{ask}",
        "{f}有的，刚才{who}叫我{ask}，我还在犹豫",
    ),
    Category.DENY: (
        "没有啊，没人联系过我",
        "{f}你们是不是打错了，我没接到什么电话",
        "没有这回事，我不清楚",
        "我不知道你在说什么，没有人找过我",
        "没有没有，我没下载过什么APP",
    ),
    Category.DEFRAUDED: (
        "我已经被骗了，转了{amt}",
        "{f}我已经转了{amt}给他了，现在联系不上了",
        "{who}让我{ask}，前前后后转了{amt}",
        "对，我被骗了，{amt}，怎么办啊",
        "晚了，钱已经转出去了，{amt}",
    ),
    Category.IN_PROGRESS: (
        "{f}他现在还在跟我通话，让我{ask}",
        "我正准备转账呢，{who}叫我{ask}",
        "他让我现在就去银行转{amt}，我正在路上",
        "对方还在视频里，叫我{ask}，我要不要弄",
        "我刚要付款，{who}一直在催我",
    ),
    Category.BUSY: (
        "喂？我在开车，等会再说",
        "我在忙，没空",
        "{f}嗯嗯，知道了",
        "喂，听不清，信号不好",
        "好好好我知道了，先挂了",
        "我在上班，你晚点打",
    ),
    Category.VAGUE: (
        "{f}我不太清楚，你说的是什么",
        "好像有吧，我记不清了",
        "嗯，这个我要问问我家里人",
        "{f}你们是哪里的，我怎么知道你们是真的警察",
    ),
    Category.PUBLICITY_ACK: (
        "好的，知道了，谢谢",
        "嗯嗯，我会注意的",
        "{f}好，我会提醒家里老人",
        "知道了，不会乱点链接的",
        "好的，国家反诈中心APP我已经装了",
    ),
    Category.PUBLICITY_REFUSE: (
        "不需要，谢谢",
        "别再打了",
        "我知道，不用说了",
    ),
    Category.FOLLOW_SAFE: (
        "没有再联系了，那个APP已经卸载了",
        "{f}没有转钱，谢谢你们提醒",
        "后来他又打过来，我直接挂了",
        "已经把他拉黑了，没损失",
    ),
    Category.FOLLOW_DEFRAUDED: (
        "后来还是被骗了，转了{amt}",
        "{f}那天挂了电话以后我还是转了{amt}",
        "我已经报警了，被骗了{amt}",
    ),
    Category.ANNOYED: (
        "你们怎么一直打电话",
        "别再打了，我已经知道了",
        "{f}一天打了几十个了，烦不烦",
        "再打我就投诉了",
    ),
    Category.SMS_REPLY: ("收到", "好的谢谢", "知道了", "好"),
}
_HELP = (
    "那我现在该怎么办，钱还能追回来吗",
    "我要报警，你们能帮帮我吗",
    "我该去哪个派出所，要带什么材料",
    "能不能帮我把卡冻结一下",
    "我好害怕，你们快帮帮我",
)


class TranscriptBank:
    """Variants per (category, fraud type); rows pick one by integer index."""

    def __init__(self, seed: int, variants: int = 32) -> None:
        self.variants = variants
        rnd = random.Random(seed * 1_000_003 + 17)
        self.strings: list[str] = []
        for category in Category:
            for fraud in FRAUD_TYPES:
                self.strings.extend(
                    _variant(rnd, category, fraud) for _ in range(variants)
                )
        logger.debug("transcript bank built variants=%d", len(self.strings))

    def pick(
        self, rng: np.random.Generator, category: np.ndarray, fraud: np.ndarray
    ) -> np.ndarray:
        """Indices into :attr:`strings`; ``-1`` where ``category`` is ``-1``."""
        fraud = np.where(fraud < 0, FRAUD_TYPES.index("unknown"), fraud)
        fraud = np.minimum(fraud, len(FRAUD_TYPES) - 1)
        index = (category.astype(np.int64) * len(FRAUD_TYPES) + fraud) * self.variants
        index = index + rng.integers(0, self.variants, len(category))
        return np.where(category < 0, -1, index).astype(np.int32)


def _variant(rnd: random.Random, category: Category, fraud: str) -> str:
    whos, asks = _SLOTS[fraud]
    if category is Category.HELP_CONFIRM:
        text = _fill(rnd, rnd.choice(_TEMPLATES[Category.CONFIRM]), whos, asks)
        text += "，" + rnd.choice(_HELP)
    elif category is Category.HELP_DEFRAUDED:
        text = _fill(rnd, rnd.choice(_TEMPLATES[Category.DEFRAUDED]), whos, asks)
        text += "，" + rnd.choice(_HELP)
    else:
        text = _fill(rnd, rnd.choice(_TEMPLATES[category]), whos, asks)
    if rnd.random() < 0.33:
        text = text.replace("，", " ").replace("？", " ")
    return text


def _fill(
    rnd: random.Random, template: str, whos: tuple[str, ...], asks: tuple[str, ...]
) -> str:
    return template.format(
        f=rnd.choice(_FILLERS),
        who=rnd.choice(whos),
        ask=rnd.choice(asks),
        amt=rnd.choice(_AMOUNTS),
    )

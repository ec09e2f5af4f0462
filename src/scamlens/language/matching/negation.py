"""Negation and hedging around a matched cue.

"我没有转账" mentions a transfer that did not happen; "如果让你转到安全账户就是诈骗"
and "警惕刷单" mention a scam without being one. A cue is *negated* when a negator or
a warning verb stands shortly before it in the same clause, and *hedged* when a
conditional or a question does. The scan looks back at most :data:`WINDOW` characters
and stops at clause punctuation or a turn of contrast (但/可是/结果), so
"没想到他让我转账" and "不过后来还是转账了" keep their cue.

Fixed phrases that contain a negator but do not negate (不少, 不断, 不得不, 没想到)
are removed before the scan; terms that carry their own negator (无抵押, 不看征信,
别挂电话) are whole library terms, so the scan never sees their negator.
"""

from __future__ import annotations

import logging
import re

__all__ = ["HEDGED", "NEGATED", "PLAIN", "WINDOW", "polarity"]

logger = logging.getLogger(__name__)

PLAIN = 1.0
HEDGED = 0.5
NEGATED = 0.0
WINDOW = 6

_CLAUSE = re.compile(r"[，。！？；,.!?;:：\n|]|但是|但|可是|结果|后来|不过|然后|所以")
_PSEUDO = re.compile(
    r"不仅|不但|不少|不错|不断|不久|不得不|不停|没想到|不一会|差不多|无论|不管|"
    r"要不然|不然|不对劲|不知道|不好意思|不客气|没关系|没事|不小心|忍不住|来不及|"
    r"不行了|受不了|不到|没多久|不知不觉|别人|没办法|没错|不错|没想|要不是"
)
# Counterfactuals: "不然我就转过去了", "差点被骗", "还好没转" describe what did not
# happen; they are checked before the fixed phrases above are removed.
_COUNTERFACTUAL = re.compile(r"不然|否则|差点|险些|本来要|本来想|幸好|还好|幸亏|要不是")
_NEG = re.compile(
    r"没有|没|不是|不要|不用|不会|不想|不能|不肯|并未|从未|从没|未曾|未|别|不|"
    r"无需|无须|拒绝|并没|绝不|谨防|警惕|防范|提防|小心|切勿|严禁|勿|莫|识破|"
    r"远离|拒接|拒收|举报|反诈|防骗|防止|避免|以防|预防"
)
_HEDGE = re.compile(
    r"如果|要是|假如|万一|一旦|是不是|有没有|会不会|是否|凡是|任何|据说|听说|"
    r"担心|怕|假设|难道|哪有|怎么可能"
)


_ANY = re.compile("|".join(p.pattern for p in (_COUNTERFACTUAL, _NEG, _HEDGE)))


def polarity(text: str, start: int) -> float:
    """Weight of a cue starting at ``start``: 1 plain, 0.5 hedged, 0 negated."""
    window = text[max(0, start - WINDOW) : start]
    if not window or _ANY.search(window) is None:  # the common case, one scan
        return PLAIN
    cuts = list(_CLAUSE.finditer(window))
    if cuts:
        window = window[cuts[-1].end() :]
        if not window:
            return PLAIN
    if _COUNTERFACTUAL.search(window):
        return HEDGED
    if _PSEUDO.search(window):
        window = _PSEUDO.sub("  ", window)
    if _NEG.search(window):
        return NEGATED
    if _HEDGE.search(window):
        return HEDGED
    return PLAIN

"""Rules for reading a citizen's reply: signals, negation, and a priority of intents.

The reply is scanned once for cues of six signals (loss, ongoing, confirm, deny, help,
busy) from ``data/dialogue.yaml``, with the same negation scan as script matching:
"没被骗" and "还没转钱" are near misses (the citizen met the scammer but lost nothing),
"不是的" is a denial. Single-character answers (对, 是, 有, 没) count only when they
stand as a short clause, because the same characters fill every Chinese sentence.
A reply that itself describes a scam script ("有个自称京东客服的说要给我退款") confirms
the warning. Intents are then chosen by priority: being defrauded now, already
defrauded, asks for help, confirms or denies (the stronger wins), busy, other.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from scamlens.language.dialogue.intents import DialogueLabel, Intent
from scamlens.language.matching.lexicon import trie_regex
from scamlens.language.matching.matcher import Matcher
from scamlens.language.matching.negation import HEDGED, NEGATED, polarity
from scamlens.language.taxonomy import NONE
from scamlens.language.text import prepare

__all__ = ["DialogueRules", "Signals", "load_cues"]

logger = logging.getLogger(__name__)

_CUES_FILE = Path(__file__).resolve().parent.parent / "data" / "dialogue.yaml"
_WEIGHTS = {"strong": 2.0, "normal": 1.0}
_CLAUSE = re.compile(r"[，。！？；,.!?;:：\s|]+")
_FILLER = re.compile(r"[啊呀嗯哦呢吧啦哈额呃噢唉诶喔]")
SIGNALS = ("loss", "ongoing", "confirm", "deny", "help", "busy", "identity")


@lru_cache(maxsize=1)
def load_cues() -> dict[str, dict[str, Any]]:
    """The cue lists of ``data/dialogue.yaml`` (cached)."""
    data = yaml.safe_load(_CUES_FILE.read_text(encoding="utf-8"))
    return dict(data["signals"])


@dataclass
class Signals:
    """Weighted evidence of each signal found in one reply."""

    scores: dict[str, float]
    evidence: list[str]
    near_miss: float = 0.0

    def __getitem__(self, name: str) -> float:
        return self.scores.get(name, 0.0)


class DialogueRules:
    """The rules dialogue labeller; the matcher lets a described scam count."""

    def __init__(self, matcher: Matcher | None = None) -> None:
        self.matcher = matcher
        cues = load_cues()
        self._feat: dict[str, tuple[str, float]] = {}
        self._patterns: list[tuple[str, re.Pattern[str]]] = []
        for signal in SIGNALS:
            spec = cues.get(signal) or {}
            assert isinstance(spec, dict)
            for tier, weight in _WEIGHTS.items():
                for cue in spec.get(tier) or ():
                    self._feat.setdefault(str(cue).lower(), (signal, weight))
            for regex in spec.get("patterns") or ():
                self._patterns.append((signal, re.compile(str(regex))))
        self._regex = trie_regex(self._feat)

    def signals(self, text: str) -> Signals:
        """Scan cleaned ``text`` for the dialogue signals."""
        scores: dict[str, float] = defaultdict(float)
        evidence: list[str] = []
        near = 0.0
        if self._regex is not None:
            for m in self._regex.finditer(text):
                cue = m.group(0)
                signal, weight = self._feat[cue]
                if len(cue) == 1 and not _alone(text, m.start(), m.end()):
                    continue
                if signal in ("deny", "identity", "busy"):
                    pol = 1.0
                else:
                    pol = polarity(text, m.start())
                if pol == NEGATED:
                    if signal == "loss":
                        near += weight
                        evidence.append(f"没{cue}" if not cue.startswith("没") else cue)
                    elif signal == "confirm":
                        scores["deny"] += weight
                        evidence.append(cue)
                    continue
                if pol == HEDGED and signal in ("loss", "ongoing"):
                    near += weight * 0.5
                    continue
                if (
                    signal == "deny"
                    and weight < 2.0
                    and not _clause_initial(text, m.start())
                ):
                    # "我没有投钱" negates an action inside an answer; only a clause
                    # that opens with 没有/不是 is a denial of the warning itself.
                    pol = 0.5
                scores[signal] += weight * pol
                evidence.append(cue)
        for signal, regex in self._patterns:
            found = regex.search(text)
            if found is None:
                continue
            pol = polarity(text, found.start())
            if pol == HEDGED and signal in ("loss", "ongoing"):
                near += 1.0
            elif pol != NEGATED:
                scores[signal] += 2.0
                evidence.append(found.group(0))
        return Signals(dict(scores), evidence, near)

    def label(self, transcript: object) -> DialogueLabel:
        """Label one transcript (raw; it is cleaned here)."""
        prepared = prepare(transcript, keep_pauses=True)
        text = prepared.text
        if not text:
            return DialogueLabel(
                Intent.BUSY_OR_HUNG_UP,
                False,
                False,
                0.6,
                note=prepared.note or "empty transcript",
            )
        sig = self.signals(text)
        fraud_type = NONE
        scam = 0.0
        if self.matcher is not None:
            found = self.matcher.match(text)
            if found.fraud_type != NONE:
                fraud_type = found.fraud_type
                scam = 2.0 if found.confidence >= 0.5 else 1.0
                sig.evidence.extend(e.text for e in found.evidence[:3])
        intent, confidence = _decide(sig, scam)
        defrauded = sig["loss"] >= 1.0 and intent in (
            Intent.ALREADY_DEFRAUDED,
            Intent.BEING_DEFRAUDED_NOW,
            Intent.ASKS_FOR_HELP,
        )
        confirmed = (
            defrauded
            or intent
            in (Intent.CONFIRMS, Intent.ALREADY_DEFRAUDED, Intent.BEING_DEFRAUDED_NOW)
            or (intent == Intent.ASKS_FOR_HELP and sig["confirm"] + scam > sig["deny"])
        )
        return DialogueLabel(
            intent,
            confirmed,
            defrauded,
            round(confidence, 2),  # sums of tenths: 0.85, not 0.8500000000000001
            tuple(dict.fromkeys(sig.evidence)),
            fraud_type,
            "rules",
            prepared.note,
        )


def _clause_initial(text: str, start: int) -> bool:
    left = max((m.end() for m in _CLAUSE.finditer(text, 0, start)), default=0)
    return not _FILLER.sub("", text[left:start])


def _alone(text: str, start: int, end: int) -> bool:
    """True when a one-character cue is (nearly) the whole clause it stands in."""
    left = max((m.end() for m in _CLAUSE.finditer(text, 0, start)), default=0)
    right_match = _CLAUSE.search(text, end)
    right = right_match.start() if right_match else len(text)
    clause = _FILLER.sub("", text[left:right])
    return len(clause) <= 3


def _decide(sig: Signals, scam: float) -> tuple[Intent, float]:
    confirm = sig["confirm"] + scam + 0.5 * sig.near_miss
    deny = sig["deny"]
    if sig["ongoing"] >= 2.0 or (sig["ongoing"] >= 1.0 and (sig["loss"] or scam)):
        return Intent.BEING_DEFRAUDED_NOW, min(0.6 + 0.1 * sig["ongoing"], 0.95)
    lost = sig["loss"] >= 2.0 or (sig["loss"] >= 1.0 and (confirm > 0 or scam))
    if sig["help"] >= 2.0 or (sig["help"] >= 1.0 and not lost):
        return Intent.ASKS_FOR_HELP, 0.7
    if lost:
        return Intent.ALREADY_DEFRAUDED, min(0.6 + 0.1 * sig["loss"], 0.95)
    if confirm > deny and confirm >= 1.0:
        return Intent.CONFIRMS, min(0.55 + 0.1 * (confirm - deny), 0.95)
    if deny > 0:
        return Intent.DENIES, min(0.55 + 0.1 * (deny - confirm), 0.95)
    if sig["busy"] >= 1.0:
        return Intent.BUSY_OR_HUNG_UP, 0.8
    return Intent.OTHER, 0.5

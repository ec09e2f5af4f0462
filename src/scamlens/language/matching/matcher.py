"""Matching a text against the compiled feature library.

Scoring, in words (the numbers are in :class:`ScoringParams`):

* Every library term found in the cleaned text is weighed by its strength
  (strong 3, medium 1.5, weak 0.6, weak capped per script) and by its polarity
  (negated 0, hedged 0.5; see :mod:`.negation`). A term counts once per script.
* A script that has at least one keyword hit also gains its persona's weight when a
  cue of its persona appears, each requested action whose cue appears, and each of
  its regular expressions that matches.
* A type scores its best script plus a share of its other scripts' scores.
* Benign templates (type ``none``) score the same way; their best score is subtracted
  (scaled) from the fraud score, so a bank notice that says "转账" stays ``none``.
* The text is fraud of the best type when the net score reaches the threshold;
  otherwise it is ``none``. Confidence grows with the net score and the margin over
  the runner-up type.

Patterns are only tried for scripts that already have a keyword hit, which keeps the
cost proportional to the evidence rather than to the size of the library.
"""

from __future__ import annotations

import logging
import math
import re
from collections import defaultdict
from dataclasses import dataclass, field

from scamlens.language.library.model import TIERS, Library
from scamlens.language.matching.negation import NEGATED, polarity
from scamlens.language.taxonomy import NONE

__all__ = ["Evidence", "MatchResult", "Matcher", "ScoringParams"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScoringParams:
    """The knobs of the rules backend's scoring."""

    threshold: float = 3.0
    weak_cap: float = 1.2
    persona_bonus: float = 1.0
    sibling_share: float = 0.25
    sibling_cap: float = 1.5
    matched_score: float = 4.0
    """A script explains a text well (for coverage and discovery) from this score."""
    none_factor: float = 1.0
    none_margin: float = 1.5
    context_cap: float = 2.9
    context_needed: float = 4.5
    """A script with only medium/weak words and a persona (no strong word, pattern
    or requested action) must reach ``context_needed`` to count; below it the score
    is capped under the threshold: ordinary texts about couriers, banks or games
    share one or two context words with scams, a scam has several."""
    """Benign evidence below this does not count against fraud (generic words)."""


@dataclass(slots=True)
class Evidence:
    """A matched span of the cleaned text and what it is evidence of."""

    start: int
    end: int
    text: str
    kind: str
    """``keyword``, ``persona``, ``action`` or ``pattern``."""


@dataclass(slots=True)
class MatchResult:
    """The rules backend's verdict on one text (a value: do not modify it)."""

    fraud_type: str
    confidence: float
    script_id: str
    evidence: tuple[Evidence, ...] = ()
    type_scores: dict[str, float] = field(default_factory=dict)
    none_score: float = 0.0
    net_score: float = 0.0
    actions: tuple[str, ...] = ()
    matched: bool = False
    """Some script (fraud or benign) explains the text well; used for coverage."""
    best_scripts: dict[str, str] = field(default_factory=dict)
    """The best-scoring script of every type that scored."""


# (kind, index or code, weight); kind: k=keyword of entry, p=persona, a=action
_Feature = tuple[str, int | str, float]


class Matcher:
    """The library compiled for fast matching; build once, call :meth:`match` often."""

    def __init__(self, library: Library, params: ScoringParams | None = None) -> None:
        self.library = library
        self.params = params or ScoringParams()
        self.entries = library.active
        self._features: dict[str, tuple[_Feature, ...]] = {}
        self._patterns: list[tuple[tuple[re.Pattern[str], float], ...]] = []
        self._compile()

    def _compile(self) -> None:
        features: dict[str, dict[tuple[str, int | str], float]] = defaultdict(dict)
        for i, entry in enumerate(self.entries):
            for tier, terms in entry.keywords.items():
                for term in terms:
                    key = ("k", i)
                    features[term][key] = max(features[term].get(key, 0.0), TIERS[tier])
            self._patterns.append(
                tuple((re.compile(p.regex), p.weight) for p in entry.patterns)
            )
        for persona in self.library.personas:
            for cue in persona.cues:
                features[cue][("p", persona.code)] = 1.0
        for action in self.library.actions:
            for cue in action.cues:
                features[cue][("a", action.code)] = action.weight
        self._features = {
            term: tuple((k[0], k[1], w) for k, w in feats.items())
            for term, feats in features.items()
            if term
        }
        self._kw: dict[str, tuple[tuple[int, float], ...]] = {}
        self._persona_cue: dict[str, tuple[str, ...]] = {}
        self._action_cue: dict[str, tuple[str, ...]] = {}
        for term, feats in self._features.items():
            kw = tuple((int(ref), w) for kind, ref, w in feats if kind == "k")
            if kw:
                self._kw[term] = kw
            ps = tuple(str(ref) for kind, ref, _ in feats if kind == "p")
            if ps:
                self._persona_cue[term] = ps
            acts = tuple(str(ref) for kind, ref, _ in feats if kind == "a")
            if acts:
                self._action_cue[term] = acts
        # A character trie walked from every position finds every term, overlapping
        # ones included ("一个股票群" holds both "个股" and "股票群").
        self._trie: dict[object, object] = {}
        for term in self._features:
            node = self._trie
            for ch in term:
                node = node.setdefault(ch, {})  # type: ignore[assignment]
            node[_END] = term
        self._type_of = [e.fraud_type for e in self.entries]
        self._own = [frozenset(e.all_terms()) for e in self.entries]
        self._persona_of = [e.persona for e in self.entries]
        self._actions_of = [e.actions for e in self.entries]
        self._action_weight = {a.code: a.weight for a in self.library.actions}
        logger.debug(
            "matcher compiled entries=%d terms=%d",
            len(self.entries),
            len(self._features),
        )

    def terms(self) -> tuple[str, ...]:
        return tuple(self._features)

    def scan(self, text: str) -> list[tuple[int, str]]:
        """Every (start, term) of the library found in ``text``."""
        trie = self._trie
        hits = []
        n = len(text)
        for i in range(n):
            node = trie.get(text[i])
            j = i + 1
            while node is not None:
                term = node.get(_END)  # type: ignore[attr-defined]
                if term is not None:
                    hits.append((i, term))
                if j >= n:
                    break
                node = node.get(text[j])  # type: ignore[attr-defined]
                j += 1
        return hits

    def match(self, text: str) -> MatchResult:
        """Score cleaned ``text`` (see :func:`scamlens.language.text.prepare`)."""
        if not text or not self._trie:
            return MatchResult(NONE, 0.5 if not text else 0.9, "")
        state = _State()
        strong, weak, used = state.strong, state.weak, state.used
        seen: set[str] = set()
        keywords, personas, actions = self._kw, self._persona_cue, self._action_cue
        trie = self._trie
        n = len(text)
        for start in range(n):
            node = trie.get(text[start])
            j = start + 1
            while node is not None:
                term = node.get(_END)  # type: ignore[attr-defined]
                if term is not None and term not in seen:
                    pol = polarity(text, start)
                    if pol != NEGATED:
                        seen.add(term)
                        used.append((start, term))
                        for i, weight in keywords.get(term, ()):
                            if weight < _MEDIUM:
                                weak[i] = weak.get(i, 0.0) + weight * pol
                            else:
                                strong[i] = strong.get(i, 0.0) + weight * pol
                                if weight >= _STRONG:
                                    state.strong_hits.add(i)
                        for code in personas.get(term, ()):
                            state.personas.setdefault(
                                code, (start, start + len(term), term, "persona")
                            )
                        for code in actions.get(term, ()):
                            state.actions.setdefault(
                                code, (start, start + len(term), term, "action")
                            )
                if j >= n:
                    break
                node = node.get(text[j])  # type: ignore[attr-defined]
                j += 1
        return self._decide(text, state)

    def _entry_scores(self, text: str, state: _State) -> dict[int, float]:
        p = self.params
        scores: dict[int, float] = {}
        extras, personas, actions = state.extras, state.personas, state.actions
        # Only scripts with a medium or strong word are scored: weak words are
        # context and never make a script on their own.
        for i in state.strong:
            has_word = True
            score = state.strong.get(i, 0.0) + min(state.weak.get(i, 0.0), p.weak_cap)
            signal = i in state.strong_hits
            found_spans: list[_Span] = []
            persona = self._persona_of[i]
            if persona and persona in personas:
                score += p.persona_bonus
                found_spans.append(personas[persona])
            for action in self._actions_of[i]:
                # An action cue that is also one of the script's own keywords was
                # already counted as a keyword ("押金"), so it adds nothing more.
                if action in actions and actions[action][2] not in self._own[i]:
                    score += self._action_weight.get(action, 1.0)
                    found_spans.append(actions[action])
                    signal = True
            # Patterns refine a script one of whose medium or strong words is there;
            # trying them for every weak hit would cost more than it finds.
            for regex, weight in self._patterns[i] if has_word else ():
                found = regex.search(text)
                if found is not None:
                    pol = polarity(text, found.start())
                    if pol != NEGATED:
                        score += weight * pol
                        found_spans.append(
                            (found.start(), found.end(), found.group(0), "pattern")
                        )
                        signal = True
            extras[i] = found_spans
            if signal or score >= p.context_needed:
                state.signal.add(i)
                scores[i] = score
            else:
                scores[i] = min(score, p.context_cap)
        return scores

    def _spans(self, state: _State, i: int) -> tuple[Evidence, ...]:
        own = self._own[i]
        items = [(s, s + len(t), t, "keyword") for s, t in state.used if t in own]
        return _ordered(items + state.extras.get(i, []))

    def _decide(self, text: str, state: _State) -> MatchResult:
        p = self.params
        scores = self._entry_scores(text, state)
        by_type: dict[str, list[tuple[float, int]]] = defaultdict(list)
        for i, score in scores.items():
            by_type[self._type_of[i]].append((score, i))
        type_scores: dict[str, float] = {}
        best_entry: dict[str, int] = {}
        for code, items in by_type.items():
            items.sort(reverse=True)
            extra = min(sum(s for s, _ in items[1:]) * p.sibling_share, p.sibling_cap)
            if items[0][1] in state.signal:
                type_scores[code] = items[0][0] + extra
            else:
                type_scores[code] = min(items[0][0] + extra, p.context_cap)
            best_entry[code] = items[0][1]
        none_score = type_scores.pop(NONE, 0.0)
        none_entry = best_entry.get(NONE)
        action_codes = tuple(sorted(state.actions))
        penalty = p.none_factor * max(0.0, none_score - p.none_margin)
        best_fraud = max(type_scores.values(), default=0.0)
        matched = max(none_score, best_fraud - penalty) >= p.matched_score
        rounded = {k: round(v, 3) for k, v in type_scores.items()}
        net = 0.0
        if type_scores:
            code = max(type_scores, key=type_scores.__getitem__)
            top = type_scores[code]
            second = max((v for k, v in type_scores.items() if k != code), default=0.0)
            net = top - penalty
            if net >= p.threshold:
                margin = (top - second) / top if top else 0.0
                strength = 1.0 - math.exp(-net / p.threshold)
                confidence = strength * (0.6 + 0.4 * margin)
                i = best_entry[code]
                return MatchResult(
                    code,
                    round(min(max(confidence, 0.05), 0.99), 3),
                    self.entries[i].script_id,
                    self._spans(state, i),
                    rounded,
                    round(none_score, 3),
                    round(net, 3),
                    action_codes,
                    matched,
                    self._best_ids(best_entry),
                )
        confidence = 0.95 - 0.45 * min(max(net, 0.0) / p.threshold, 1.0)
        if none_entry is not None and none_score >= p.threshold:
            confidence = max(confidence, 0.9)
        return MatchResult(
            NONE,
            round(confidence, 3),
            self.entries[none_entry].script_id if none_entry is not None else "",
            self._spans(state, none_entry) if none_entry is not None else (),
            rounded,
            round(none_score, 3),
            round(net, 3),
            action_codes,
            matched,
            self._best_ids(best_entry),
        )

    def _best_ids(self, best_entry: dict[str, int]) -> dict[str, str]:
        return {code: self.entries[i].script_id for code, i in best_entry.items()}


_END = 0
_MEDIUM = TIERS["medium"]
_STRONG = TIERS["strong"]
_Span = tuple[int, int, str, str]


@dataclass
class _State:
    """What one text's scan found, per script index."""

    strong: dict[int, float] = field(default_factory=dict)
    weak: dict[int, float] = field(default_factory=dict)
    used: list[tuple[int, str]] = field(default_factory=list)
    strong_hits: set[int] = field(default_factory=set)
    signal: set[int] = field(default_factory=set)
    extras: dict[int, list[_Span]] = field(default_factory=dict)
    personas: dict[str, _Span] = field(default_factory=dict)
    actions: dict[str, _Span] = field(default_factory=dict)


def _ordered(items: list[_Span]) -> tuple[Evidence, ...]:
    unique = {(s[0], s[1]): s for s in items}
    return tuple(Evidence(*unique[k]) for k in sorted(unique))

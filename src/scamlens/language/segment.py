"""Chinese word segmentation with jieba, loaded lazily and quietly.

jieba builds its prefix dictionary on first use (about a second, then cached in the
temp folder) and prints progress to stderr; both are kept out of imports and of the
user's terminal. The library's terms are added as a user dictionary, so "安全账户" or
"解冻费" stay one token for the model and for discovery. Nothing is downloaded: the
dictionary ships inside the jieba package.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from typing import Any

__all__ = ["Segmenter", "segmenter"]

logger = logging.getLogger(__name__)

_LOCK = threading.Lock()
_BASE: Any = None


def _base_tokenizer() -> Any:
    """The shared jieba tokenizer, initialised once per process."""
    global _BASE
    with _LOCK:
        if _BASE is None:
            import jieba

            jieba.setLogLevel(logging.WARNING)
            tokenizer = jieba.Tokenizer()
            tokenizer.initialize()
            _BASE = tokenizer
            logger.debug("jieba initialised")
    return _BASE


class Segmenter:
    """A jieba tokenizer that knows a set of extra terms (the library's)."""

    def __init__(self, terms: Iterable[str] = ()) -> None:
        self._terms = tuple(sorted({t for t in terms if len(t) >= 2}))
        self._ready = False
        self._tok: Any = None

    def _ensure(self) -> Any:
        if not self._ready:
            base = _base_tokenizer()
            with _LOCK:
                for term in self._terms:
                    if " " not in term and base.FREQ.get(term, 0) < 20_000:
                        base.add_word(term, freq=20_000)
                self._tok = base
                self._ready = True
        return self._tok

    def cut(self, text: str) -> list[str]:
        """Words of ``text`` (no HMM, so unseen names are not glued together)."""
        tok = self._ensure()
        return [w for w in tok.cut(text, HMM=False) if w.strip()]

    def freq(self, word: str) -> int:
        """jieba's frequency of ``word`` (0 when it is not a dictionary word)."""
        return int(self._ensure().FREQ.get(word, 0))


_DEFAULT: Segmenter | None = None


def segmenter(terms: Iterable[str] | None = None) -> Segmenter:
    """A segmenter with ``terms`` added; without terms, a shared plain one."""
    global _DEFAULT
    if terms is not None:
        return Segmenter(terms)
    if _DEFAULT is None:
        _DEFAULT = Segmenter()
    return _DEFAULT

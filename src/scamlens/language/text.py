"""Turning whatever arrives in a text column into clean, bounded text.

Input comes from exports of several platforms: bytes in GBK or UTF-8, UTF-8 that was
decoded as Latin-1 on the way (mojibake), HTML fragments from web forms, full-width
letters, emoji, zero-width characters that scammers use to dodge keyword filters, and
whole call recordings tens of thousands of characters long. :func:`prepare` returns
the cleaned text plus a note saying what was done, so every row can still be labelled
and the output tells the reader why a text looks different from its input.

:func:`mask_pii` hides phone, card and id numbers in anything the language layer
stores or prints (evidence, proposals, alerts); raw numbers must never leave it.
"""

from __future__ import annotations

import html
import logging
import re
import unicodedata
from dataclasses import dataclass

__all__ = ["MAX_CHARS", "Prepared", "has_cjk", "mask_pii", "prepare", "to_text"]

logger = logging.getLogger(__name__)

MAX_CHARS = 6000
"""Texts longer than this are cut (a long call keeps its first part) with a note."""

_TAG = re.compile(r"<[^>]{0,400}>")
_SCRIPT = re.compile(r"<(script|style)[^>]*>.*?</\1\s*>", re.S | re.I)
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff\u00ad]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACE = re.compile(r"\s+")
# Filler put between Chinese characters to break keyword filters: 刷*单, 刷 单, 刷-单.
_CJK_GAP = re.compile(r"(?<=[\u4e00-\u9fff])[\s*#_\-~·.|/\\]{1,3}(?=[\u4e00-\u9fff])")
_CJK_PAUSE = re.compile(r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_HIGH_LATIN = re.compile(r"[\u0080-\u00ff]")
_DIGIT_RUN = re.compile(r"\d{3}")
_PII = re.compile(r"(?<![0-9])(?:\+?86[- ]?)?[0-9][0-9 -]{5,}[0-9xX](?![0-9])")


@dataclass(frozen=True)
class Prepared:
    """A cleaned text and what was done to it ('' when nothing worth saying)."""

    text: str
    note: str = ""


def to_text(value: object) -> tuple[str, str]:
    """Return ``value`` as a str and a note on how it was decoded (bytes, NaN, None)."""
    if value is None:
        return "", ""
    if isinstance(value, str):
        return value, ""
    if isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        for encoding in ("utf-8", "gb18030", "big5"):
            try:
                return raw.decode(encoding), "" if encoding == "utf-8" else (
                    f"decoded as {encoding}"
                )
            except UnicodeDecodeError:
                continue
        return raw.decode("utf-8", errors="replace"), "undecodable bytes replaced"
    if isinstance(value, float) and value != value:  # NaN from pandas-made files
        return "", ""
    return str(value), ""


def _fix_mojibake(text: str) -> tuple[str, bool]:
    """Undo UTF-8 or GBK bytes that were decoded as Latin-1 somewhere upstream."""
    if _CJK.search(text) or not _HIGH_LATIN.search(text):
        return text, False
    try:
        raw = text.encode("latin-1")
    except UnicodeEncodeError:
        try:
            raw = text.encode("cp1252")
        except UnicodeEncodeError:
            return text, False
    for encoding in ("utf-8", "gb18030"):
        try:
            fixed = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _CJK.search(fixed):
            return fixed, True
    return text, False


def _strip_html(text: str) -> str:
    if "<" in text and ">" in text:
        text = _SCRIPT.sub(" ", text)
        text = _TAG.sub(" ", text)
    if "&" in text:
        text = html.unescape(text)
    return text


_SYMBOLS = re.compile(
    "[\u2190-\u21ff\u2300-\u23ff\u2460-\u27bf\u2900-\u2bff\u3297\u3299"
    "\ue000-\uf8ff\ufe0e\ufe0f\U0001f000-\U0001faff\U000e0000-\U000e007f"
    "\ud800-\udfff]"
)


def _drop_symbols(text: str) -> str:
    """Replace emoji and other pictographs by spaces; they carry no script evidence."""
    if text.isascii():
        return text
    return _SYMBOLS.sub(" ", text)


def prepare(
    value: object, *, max_chars: int = MAX_CHARS, keep_pauses: bool = False
) -> Prepared:
    """Clean ``value`` for matching: decode, de-HTML, NFKC, lower-case, bound length.

    Filler between Chinese characters is dropped so "刷 单" matches "刷单". With
    ``keep_pauses`` a space between Chinese characters becomes "，" instead: in ASR
    transcripts a space marks a pause between utterances, which the dialogue rules
    need as a clause boundary.
    """
    text, note = to_text(value)
    notes = [note] if note else []
    if not text.strip():
        return Prepared("", "empty text")
    if not text.isascii():
        text, fixed = _fix_mojibake(text)
        if fixed:
            notes.append("mojibake repaired")
    text = _strip_html(text)
    text = unicodedata.normalize("NFKC", text)
    text = _INVISIBLE.sub("", text)
    if not text.isprintable():
        text = _CONTROL.sub(" ", text)
    text = _drop_symbols(text)
    if keep_pauses:
        text = _CJK_PAUSE.sub("，", text)
    text = _CJK_GAP.sub("", text)
    text = _SPACE.sub(" ", text).strip().lower()
    if len(text) > max_chars:
        notes.append(f"truncated from {len(text)} to {max_chars} characters")
        text = text[:max_chars]
    if not text:
        notes.append("no text after cleaning")
    elif not _CJK.search(text):
        notes.append("no Chinese characters")
    return Prepared(text, "; ".join(notes))


def has_cjk(text: str) -> bool:
    """True when ``text`` has at least one CJK unified ideograph."""
    return _CJK.search(text) is not None


def mask_pii(text: str) -> str:
    """Replace runs of 7+ digits (phones, cards, ids) by their last 2 digits masked."""
    if _DIGIT_RUN.search(text) is None:
        return text

    def _mask(match: re.Match[str]) -> str:
        digits = re.sub(r"[^0-9xX]", "", match.group(0))
        if len(digits) < 7:
            return match.group(0)
        return "*" * (len(digits) - 2) + digits[-2:]

    return _PII.sub(_mask, text)

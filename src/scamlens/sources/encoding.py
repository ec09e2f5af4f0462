"""Guessing how a text file is encoded and delimited.

Files exported in China are often GB18030 (or its subsets GBK and GB2312) rather
than UTF-8. A sample from the start of the file decides: UTF-8 (with or without a
byte-order mark) when it decodes, otherwise charset-normalizer's best guess, with the
GB family widened to GB18030. ``--encoding`` overrides the guess. A ``.gz`` file is
sampled after decompression.
"""

from __future__ import annotations

import codecs
import gzip
import logging
from pathlib import Path
from typing import IO, cast

from scamlens.errors import SourceError

__all__ = ["detect_delimiter", "detect_encoding", "normalise_encoding", "open_bytes"]

logger = logging.getLogger(__name__)

_SAMPLE_BYTES = 1 << 16
_GB_FAMILY = {"gb2312", "gbk", "gb18030", "hz", "cp936"}
DELIMITERS = (",", ";", "\t", "|")


def normalise_encoding(name: str) -> str:
    """Canonical codec name for ``name``; the GB family becomes gb18030."""
    try:
        canonical = codecs.lookup(name).name
    except LookupError:
        raise SourceError(
            f"unknown encoding `{name}`; use a Python codec name such as utf-8 "
            "or gb18030"
        ) from None
    return "gb18030" if canonical in _GB_FAMILY else canonical


def open_bytes(path: Path) -> IO[bytes]:
    """``path`` opened for reading bytes, decompressed when it ends in ``.gz``."""
    if path.name.lower().endswith(".gz"):
        return cast(IO[bytes], gzip.open(path, "rb"))
    return path.open("rb")


def detect_encoding(path: Path) -> str:
    """Guess the encoding of ``path`` from its first bytes (after decompression)."""
    try:
        with open_bytes(path) as handle:
            sample = handle.read(_SAMPLE_BYTES)
    except (OSError, EOFError) as exc:  # gzip.BadGzipFile is an OSError
        raise SourceError(
            f"cannot read `{path}`: {exc}; check that the file is complete and, "
            "for .gz, really gzip-compressed"
        ) from None
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(sample).best()
    if best is None:
        raise SourceError(
            f"cannot tell the text encoding of `{path}`; pass --encoding "
            "(for example gb18030 or utf-8)"
        )
    guess = normalise_encoding(best.encoding)
    logger.info("file %s does not decode as UTF-8; guessed encoding %s", path, guess)
    return guess


def detect_delimiter(header: str) -> str:
    """The delimiter that splits the header line into the most fields."""
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","

"""Text normalisation shared by search, classification and duplicate detection.

`normalize(text)`: NFKC (full-width letters, digits and punctuation fold to their
half-width forms), Traditional -> Simplified through OpenCC's t2s tables,
lower case, runs of whitespace collapsed to one space.

OpenCC: the pure-Python `opencc-python-reimplemented` (about 130 us per 100
characters). The native `opencc` wheel is about 8x faster, but both install the
same `opencc` import package and overwrite each other, so we keep the
pure-Python one and skip it for text with no Traditional-only character, which is
nearly every message (a set test costs a few microseconds).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache
from pathlib import Path

_WS = re.compile(r"\s+")
# A "segment" is a run of word characters (CJK, letters, digits); everything
# else (punctuation, spaces, symbols) separates segments for n-grams.
_NON_WORD = re.compile(r"[\W_]+")
_lock = threading.Lock()
_converter = None


@lru_cache(maxsize=1)
def _traditional_chars() -> frozenset[str]:
    import opencc

    path = Path(opencc.__file__).parent / "dictionary" / "TSCharacters.txt"
    chars: set[str] = set()
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            key, _, values = line.rstrip("\n").partition("\t")
            if len(key) == 1 and values and key != values.split(" ")[0]:
                chars.add(key)
    return frozenset(chars)


def _t2s(text: str) -> str:
    global _converter
    if _converter is None:
        with _lock:
            if _converter is None:
                from opencc import OpenCC

                _converter = OpenCC("t2s")
    return _converter.convert(text)


def has_traditional(text: str) -> bool:
    return not _traditional_chars().isdisjoint(text)


def normalize(text: str) -> str:
    """One canonical form for every comparison of Chinese text."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text)
    if has_traditional(text):
        text = _t2s(text)
    return _WS.sub(" ", text).strip().lower()


def segments(text: str) -> list[str]:
    """Word-character runs of the normalised text (punctuation and spaces split)."""
    return [s for s in _NON_WORD.split(normalize(text)) if s]


def segment_text(text: str) -> str:
    """The normalised text with every separator run replaced by one space."""
    return " ".join(segments(text))


def bigram_tokens(text: str) -> str:
    """Space-joined tokens for the search index: every character bigram of each
    segment, then the segment's last character alone. A one-character query is a
    prefix query: every character starts a bigram or ends a segment. The
    sequence is also reversible (see `text_from_tokens`)."""
    out: list[str] = []
    for seg in segments(text):
        out.extend(seg[i : i + 2] for i in range(len(seg) - 1))
        out.append(seg[-1])
    return " ".join(out)


def text_from_tokens(tokens: str) -> str:
    """Inverse of `bigram_tokens`: the segments joined by spaces."""
    parts: list[str] = []
    for tok in tokens.split():
        if len(tok) == 2:
            parts.append(tok[0])
        else:
            parts.append(tok)
            parts.append(" ")
    return "".join(parts).strip()

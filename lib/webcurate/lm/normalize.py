"""CCNet's text normalisation before SentencePiece and KenLM (cc_net ``text_normalizer.normalize``
with its defaults, as ``MultiSentencePiece(normalize=True)`` applies it; re-implemented).

Per line: strip; lowercase; accents removed (NFD, non-spacing marks dropped); every decimal
digit -> ``0``; Unicode punctuation replaced by its ASCII counterpart (full-width and CJK commas,
stops, quotes, brackets, dashes...); non-printing characters (C0/C1 controls other than tab, the
zero-width and bidi marks) removed. Applied to the training text and to the scored text alike,
so the model sees the same alphabet it was trained on.
"""

from __future__ import annotations

import re
import unicodedata

#: Unicode punctuation -> ASCII (CCNet's ``unicode_punct`` table, extended with the common
#: quote and dash forms).
UNICODE_PUNCT = {
    "\uff0c": ',', "\u3002": '. ', "\u3001": ',', "\u201e": '"', "\u201d": '"', "\u201c": '"',
    "\u00ab": '"', "\u00bb": '"', "\uff11": '"', "\u300d": '"', "\u300c": '"', "\u300a": '"',
    "\u300b": '"', "\u00b4": "'", "\u2236": ':', "\uff1a": ':', "\uff1f": '?', "\uff01": '!',
    "\uff08": '(', "\uff09": ')', "\uff1b": ';', "\u2013": '-', "\u2014": ' - ', "\uff0e": '. ',
    "\uff5e": '~', "\u2019": "'", "\u2018": "'", "\u2026": '...', "\u2501": '-', "\u3008": '<',
    "\u3009": '>', "\u3010": '[', "\u3011": ']', "\uff05": '%', "\u25ba": '-',
}
_PUNCT_RE = re.compile("[" + re.escape("".join(UNICODE_PUNCT)) + "]")
_NON_PRINTING_RE = re.compile(
    "[" + "".join(chr(c) for c in (*range(0, 9), *range(11, 32), *range(127, 160)))
    + "\u200b-\u200f\u202a-\u202e\u2060\ufeff]")
_DIGIT_RE = re.compile(r"\d")


def strip_accents(line: str) -> str:
    """NFD, then every non-spacing mark dropped (``café`` -> ``cafe``)."""
    decomposed = unicodedata.normalize("NFD", line)
    if decomposed == line and line.isascii():
        return line
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


def normalize_line(line: str) -> str:
    """One line as CCNet normalises it before SentencePiece (module docstring)."""
    line = line.strip()
    if not line:
        return line
    line = strip_accents(line.lower())
    line = _DIGIT_RE.sub("0", line)
    line = _PUNCT_RE.sub(lambda m: UNICODE_PUNCT[m.group()], line)
    return _NON_PRINTING_RE.sub("", line)


def normalized_lines(text: str | None) -> list[str]:
    """The non-empty normalised lines (CCNet's paragraphs) of a document."""
    if not text:
        return []
    lines = (normalize_line(line) for line in text.split("\n"))
    return [line for line in lines if line]

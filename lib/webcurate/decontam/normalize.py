"""Text -> the words decontamination compares, as GPT-3 defines them (Brown et al. 2020,
Appendix C: "a gram [is] a lowercase, whitespace delimited word with no punctuation").

A word is a run of non-whitespace (Unicode whitespace, ``str.split``), lowercased
(``str.lower``), with every punctuation and symbol character (Unicode categories P* and S*)
deleted; a run that was only punctuation is no word at all. So ``"Janet\u2019s"`` and ``"janets"``
are the same word, ``"$18"`` is ``"18"``, ``"foo(x):"`` is ``"foox"``. Benchmarks and
documents go through the same function, so the same text always gives the same words.

EleutherAI's ``Janitor`` (lm-evaluation-harness, GPT-3's procedure re-implemented) deletes
``string.punctuation`` only and lowercases ASCII only; this module also deletes Unicode
punctuation (curly quotes, dashes, CJK punctuation) so that typographic variants of a
benchmark item match, and drops empty words on both sides (the Janitor keeps them in
documents, where a lone ``-`` then breaks an n-gram that the benchmark side has).

Words are UTF-8 ``bytes`` (what :mod:`.ngrams` hashes). ASCII texts take a ``bytes.translate``
fast path (3x the regex path on English prose); both paths give the same words (tested).
"""

from __future__ import annotations

import re
import string

import regex

_PUNCT_SYMBOLS = regex.compile(r"[\p{P}\p{S}]+")
_ASCII_DELETE = string.punctuation.encode("ascii")  # = the P* and S* characters of ASCII
_TOKEN = re.compile(r"\S+")


def words(text: str) -> list[bytes]:
    """The normalised words of ``text``, in order."""
    if not text:
        return []
    if text.isascii():
        return text.encode("ascii").lower().translate(None, _ASCII_DELETE).split()
    # Unicode whitespace splits (str.split); the survivors are re-joined by one ASCII space so
    # that bytes.split, which knows ASCII whitespace only, gives the same words.
    kept = _PUNCT_SYMBOLS.sub("", text.lower()).split()
    return " ".join(kept).encode("utf-8").split(b" ") if kept else []


def normalize_token(token: str) -> bytes:
    """One whitespace-free token as a word (``b""``: punctuation only, no word)."""
    if token.isascii():
        return token.encode("ascii").lower().translate(None, _ASCII_DELETE)
    return _PUNCT_SYMBOLS.sub("", token.lower()).encode("utf-8")


def words_with_spans(text: str) -> tuple[list[bytes], list[tuple[int, int]]]:
    """:func:`words` and, for each word, the ``[start, end)`` character span of the token it
    came from in ``text`` (used to cut matched n-grams out of a document)."""
    found: list[bytes] = []
    spans: list[tuple[int, int]] = []
    for match in _TOKEN.finditer(text or ""):
        word = normalize_token(match.group())
        if word:
            found.append(word)
            spans.append(match.span())
    return found, spans

"""Length bounds: keep documents whose character and word counts lie within configured limits.

Every recipe bounds document length somewhere: Gopher / MassiveText (Rae et al. 2021, App. A) and
RefinedWeb (Penedo et al. 2023, §G.2) keep documents of 50 to 100,000 words, DCLM's
``page_length_filter`` does the same with ``min_length: 50, max_length: 100000`` words. This
filter is that bound on its own, cheap (no tokenizer), for chains that do not run Gopher's quality
rules or that want a character limit too. Words are counted one of two ways:

- ``whitespace`` (default): chunks between Unicode whitespace (``str.split()``);
- ``alnum``: chunks between ASCII whitespace that start with a letter or digit, which is DCLM's
  ``page_length_filter`` with ``ignore_punctuation: true`` (fastText's tokenizer, punctuation-only
  tokens dropped; the same count on all 697 CC-MAIN-2019-30 test documents), so ``50..100000``
  with ``alnum`` is that filter.

Defaults: 50 to 100,000 words (the published bound); no character bounds (``null``), since
no paper sets one; set ``max_chars`` to cap pathological pages (e.g. 1,000,000). Rules, in order;
the first one failing rejects: ``length_too_few_chars`` (fewer than ``min_chars``),
``length_too_many_chars`` (more than ``max_chars``), ``length_too_few_words`` (fewer than
``min_words``), ``length_too_many_words`` (more than ``max_words``); ``null`` disables a bound.
Gopher's own ``gopher_short_doc`` / ``gopher_long_doc`` count words with datatrove's spaCy-style
splitter and leave out symbol-only words, so they differ slightly from either count here.

Signals: ``length_chars`` (Unicode code points) and ``length_words``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from webcurate.config import option
from webcurate.filters.base import Signals, Verdict

REASON_TOO_FEW_CHARS = "length_too_few_chars"
REASON_TOO_MANY_CHARS = "length_too_many_chars"
REASON_TOO_FEW_WORDS = "length_too_few_words"
REASON_TOO_MANY_WORDS = "length_too_many_words"

# fastText's token separators (its Dictionary::readWord): space, \n, \r, \t, \v, \f, \0.
_FASTTEXT_SEPARATORS = re.compile(r"[ \n\r\t\v\f\x00]+")


@dataclass(frozen=True)
class LengthFilterConfig:
    """Document length bounds; ``null`` disables a bound."""

    min_chars: int | None = option(None, min=0, help="fewest characters")
    max_chars: int | None = option(None, min=0, help="most characters")
    min_words: int | None = option(50, min=0, help="fewest words (Gopher / RefinedWeb: 50)")
    max_words: int | None = option(
        100_000, min=0, help="most words (Gopher / RefinedWeb: 100,000)")
    word_count: str = option(
        "whitespace", choices=("whitespace", "alnum"),
        help="whitespace: str.split() chunks; alnum: DCLM's count (tokens starting alphanumeric)")


def alnum_word_count(text: str) -> int:
    """Tokens between fastText's separators that start with a letter or digit (DCLM's count)."""
    return sum(1 for token in _FASTTEXT_SEPARATORS.split(text) if token[:1].isalnum())


def count_words(text: str, method: str = "whitespace") -> int:
    return alnum_word_count(text) if method == "alnum" else len(text.split())


SIGNALS = (("length_chars", int), ("length_words", int))


def length_signals(text: str, config: LengthFilterConfig) -> Signals:
    return {"length_chars": len(text), "length_words": count_words(text, config.word_count)}


def length_decision(signals: Signals, config: LengthFilterConfig) -> str | None:
    """The first bound ``signals`` break, or None."""
    n_chars, n_words = signals["length_chars"], signals["length_words"]
    checks = (
        (REASON_TOO_FEW_CHARS, config.min_chars is not None and n_chars < config.min_chars),
        (REASON_TOO_MANY_CHARS, config.max_chars is not None and n_chars > config.max_chars),
        (REASON_TOO_FEW_WORDS, config.min_words is not None and n_words < config.min_words),
        (REASON_TOO_MANY_WORDS, config.max_words is not None and n_words > config.max_words),
    )
    return next((reason for reason, failed in checks if failed), None)


def length_filter(text: str, config: LengthFilterConfig | None = None) -> Verdict:
    """Keep or reject ``text`` by its length, with both counts as signals."""
    config = config or LengthFilterConfig()
    signals = length_signals(text, config)
    reason = length_decision(signals, config)
    return Verdict.decided(reason, signals)

"""FineWeb's own quality rules: line punctuation, short lines, duplicated lines, list-like pages.

Paper: Penedo et al. 2024, "The FineWeb Datasets: Decanting the Web for the Finest Text Data at
Scale" (§3.3, "custom filters"). Reference implementation: datatrove 0.10.1,
``datatrove/pipeline/filters/fineweb_quality_filter.py`` (``FineWebQualityFilter``); defaults here
are datatrove's. A document's *lines* are its ``\\n``-separated parts that are not blank
(``line.strip() != ""``), kept unstripped. Rules, checked in this order; the first one failing
rejects (datatrove reason -> webcurate reason):

- ``empty`` -> ``fineweb_empty``: no non-blank line at all.
- ``line_punct_ratio`` -> ``fineweb_line_punct_ratio``: fraction of lines ending in a terminal
  punctuation mark (``TERMINAL_PUNCTUATION``: Unicode's Sentence_Terminal set) must be
  ``>= min_line_punct_ratio`` (0.12); with ``line_punct_exclude_zero`` a ratio of exactly 0 passes.
- ``short_line_ratio`` -> ``fineweb_short_line_ratio``: fraction of lines of at most
  ``short_line_max_chars`` (30) characters must be ``<= max_short_line_ratio`` (0.67).
- ``char_dup_ratio`` -> ``fineweb_char_dup_ratio``: characters in lines that repeat an earlier
  line exactly, over the characters of the text without ``\\n``, must be
  ``<= max_dup_line_char_ratio`` (0.01).
- ``list_ratio`` -> ``fineweb_list_ratio``: ``\\n`` count over the word count (datatrove's English
  word tokenizer, ``webcurate.text.words.split_words``) must be ``<= max_newlines_per_word`` (0.3).

Signals: ``fineweb_lines``, ``fineweb_line_punct_ratio``, ``fineweb_short_line_ratio``,
``fineweb_dup_line_char_ratio``, ``fineweb_newlines_per_word`` (a rule not reached, because an
earlier one rejected, still has its signal measured, so thresholds can be re-tuned later).

Differences from datatrove, deliberate: a text whose characters are all ``\\n`` (or that has no
words) would divide by zero in datatrove; here the ratio is ``None`` and the rule does not fire
(``empty`` already rejects such texts, so decisions never differ). The FineWeb paper also applies
the C4 terminal-punctuation rule and Gopher filters: those live in ``c4.py`` and ``gopher.py``.

Parity with datatrove 0.10.1 (``make parity``: ``tests/parity/parity.py``, the 697
CC-MAIN-2019-30 documents): 697/697 identical decisions and reasons.
"""

from __future__ import annotations

from dataclasses import dataclass

from webcurate.config import option
from webcurate.filters.base import Signals, Verdict
from webcurate.text.sentences import TERMINAL_PUNCTUATION
from webcurate.text.words import split_words

REASON_EMPTY = "fineweb_empty"
REASON_LINE_PUNCT_RATIO = "fineweb_line_punct_ratio"
REASON_SHORT_LINE_RATIO = "fineweb_short_line_ratio"
REASON_CHAR_DUP_RATIO = "fineweb_char_dup_ratio"
REASON_LIST_RATIO = "fineweb_list_ratio"



@dataclass(frozen=True)
class FineWebQualityConfig:
    """Thresholds of FineWeb's quality rules (datatrove defaults); ``None`` disables a rule."""

    min_line_punct_ratio: float | None = option(
        0.12, help="min fraction of non-blank lines ending in terminal punctuation", min=0, max=1)
    line_punct_exclude_zero: bool = option(
        False, help="let a page with no punctuated line at all pass the line punctuation rule")
    short_line_max_chars: int = option(
        30, help="a line of at most this many characters counts as short", min=0)
    max_short_line_ratio: float | None = option(
        0.67, help="max fraction of non-blank lines that are short", min=0, max=1)
    max_dup_line_char_ratio: float | None = option(
        0.01, help="max characters in repeated lines / characters without newlines", min=0)
    max_newlines_per_word: float | None = option(
        0.3, help="max newline characters per word (list-like pages)", min=0)
    language: str = option("en", help="language of the word splitter")


def non_blank_lines(text: str) -> list[str]:
    """``\\n``-separated lines that are not only whitespace, unstripped (as datatrove has them)."""
    return [line for line in text.split("\n") if line.strip()]


def line_punct_ratio(lines: list[str]) -> float:
    """Fraction of ``lines`` whose last character is a terminal punctuation mark."""
    return sum(1 for line in lines if line[-1:] in TERMINAL_PUNCTUATION) / len(lines)


def short_line_ratio(lines: list[str], short_line_max_chars: int) -> float:
    """Fraction of ``lines`` with at most ``short_line_max_chars`` characters."""
    return sum(1 for line in lines if len(line) <= short_line_max_chars) / len(lines)


def duplicate_line_chars(lines: list[str]) -> int:
    """Characters in lines that repeat an earlier line exactly (first occurrences not counted)."""
    seen: set[str] = set()
    dup_chars = 0
    for line in lines:
        if line in seen:
            dup_chars += len(line)
        else:
            seen.add(line)
    return dup_chars


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def fineweb_signals(text: str, config: FineWebQualityConfig,
                    words: list[str] | None = None) -> Signals:
    """Every value the FineWeb rules compare (``None`` where undefined, e.g. no lines).
    ``words``: ``split_words(text)`` if the caller already has it (a chain splits once)."""
    lines = non_blank_lines(text)
    if not lines:
        return {"fineweb_lines": 0, "fineweb_line_punct_ratio": None,
                "fineweb_short_line_ratio": None, "fineweb_dup_line_char_ratio": None,
                "fineweb_newlines_per_word": None}
    n_words = len(split_words(text, config.language) if words is None else words)
    return {
        "fineweb_lines": len(lines),
        "fineweb_line_punct_ratio": line_punct_ratio(lines),
        "fineweb_short_line_ratio": short_line_ratio(lines, config.short_line_max_chars),
        "fineweb_dup_line_char_ratio": _ratio(duplicate_line_chars(lines),
                                              len(text) - text.count("\n")),
        "fineweb_newlines_per_word": _ratio(text.count("\n"), n_words),
    }


def fineweb_decision(signals: Signals, config: FineWebQualityConfig) -> str | None:
    """The first failing FineWeb rule for measured ``signals``, or None."""
    if not signals["fineweb_lines"]:
        return REASON_EMPTY
    punct = signals["fineweb_line_punct_ratio"]
    if config.min_line_punct_ratio is not None and punct < config.min_line_punct_ratio:
        if not (punct == 0 and config.line_punct_exclude_zero):
            return REASON_LINE_PUNCT_RATIO
    checks = (
        (REASON_SHORT_LINE_RATIO, "fineweb_short_line_ratio", config.max_short_line_ratio),
        (REASON_CHAR_DUP_RATIO, "fineweb_dup_line_char_ratio", config.max_dup_line_char_ratio),
        (REASON_LIST_RATIO, "fineweb_newlines_per_word", config.max_newlines_per_word),
    )
    for reason, key, limit in checks:
        value = signals[key]
        if limit is not None and value is not None and value > limit:
            return reason
    return None


def fineweb_quality(text: str, config: FineWebQualityConfig | None = None,
                    words: list[str] | None = None) -> Verdict:
    """Keep or reject ``text`` by FineWeb's quality rules, with every measured signal."""
    config = config or FineWebQualityConfig()
    signals = fineweb_signals(text, config, words)
    reason = fineweb_decision(signals, config)
    return Verdict.decided(reason, signals)

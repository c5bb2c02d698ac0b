"""FineWeb quality rules: one literal text per rule, the exact reason, and keep cases."""

from __future__ import annotations

import pytest

from webcurate.config import ConfigError, build
from webcurate.filters.fineweb import (
    REASON_CHAR_DUP_RATIO,
    REASON_EMPTY,
    REASON_LINE_PUNCT_RATIO,
    REASON_LIST_RATIO,
    REASON_SHORT_LINE_RATIO,
    FineWebQualityConfig,
    duplicate_line_chars,
    fineweb_quality,
    non_blank_lines,
)
from webcurate.text.sentences import TERMINAL_PUNCTUATION

LONG = "This line is long enough to not count as a short line at all"


def test_keeps_plain_prose():
    text = f"{LONG}.\n{LONG} either.\nA third sentence that is also rather long, and ends well."
    verdict = fineweb_quality(text)
    assert verdict.keep and verdict.reason is None
    assert verdict.signals["fineweb_lines"] == 3
    assert verdict.signals["fineweb_line_punct_ratio"] == 1.0
    assert verdict.signals["fineweb_short_line_ratio"] == 0.0
    assert verdict.signals["fineweb_dup_line_char_ratio"] == 0.0


@pytest.mark.parametrize("text", ["", "\n\n", "   \n\t\n"])
def test_empty(text):
    assert fineweb_quality(text).reason == REASON_EMPTY


def test_line_punct_ratio():
    text = "\n".join([f"{LONG} number {i}" for i in range(8)] + [f"{LONG}."])
    verdict = fineweb_quality(text)
    assert verdict.reason == REASON_LINE_PUNCT_RATIO
    assert verdict.signals["fineweb_line_punct_ratio"] == pytest.approx(1 / 9)


def test_line_punct_exclude_zero_lets_zero_pass():
    text = "\n".join(f"{LONG} number {i}" for i in range(3))
    assert fineweb_quality(text).reason == REASON_LINE_PUNCT_RATIO
    config = FineWebQualityConfig(line_punct_exclude_zero=True)
    assert fineweb_quality(text, config).keep


def test_terminal_punctuation_includes_other_scripts():
    assert {".", "!", "?", "。", "\u06d4", "।"} <= TERMINAL_PUNCTUATION
    assert not {'"', "'", ",", ";", "…"} & TERMINAL_PUNCTUATION
    assert len(TERMINAL_PUNCTUATION) == 159


def test_short_line_ratio():
    text = "\n".join([f"{LONG}."] + [f"Short line {i}." for i in range(3)])
    verdict = fineweb_quality(text)
    assert verdict.reason == REASON_SHORT_LINE_RATIO
    assert verdict.signals["fineweb_short_line_ratio"] == 0.75


def test_short_line_threshold_is_inclusive():
    line = "x" * 29 + "."  # exactly 30 characters counts as short
    text = "\n".join([line, line + "!", f"{LONG}."])
    assert fineweb_quality(text).signals["fineweb_short_line_ratio"] == pytest.approx(1 / 3)


def test_char_dup_ratio():
    text = "\n".join([f"{LONG}.", f"{LONG} too.", f"{LONG}."])
    verdict = fineweb_quality(text)
    assert verdict.reason == REASON_CHAR_DUP_RATIO
    expected = (len(LONG) + 1) / (len(text) - text.count("\n"))
    assert verdict.signals["fineweb_dup_line_char_ratio"] == pytest.approx(expected)


def test_duplicate_line_chars_counts_repeats_only():
    assert duplicate_line_chars(["ab", "cde", "ab", "ab"]) == 4
    assert non_blank_lines("a\n \n b\n") == ["a", " b"]


def test_list_ratio():
    lines = [f"{LONG}, part {i} of it." for i in range(3)]
    text = "\n\n\n\n\n".join(lines)  # 10 newlines, 42 words
    assert fineweb_quality(text).keep
    text = "\n" * 30 + "\n".join(lines)
    verdict = fineweb_quality(text)
    assert verdict.reason == REASON_LIST_RATIO
    assert verdict.signals["fineweb_newlines_per_word"] > 0.3


def test_none_disables_rules():
    config = FineWebQualityConfig(min_line_punct_ratio=None, max_short_line_ratio=None,
                                  max_dup_line_char_ratio=None, max_newlines_per_word=None)
    assert fineweb_quality("a\nb\na\n\n\n\n", config).keep


def test_config_is_validated():
    assert build(FineWebQualityConfig, {"max_short_line_ratio": None}).max_short_line_ratio is None
    with pytest.raises(ConfigError, match="min_line_punct_ratio"):
        build(FineWebQualityConfig, {"min_line_punct_ratio": 2})

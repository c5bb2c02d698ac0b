"""Gopher quality and repetition rules: one literal text per rule, asserting the exact reason."""

from __future__ import annotations

import dataclasses

import pytest

from webcurate.config import build
from webcurate.filters.gopher import (
    GopherQualityConfig,
    GopherRepetitionConfig,
    duplicate_ngram_chars,
    gopher_quality,
    gopher_repetition,
    top_ngram_chars,
)
from webcurate.text.words import split_words

# 72 non-symbol words, 7 of the 8 stop words: passes every rule. Every literal text below gets
# the same reason from datatrove 0.10.1 (checked with tests/parity/reference_filters.py).
GOOD = (
    "The harbour town woke slowly under a pale winter sky, and fishermen carried their nets "
    "to the boats that waited with patient engines. A baker opened early; the smell of bread "
    "drifted over wet cobbles toward children walking to school. Nobody seemed in a hurry, "
    "because ferries have never kept exact hours here. Later, tourists would arrive with "
    "cameras, maps and questions about lighthouses, but for now gulls owned every quiet roof."
)
NO_STOP_WORDS = (
    "Harbour towns wake slowly under pale winter skies; fishermen carry nets toward boats "
    "waiting beside patient engines. Bakers open early, bread smells drift over wet cobbles "
    "while children walk toward school. Nobody seems hurried, because ferries never keep exact "
    "hours here. Later tourists arrive carrying cameras, maps, questions about lighthouses, "
    "but for now gulls own every quiet roof along this coast. The"
)

QUALITY = GopherQualityConfig()
REPETITION = GopherRepetitionConfig()


def quality_reason(text: str, **overrides) -> str | None:
    return gopher_quality(text, dataclasses.replace(QUALITY, **overrides)).reason


def repetition_reason(text: str, **overrides) -> str | None:
    return gopher_repetition(text, dataclasses.replace(REPETITION, **overrides)).reason


def test_defaults_are_datatrove_0_10_1_defaults():
    # GopherQualityFilter.__init__ and GopherRepetitionFilter.__init__ in datatrove 0.10.1.
    assert dataclasses.asdict(QUALITY) == {
        "min_doc_words": 50, "max_doc_words": 100_000,
        "min_mean_word_length": 3, "max_mean_word_length": 10,
        "max_symbol_word_ratio": 0.1, "max_bullet_lines_frac": 0.9,
        "max_ellipsis_lines_frac": 0.3, "min_alpha_words_frac": 0.8, "min_stop_words": 2,
        "stop_words": ("the", "be", "to", "of", "and", "that", "have", "with"),
    }
    assert dataclasses.asdict(REPETITION) == {
        "max_dup_para_frac": 0.3, "max_dup_para_char_frac": 0.2,
        "max_dup_line_frac": 0.3, "max_dup_line_char_frac": 0.2,
        "max_top_2_gram_char_frac": 0.2, "max_top_3_gram_char_frac": 0.18,
        "max_top_4_gram_char_frac": 0.16,
        "max_dup_5_gram_char_frac": 0.15, "max_dup_6_gram_char_frac": 0.14,
        "max_dup_7_gram_char_frac": 0.13, "max_dup_8_gram_char_frac": 0.12,
        "max_dup_9_gram_char_frac": 0.11, "max_dup_10_gram_char_frac": 0.10,
    }


def test_configs_load_through_the_config_system_and_none_disables():
    config = build(GopherQualityConfig, {"min_doc_words": None, "stop_words": ["the"]})
    assert config.min_doc_words is None and config.stop_words == ("the",)
    assert quality_reason("the and", min_doc_words=None, min_mean_word_length=None) is None


def test_words_follow_spacy_english_rules():
    assert split_words("Don't stop (now), Mr. Smith: it's 10km, e-mail me at www.example.com.") == [
        "Do", "n't", "stop", "(", "now", ")", ",", "Mr.", "Smith", ":", "it", "'s", "10", "km",
        ",", "e", "-", "mail", "me", "at", "www.example.com", ".",
    ]
    assert split_words("wait...\n\n:) end.)") == ["wait", "...", ":)", "end", ".", ")"]


def test_good_text_is_kept_by_both_filters():
    quality = gopher_quality(GOOD, QUALITY)
    assert quality.keep and quality.reason is None
    assert quality.signals["gopher_word_count"] == 72
    assert quality.signals["gopher_stop_word_count"] == 7
    assert gopher_repetition(GOOD, REPETITION).keep


@pytest.mark.parametrize(
    ("text", "overrides", "reason"),
    [
        ("the cat and the dog", {}, "gopher_short_doc"),
        (GOOD, {"max_doc_words": 60}, "gopher_long_doc"),
        ("a " * 60 + "the and", {}, "gopher_below_avg_word_length"),
        ("extraordinary " * 60 + "the and", {}, "gopher_above_avg_word_length"),
        (GOOD + " #" * 10, {}, "gopher_hash_word_ratio"),
        (GOOD + " ..." * 10, {}, "gopher_ellipsis_word_ratio"),
        ("\n".join("- " + line for line in GOOD.split(". ")), {}, "gopher_bullet_lines"),
        ("\n".join(line + "…" for line in GOOD.split(". ")[:2]) + "\n" + GOOD, {},
         "gopher_ellipsis_lines"),
        (GOOD + " 123" * 25, {}, "gopher_alpha_words"),
        (NO_STOP_WORDS, {}, "gopher_stop_words"),
    ],
)
def test_quality_rule(text, overrides, reason):
    assert quality_reason(text, **overrides) == reason


def test_ellipsis_and_bullet_signals_count_lines():
    signals = gopher_quality("- a\n• b\nc...\nd…", QUALITY).signals
    assert signals["gopher_bullet_lines_frac"] == 0.5
    assert signals["gopher_ellipsis_lines_frac"] == 0.5


@pytest.mark.parametrize(
    ("text", "overrides", "reason"),
    [
        ("", {}, "gopher_empty_doc"),
        ("one two three\n\none two three\n\nfour five six", {}, "gopher_dup_para_frac"),
        (GOOD + "\n\nshort one\n\nshort two\n\nshort three\n\n" + GOOD, {},
         "gopher_dup_para_char_frac"),
        ("aa bb\ncc dd\naa bb\naa bb", {}, "gopher_dup_line_frac"),
        (GOOD + "\nline one\nline two\nline three\n" + GOOD, {}, "gopher_dup_line_char_frac"),
        ("the cat " * 20, {}, "gopher_top_2_gram"),
        ("red fox runs " * 20, {"max_top_2_gram_char_frac": None}, "gopher_top_3_gram"),
        ("big red fox runs " * 20, {"max_top_2_gram_char_frac": None,
                                    "max_top_3_gram_char_frac": None}, "gopher_top_4_gram"),
    ],
)
def test_repetition_rule(text, overrides, reason):
    assert repetition_reason(text, **overrides) == reason


@pytest.mark.parametrize("n", [5, 6, 7, 8, 9, 10])
def test_duplicated_n_gram_rule(n):
    words = [f"w{i}" for i in range(n)]
    text = " ".join(words * 3) + " " + GOOD
    no_top = {f"max_top_{k}_gram_char_frac": None for k in (2, 3, 4)}
    no_smaller = {f"max_dup_{k}_gram_char_frac": None for k in range(5, n)}
    assert repetition_reason(text, **no_top, **no_smaller, **{
        f"max_dup_{n}_gram_char_frac": 0.01}) == f"gopher_duplicated_{n}_n_grams"


def test_ngram_measures_match_datatrove_semantics():
    # top: most frequent space-joined n-gram; ties go to the first seen ("a b" before "b a").
    assert top_ngram_chars(["a", "b", "a", "b"], 2) == 3 * 2
    assert top_ngram_chars(["a"], 2) is None
    # duplicates: n-grams joined without spaces, the walk jumps n words past each repeat.
    assert duplicate_ngram_chars(["a", "b", "a", "b", "a", "b"], 2) == 4
    assert duplicate_ngram_chars(["ab", "c", "a", "bc"], 2) == 3  # "abc" twice
    assert duplicate_ngram_chars(["x", "y"], 5) == 0

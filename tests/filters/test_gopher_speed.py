"""Gopher repetition's numpy path for long texts gives exactly the pure-Python path's values.

``top_ngram_chars_by_size`` and ``duplicate_ngram_chars_by_size`` switch to integer n-gram ranks
and hashed candidate positions from ``VECTOR_MIN_WORDS`` words on; speed is measured by
``make bench-filter``, never here. These tests compare both paths on real Common Crawl
documents and on texts built to be hard for a hash of the words (equal joined strings from
different word splits, astral and lone-surrogate characters, empty words).
"""

from __future__ import annotations

import gzip
import json
import random

import pytest

from webcurate.filters import gopher
from webcurate.filters.gopher import (
    DUP_NGRAM_SIZES,
    TOP_NGRAM_SIZES,
    duplicate_ngram_chars_by_size,
    top_ngram_chars,
    top_ngram_chars_by_size,
)
from webcurate.text.words import split_words


def _pure_python(words: list[str]) -> tuple[dict, dict]:
    top = {n: top_ngram_chars(words, n) for n in TOP_NGRAM_SIZES}
    cut = "".join(words)
    ends = [0]
    for word in words:
        ends.append(ends[-1] + len(word))
    dup = {}
    for n in DUP_NGRAM_SIZES:
        grams = [cut[a:b] for a, b in zip(ends, ends[n:], strict=False)]
        dup[n] = gopher._walk_repeats(grams, n)
    return top, dup


def _vectorised(words: list[str]) -> tuple[dict, dict]:
    return (top_ngram_chars_by_size(words, TOP_NGRAM_SIZES),
            gopher._duplicate_ngram_chars_hashed(words, DUP_NGRAM_SIZES))


@pytest.fixture(scope="module")
def cc_words(shared_data) -> list[list[str]]:
    path = shared_data / "text" / "cc" / "CC-MAIN-2019-30-697docs.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as f:
        texts = [json.loads(line)["text"] for line in f]
    return [split_words(t) for t in texts if t]


def test_real_documents_same_values_on_both_paths(cc_words):
    long_ones = [w for w in cc_words if len(w) >= gopher.VECTOR_MIN_WORDS]
    assert len(long_ones) > 100
    repeated = 0
    for words in long_ones:
        top, dup = _pure_python(words)
        assert _vectorised(words) == (top, dup)
        repeated += any(dup.values())
    assert repeated > 10  # the documents exercise the repeat walk, not only the no-repeat exit


def test_ambiguous_joins_and_odd_characters_same_values():
    # "ab"+"c" and "a"+"bc" join to the same string: duplicate n-grams compare joined strings
    vocabulary = ["a", "b", "ab", "ba", "c", "abc", "bc", "", "é", "\U0001d518", "\ud800", "the"]
    rng = random.Random(7)
    for _ in range(150):
        words = [rng.choice(vocabulary) for _ in range(rng.randint(0, 500))]
        assert _vectorised(words) == _pure_python(words)
        assert duplicate_ngram_chars_by_size(words, (5,)) == {5: _pure_python(words)[1][5]}


def test_top_ngram_ties_go_to_the_first_seen():
    words = ["x", "y"] * 100 + ["p", "q"] * 100  # "x y" and "p q" both 100 times... plus joins
    top, _ = _pure_python(words)
    assert top_ngram_chars_by_size(words, TOP_NGRAM_SIZES) == top
    assert top[2] == 3 * 100


def test_short_texts_and_too_few_words():
    for words in ([], ["one"], ["a", "b"], ["a"] * 4):
        assert top_ngram_chars_by_size(words, TOP_NGRAM_SIZES) == _pure_python(words)[0]
    assert gopher._duplicate_ngram_chars_hashed(["a"] * 3, (5, 10)) == {5: 0, 10: 0}
    assert top_ngram_chars_by_size(["w"] * 3, (2, 4))[4] is None

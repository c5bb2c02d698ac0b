"""Length bounds: exact reasons at each bound, both word counts, re-decision from signals."""

from __future__ import annotations

import dataclasses
import gzip
import json

import pytest

from webcurate.filters.length import (
    REASON_TOO_FEW_CHARS,
    REASON_TOO_FEW_WORDS,
    REASON_TOO_MANY_CHARS,
    REASON_TOO_MANY_WORDS,
    SIGNALS,
    LengthFilterConfig,
    alnum_word_count,
    length_decision,
    length_filter,
)

DEFAULT = LengthFilterConfig()
FIFTY = " ".join(["word"] * 50)


def test_default_bounds_are_50_to_100000_words():
    assert length_filter(FIFTY).keep
    assert length_filter(" ".join(["word"] * 49)).reason == REASON_TOO_FEW_WORDS
    assert length_filter(" ".join(["w"] * 100_000)).keep
    assert length_filter(" ".join(["w"] * 100_001)).reason == REASON_TOO_MANY_WORDS
    assert length_filter("").reason == REASON_TOO_FEW_WORDS


def test_character_bounds_come_first():
    config = LengthFilterConfig(min_chars=300, max_chars=1000)
    verdict = length_filter(FIFTY, config)  # 249 characters
    assert verdict.reason == REASON_TOO_FEW_CHARS
    assert verdict.signals == {"length_chars": 249, "length_words": 50}
    assert set(verdict.signals) == {name for name, _ in SIGNALS}
    assert length_filter(FIFTY * 5, config).reason == REASON_TOO_MANY_CHARS
    assert length_filter(f"{FIFTY} {FIFTY}", config).keep


def test_disabled_bounds():
    off = LengthFilterConfig(min_words=None, max_words=None)
    assert length_filter("", off).keep


def test_word_counts():
    text = "Hello , world !\n-- 3 items\u00a0here ..."
    assert length_filter(text, dataclasses.replace(DEFAULT, min_words=0)).signals[
        "length_words"] == 9  # str.split() also splits at the no-break space
    assert alnum_word_count(text) == 4  # Hello, world, 3, "items\xa0here" (fastText splits ASCII)
    alnum = LengthFilterConfig(min_words=5, word_count="alnum")
    assert length_filter(text, alnum).reason == REASON_TOO_FEW_WORDS


def test_alnum_count_matches_fasttext_tokens(shared_data):
    fasttext = pytest.importorskip("fasttext")
    with gzip.open(shared_data / "text/cc/CC-MAIN-2019-30-697docs.jsonl.gz", "rt",
                   encoding="utf-8") as f:
        texts = [json.loads(line)["text"] for line in f]
    for text in texts:
        tokens = fasttext.FastText.tokenize(text)
        assert alnum_word_count(text) == sum(1 for t in tokens if t[0].isalnum())


def test_retune_from_signals():
    signals = length_filter(FIFTY).signals
    assert length_decision(signals, DEFAULT) is None
    assert length_decision(signals, dataclasses.replace(DEFAULT, min_words=51)) \
        == REASON_TOO_FEW_WORDS

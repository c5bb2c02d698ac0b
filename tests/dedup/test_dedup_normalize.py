"""Normalisation and word hashing: the vectorised batch path against per-document references."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
import regex

from webcurate.dedup.hashing import bytes_hash64, bytes_hash64_one, string_hashes64
from webcurate.dedup.normalize import normalize_text, split_words
from webcurate.dedup.settings import NormalizeSettings

CC_DOCS = "text/cc/CC-MAIN-2019-30-697docs.jsonl.gz"
DEFAULT = NormalizeSettings()


def reference_words(text: str, settings: NormalizeSettings) -> list[str]:
    """One document, token by token, written plainly: Arrow's lowercase (utf8proc, which
    differs from Python's str.lower for e.g. 'İ'), the regex module's Unicode classes."""
    words = []
    # With punctuation splitting the job splits at ASCII whitespace first (other spaces are
    # split as punctuation); without, at Unicode whitespace, which is Python's str.split().
    tokens = regex.split(r"[ \t\n\v\f\r]+", text) if settings.punctuation else text.split()
    for raw in tokens:
        if not raw:
            continue
        token = pc.utf8_lower(pa.array([raw]))[0].as_py() if settings.lowercase else raw
        if not settings.punctuation:
            words.append(token)
            continue
        words.extend(w for w in regex.split(r"[^\p{L}\p{N}\p{M}]+", token) if w)
    return words


@pytest.mark.parametrize("text, expected", [
    ("Hello, World!  It's 3.14 -- «quoted»", "hello world it s 3 14 quoted"),
    ("a\u00a0b\u3000c\td\ne", "a b c d e"),  # Unicode spaces split too
    ("snake_case&co", "snake case co"),
    ("नमस्ते दुनिया", "नमस्ते दुनिया"),  # combining vowel signs stay inside words
    ("", ""),
    (" ... !!! ", ""),
])
def test_default_normalisation(text, expected):
    assert normalize_text(text, DEFAULT) == expected


def test_options_digits_accents_case_and_punctuation():
    text = "Café CRÈME, 2024-05-17"
    assert normalize_text(text, NormalizeSettings(digits=True, accents=True)) == \
        "cafe creme 0000 00 00"
    assert normalize_text(text, NormalizeSettings(lowercase=False, punctuation=False)) == \
        "Café CRÈME, 2024-05-17"


def test_batch_words_equal_the_per_document_reference_on_real_multilingual_text(shared_data):
    with gzip.open(shared_data / CC_DOCS, "rt") as lines:
        texts = [json.loads(line)["text"] for line in lines][:400]
    for settings in (DEFAULT, NormalizeSettings(punctuation=False, lowercase=False)):
        batch = split_words(pa.array(texts), settings, with_strings=True)
        assert len(batch.offsets) == len(texts) + 1
        for i, text in enumerate(texts):
            assert batch.doc_words(i) == reference_words(text, settings), i
        expected = string_hashes64(pa.array(batch.words.to_pylist()))
        assert np.array_equal(batch.hashes, expected)


def test_null_and_empty_texts_have_no_words():
    batch = split_words(pa.array(["one two", None, "", "three"]), DEFAULT)
    assert batch.counts.tolist() == [2, 0, 0, 1]


def test_vectorised_string_hash_equals_the_loop_reference():
    rng = np.random.default_rng(7)
    alphabet = list("abcdefghé€😀 ")
    strings = ["", "a", "abcdefgh", "abcdefghi", *(
        "".join(rng.choice(alphabet, size=int(n))) for n in rng.integers(0, 40, 300))]
    data = [s.encode() for s in strings]
    offsets = np.concatenate([[0], np.cumsum([len(d) for d in data])]).astype(np.int64)
    hashes = bytes_hash64(np.frombuffer(b"".join(data), dtype=np.uint8), offsets)
    assert hashes.tolist() == [bytes_hash64_one(d) for d in data]
    assert len(set(hashes.tolist())) == len(set(strings))

"""Dedup per language (FineWeb-2): band and exact keys keyed by language, shingles over each
language's words. The adapter's Arrow batch function, on real documents."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from webcurate.dedup.settings import NormalizeSettings
from webcurate.dedup.signatures import SignatureSpec
from webcurate.dedup.spark.minhash import FEATURE_FIELDS, _features_batch


def _features(texts, languages, **spec):
    batch = pa.RecordBatch.from_arrays([pa.array(texts, pa.large_string()),
                                        pa.array(languages, pa.string())],
                                       names=["text", "language"])
    schema = pa.schema([pa.field("language", pa.string()), *FEATURE_FIELDS])
    out = _features_batch(batch, SignatureSpec(normalize=NormalizeSettings(), **spec), schema)
    return out.column("exact_key").to_pylist(), out.column("bands").to_pylist(), \
        out.column("shingles").to_pylist()


def test_the_same_text_in_two_languages_shares_no_key_only_when_per_language(cc_docs):
    text = next(d["text"] for d in cc_docs if d["language"] == "en" and len(d["text"]) > 2000)
    exact, bands, _ = _features([text, text, text], ["en", "en", "fr"], per_language=True)
    assert exact[0] == exact[1] != exact[2]
    assert bands[0] == bands[1] and not set(bands[0]) & set(bands[2])
    exact, bands, _ = _features([text, text], ["en", "fr"])  # default: across languages
    assert exact[0] == exact[1] and bands[0] == bands[1]


def test_chinese_and_thai_shingles_are_ngrams_of_their_segmenters_words(cc_docs, udhr):
    texts = [udhr["cmn_hans"], udhr["tha"],
             next(d["text"] for d in cc_docs if d["language"] == "en")]
    languages = ["zh", "th", "en"]
    _, _, plain = _features(texts, languages)
    _, bands, segmented = _features(texts, languages, language_words=True)
    # Whitespace / punctuation pieces of Chinese are whole clauses; its words give many more.
    assert segmented[0] > 4 * plain[0] and segmented[1] > 2 * plain[1]
    assert segmented[2] == plain[2]  # English: unchanged
    assert all(len(b) == 14 for b in bands) and np.unique([tuple(b) for b in bands],
                                                          axis=0).shape[0] == 3

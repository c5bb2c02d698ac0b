"""Recall and precision of MinHash-LSH at FineWeb's defaults on planted near-duplicates.

Real text (sentence runs from ../shared/data/text/reference), variants at known edit rates
(0.5% .. 8% of words: true Jaccard ~0.94 down to ~0.5). The pure core, clustered in one
process (reference_lsh.py), so the statistics come from hundreds of pairs in seconds; the
Spark job is held to the same clusters in test_dedup_job.py.
"""

from __future__ import annotations

import pytest
from planted_corpus import family_pairs, planted_corpus, sentence_pool
from reference_lsh import final_survivors

RATES = (0.005, 0.01, 0.015, 0.02, 0.03, 0.05, 0.08)


@pytest.fixture(scope="module")
def corpus(shared_data):
    docs = planted_corpus(sentence_pool(shared_data), families=120, singles=150, rates=RATES,
                          seed=11)
    return {d.doc_id: d.text for d in docs}, family_pairs(docs)


def recall(survivors: dict[str, str], pairs: dict, threshold: float = 0.8) -> float:
    similar = [pair for pair, j in pairs.items() if j >= threshold]
    found = sum(survivors[a] == survivors[b] for a, b in similar)
    return found / len(similar)


def removed_precision(survivors: dict[str, str], pairs: dict, threshold: float = 0.8) -> float:
    """Removed documents with a true Jaccard >= threshold to some document of their cluster
    (clusters are transitive, so the survivor itself may be further away)."""
    removed = [d for d, s in survivors.items() if s != d]
    good = sum(any(j >= threshold and d in pair and survivors[pair[0]] == survivors[pair[1]]
                   for pair, j in pairs.items()) for d in removed)
    return good / len(removed)


def test_recall_at_fineweb_defaults_and_precision_with_verification(corpus):
    docs, pairs = corpus
    similar = sum(j >= 0.8 for j in pairs.values())
    assert similar >= 300  # enough pairs for the rates to mean something
    plain = final_survivors(docs)
    verified = final_survivors(docs, verify_threshold=0.8)
    # The S-curve gives P(0.8) = 0.924 and more above; measured over all pairs >= 0.8:
    assert recall(plain, pairs) >= 0.9
    assert recall(verified, pairs) >= 0.9
    assert removed_precision(verified, pairs) >= 0.99
    # Without verification the 0.5-0.8 variants are caught too (the S-curve is not a step).
    assert removed_precision(plain, pairs) < removed_precision(verified, pairs)
    # Unrelated documents stay apart: a removed document and its survivor share a family.
    assert all(s == d or tuple(sorted((s, d))) in pairs for d, s in plain.items())

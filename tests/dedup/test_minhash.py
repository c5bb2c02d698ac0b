"""MinHash: parity with datasketch, shingling rules, and what the estimator promises."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from datasketch import MinHash
from oracles import signature_of
from planted_corpus import sentence_pool, shingle_strings, true_jaccard

from webcurate.dedup.hashing import bytes_hash64_one, sha1_hash32
from webcurate.dedup.minhash import (
    EMPTY_VALUE,
    estimated_jaccard,
    make_permutations,
    signatures,
)
from webcurate.dedup.normalize import normalize_text, split_words
from webcurate.dedup.settings import NormalizeSettings
from webcurate.dedup.shingles import (
    sha1_shingle_hashes,
    shingle_counts,
    shingle_hashes32,
    shingle_texts,
    words64_shingle_hash32,
)

DEFAULT = NormalizeSettings()


@pytest.fixture(scope="module")
def texts(shared_data) -> list[str]:
    """Twelve real ~150-word texts and a 3-word one (a short document has one shingle)."""
    pool = sentence_pool(shared_data)
    return [" ".join(pool[i * 10:(i + 1) * 10]) for i in range(12)] + ["Three short words."]


def datasketch_signature(shingles: list[str], perms, hashfunc) -> np.ndarray:
    sketch = MinHash(num_perm=perms.num_perm, scheme=perms.scheme,
                     permutations=(perms.a, perms.b), hashfunc=hashfunc)
    for shingle in shingles:
        sketch.update(shingle.encode("utf-8"))
    return np.asarray(sketch.hashvalues)


@pytest.mark.parametrize("scheme", ["affine32", "legacy"])
def test_sha1_signatures_equal_datasketch_minhash(texts, scheme):
    perms = make_permutations(112, seed=3, scheme=scheme)
    words = [normalize_text(t, DEFAULT).split() for t in texts]
    hashes, offsets = sha1_shingle_hashes(words, 5)
    ours = signatures(hashes, offsets, perms)
    for i, doc_words in enumerate(words):
        expected = datasketch_signature(shingle_texts(doc_words, 5), perms, sha1_hash32)
        assert ours[i].tolist() == expected.tolist()


def test_words64_signatures_equal_datasketch_given_the_same_shingle_hash(texts):
    """The fast path (vectorised word hashes, n-gram mixing, chunked MinHash) computes what
    datasketch computes when its hashfunc is our shingle hash written as a plain loop."""
    perms = make_permutations(112, seed=42)

    def words64(shingle: bytes) -> int:
        word_hashes = [bytes_hash64_one(w.encode()) for w in shingle.decode().split(" ")]
        return words64_shingle_hash32(word_hashes, 5)

    batch = split_words(pa.array(texts), DEFAULT)
    hashes, offsets = shingle_hashes32(batch.hashes, batch.offsets, 5)
    ours = signatures(hashes, offsets, perms, chunk_shingles=100)
    for i, text in enumerate(texts):
        shingles = shingle_texts(normalize_text(text, DEFAULT).split(), 5)
        assert ours[i].tolist() == datasketch_signature(shingles, perms, words64).tolist()


def test_shingle_counts_follow_the_short_document_rule():
    assert shingle_counts(np.array([0, 1, 4, 5, 9]), 5).tolist() == [0, 1, 1, 1, 5]
    assert shingle_texts(["a", "b"], 5) == ["a b"]
    assert shingle_texts([], 5) == []


def test_signature_does_not_depend_on_chunking_and_empty_documents_are_marked(texts):
    perms = make_permutations(64, seed=1)
    batch = split_words(pa.array(["", *texts, "   ", texts[0]]), DEFAULT)
    hashes, offsets = shingle_hashes32(batch.hashes, batch.offsets, 5)
    whole = signatures(hashes, offsets, perms, chunk_shingles=10**9)
    assert np.array_equal(whole, signatures(hashes, offsets, perms, chunk_shingles=1))
    assert (whole[0] == EMPTY_VALUE).all() and (whole[-2] == EMPTY_VALUE).all()
    assert np.array_equal(whole[1], whole[-1])  # the same text, the same signature


def test_permutations_are_seeded_and_affine_multipliers_odd():
    a = make_permutations(112, seed=5)
    assert np.array_equal(a.a, make_permutations(112, seed=5).a)
    assert not np.array_equal(a.a, make_permutations(112, seed=6).a)
    assert (a.a % 2 == 1).all()
    legacy = make_permutations(16, seed=5, scheme="legacy")
    assert legacy.a.dtype == np.uint64 and (legacy.a >= 1).all()


def test_estimate_tracks_the_true_jaccard_of_real_near_duplicates(shared_data):
    pool = sentence_pool(shared_data)
    base = " ".join(pool[1000:1030])
    words = base.split()
    perms = make_permutations(112, seed=42)
    for keep in (0.95, 0.85, 0.7, 0.5):
        other = " ".join(words[: int(len(words) * keep)]) + " " + " ".join(pool[2000:2003])
        truth = true_jaccard(shingle_strings(base), shingle_strings(other))
        batch = split_words(pa.array([base, other]), DEFAULT)
        hashes, offsets = shingle_hashes32(batch.hashes, batch.offsets, 5)
        sig_a = signature_of(hashes[offsets[0]:offsets[1]], perms)
        sig_b = signature_of(hashes[offsets[1]:offsets[2]], perms)
        # standard error sqrt(J(1-J)/112) <= 0.047: four of them is a generous bound
        assert abs(estimated_jaccard(sig_a, sig_b) - truth) < 0.19, keep

"""Everything dedup needs to know about a batch of documents, computed in one vectorised pass.

Per document: the exact-duplicate key (16-byte BLAKE2b of its normalised word sequence, so two
texts share it exactly when their normalised texts are equal), its number of shingles, its LSH
band keys (MinHash signature cut into bands, :mod:`.lsh`) and, for verification, its packed
shingle set (:mod:`.jaccard`). This is the body of the ``signatures`` stage; the Spark adapter
only feeds it Arrow batches.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from webcurate.dedup.hashing import digest128
from webcurate.dedup.jaccard import packed_sets
from webcurate.dedup.lsh import band_keys
from webcurate.dedup.minhash import Permutations, make_permutations, signatures
from webcurate.dedup.normalize import WordBatch, split_words
from webcurate.dedup.settings import NormalizeSettings
from webcurate.dedup.shingles import sha1_shingle_hashes, shingle_hashes32


@dataclass(frozen=True)
class SignatureSpec:
    """The settings the signature stage needs, as plain values (shipped to executors)."""

    normalize: NormalizeSettings
    ngram: int = 5
    num_perm: int = 112
    bands: int = 14
    rows: int = 8
    seed: int = 42
    scheme: str = "affine32"
    shingle_hash: str = "words64"
    with_bands: bool = True
    with_sets: bool = False
    per_language: bool = False  # band and exact keys keyed by the language column (FineWeb-2)
    language_words: bool = False  # texts of segmented languages split by their segmenter first


@dataclass(frozen=True)
class BatchFeatures:
    exact_keys: list[bytes]
    shingles: np.ndarray  # int32 per document
    band_keys: np.ndarray | None  # (documents, bands) int64
    shingle_sets: list[bytes] | None


@functools.lru_cache(maxsize=8)
def cached_permutations(num_perm: int, seed: int, scheme: str) -> Permutations:
    """Permutations are made once per executor process and settings."""
    return make_permutations(num_perm, seed, scheme)


def exact_keys(words: WordBatch) -> list[bytes]:
    """The exact-duplicate key of every document of the batch."""
    hashes, offsets = words.hashes, words.offsets
    return [digest128(hashes[offsets[i]:offsets[i + 1]].tobytes())
            for i in range(len(offsets) - 1)]


def shingle_hashes(words: WordBatch, spec: SignatureSpec) -> tuple[np.ndarray, np.ndarray]:
    """32-bit shingle hashes and their per-document offsets, with the configured hash."""
    if spec.shingle_hash == "sha1":
        docs = [words.doc_words(i) for i in range(len(words.offsets) - 1)]
        return sha1_shingle_hashes(docs, spec.ngram)
    return shingle_hashes32(words.hashes, words.offsets, spec.ngram)


def batch_features(texts: pa.Array, spec: SignatureSpec) -> BatchFeatures:
    """Exact keys, shingle counts, band keys and (optionally) shingle sets of a batch."""
    words = split_words(texts, spec.normalize, with_strings=spec.shingle_hash == "sha1")
    keys = exact_keys(words)
    if not (spec.with_bands or spec.with_sets):
        counts = np.zeros(len(keys), dtype=np.int32)
        return BatchFeatures(keys, counts, None, None)
    hashes, offsets = shingle_hashes(words, spec)
    bands = None
    if spec.with_bands:
        perms = cached_permutations(spec.num_perm, spec.seed, spec.scheme)
        bands = band_keys(signatures(hashes, offsets, perms), spec.bands, spec.rows)
    sets = packed_sets(hashes, offsets) if spec.with_sets else None
    return BatchFeatures(keys, np.diff(offsets).astype(np.int32), bands, sets)

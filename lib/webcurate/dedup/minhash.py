"""MinHash signatures of many documents at once (Broder 1997; Leskovec et al., MMDS 3.3).

Signature value k of a document is the minimum, over its shingle hashes h, of a random
permutation ``pi_k(h)``. Two schemes, both as datasketch defines them so that the same shingle
hashes and the same ``(a, b)`` give the same values as ``datasketch.MinHash``:

- ``affine32`` (datasketch >= 2.0): ``pi_k(h) = a_k * fmix32(h) + b_k mod 2^32`` with ``a_k``
  odd, a bijection on 32-bit values, computed in uint32 where the wrap-around *is* the modulo.
- ``legacy`` (datasketch < 2.0): ``pi_k(h) = ((a_k * h + b_k) mod 2^64 mod (2^61 - 1)) mod 2^32``
  in uint64 (the product wraps modulo 2^64 exactly as numpy does in datasketch).

The permutations are ours (``numpy.random.default_rng(seed)``), not datasketch's draws; tests
pass them to datasketch. The work is one ``(permutations x shingles)`` matrix per chunk of
documents and a segmented ``minimum.reduceat`` along the shingle axis, in chunks small enough
to stay in cache: no Python loop per shingle or per permutation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from webcurate.dedup.hashing import fmix32

MERSENNE61 = np.uint64((1 << 61) - 1)
LOW32 = np.uint64(0xFFFFFFFF)
EMPTY_VALUE = np.uint32(0xFFFFFFFF)
#: Shingles per chunk: 4096 x 112 permutations x 4 bytes = 1.8 MB, about an L2 cache.
CHUNK_SHINGLES = 4096


@dataclass(frozen=True)
class Permutations:
    """``a``, ``b`` of the ``num_perm`` permutations of one scheme."""

    scheme: str
    a: np.ndarray
    b: np.ndarray

    @property
    def num_perm(self) -> int:
        return len(self.a)


def make_permutations(num_perm: int, seed: int, scheme: str = "affine32") -> Permutations:
    """Deterministic permutations for ``seed``: the same on every machine and numpy >= 1.17."""
    rng = np.random.default_rng(seed)
    if scheme == "affine32":
        a = rng.integers(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
        b = rng.integers(0, 1 << 32, num_perm, dtype=np.uint64).astype(np.uint32)
        return Permutations(scheme, a, b)
    if scheme == "legacy":
        a = rng.integers(1, int(MERSENNE61), num_perm, dtype=np.uint64)
        b = rng.integers(0, int(MERSENNE61), num_perm, dtype=np.uint64)
        return Permutations(scheme, a, b)
    raise ValueError(f"unknown MinHash scheme {scheme!r}")


def _permuted(hashes: np.ndarray, perms: Permutations) -> np.ndarray:
    """``(num_perm, len(hashes))`` matrix of permuted values (uint32)."""
    if perms.scheme == "affine32":
        values = np.multiply.outer(perms.a, fmix32(hashes.astype(np.uint32)))
        values += perms.b[:, None]
        return values
    values = np.multiply.outer(perms.a, hashes.astype(np.uint64))
    values += perms.b[:, None]
    values %= MERSENNE61
    return (values & LOW32).astype(np.uint32)


def signatures(hashes: np.ndarray, offsets: np.ndarray, perms: Permutations,
               chunk_shingles: int = CHUNK_SHINGLES) -> np.ndarray:
    """``(documents, num_perm)`` uint32 signatures; a document without shingles gets all
    ``EMPTY_VALUE`` (callers leave such documents out of MinHash dedup)."""
    counts = np.diff(offsets)
    docs = len(counts)
    result = np.full((docs, perms.num_perm), EMPTY_VALUE, dtype=np.uint32)
    nonempty = np.flatnonzero(counts > 0)
    ends = offsets[nonempty + 1]
    first = 0
    while first < len(nonempty):
        start = offsets[nonempty[first]]
        last = max(first + 1, int(np.searchsorted(ends, start + chunk_shingles, side="right")))
        chosen = nonempty[first:last]
        matrix = _permuted(hashes[start:ends[last - 1]], perms)
        result[chosen] = np.minimum.reduceat(matrix, offsets[chosen] - start, axis=1).T
        first = last
    return result


def estimated_jaccard(sig_a: np.ndarray, sig_b: np.ndarray) -> float:
    """The fraction of equal signature values: an unbiased estimate of the Jaccard similarity."""
    return float(np.count_nonzero(sig_a == sig_b)) / len(sig_a)

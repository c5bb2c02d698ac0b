"""True Jaccard similarity of shingle sets, to verify MinHash candidate pairs.

MinHash-LSH candidates include false positives by design (the S-curve is not a step). With
``minhash.verify`` every candidate pair is kept only if ``|A & B| / |A | B|`` of the two
documents' sets of 32-bit shingle hashes reaches ``verify_threshold`` (as text-dedup's
``--verify`` and datatrove's optional check do). Sets travel as sorted, unique little-endian
uint32 bytes: 4 bytes per distinct shingle, intersected with numpy.
"""

from __future__ import annotations

import numpy as np

_SET_DTYPE = np.dtype("<u4")


def shingle_set(hashes: np.ndarray) -> np.ndarray:
    """The sorted distinct shingle hashes of one document."""
    return np.unique(np.asarray(hashes, dtype=np.uint32))


def pack_set(values: np.ndarray) -> bytes:
    return np.asarray(values, dtype=_SET_DTYPE).tobytes()


def unpack_set(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype=_SET_DTYPE)


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """``|a & b| / |a | b|`` of two sorted distinct arrays; two empty sets are identical (1.0)."""
    if len(a) == 0 and len(b) == 0:
        return 1.0
    common = np.intersect1d(a, b, assume_unique=True).size
    return common / (len(a) + len(b) - common)


def packed_jaccard(a: bytes | None, b: bytes | None) -> float | None:
    """:func:`jaccard` of two packed sets; None when either is missing."""
    if a is None or b is None:
        return None
    return jaccard(unpack_set(a), unpack_set(b))


def packed_sets(hashes: np.ndarray, offsets: np.ndarray) -> list[bytes]:
    """The packed shingle set of every document of a batch."""
    return [pack_set(shingle_set(hashes[offsets[i]:offsets[i + 1]]))
            for i in range(len(offsets) - 1)]

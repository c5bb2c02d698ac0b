"""Word n-gram shingles (Broder 1997, "On the resemblance and containment of documents").

A document of ``k >= n`` normalised words has the ``k - n + 1`` shingles ``words[i:i + n]``; a
shorter non-empty document has one shingle, all its words (as datatrove and text-dedup do, so
that short documents can still be near-duplicates); an empty one has none and takes no part in
MinHash dedup (exact dedup still sees it).

Two shingle hashes:

- ``words64`` (default): the n word hashes combined as the polynomial
  ``w_0 G^(n-1) + ... + w_(n-1)`` modulo 2^64 (G odd), then ``fmix64``; 0 stands in for the
  missing words of a short document; the 32-bit shingle hash is the top half. The word hashes
  are already uniform 64-bit values, so the polynomial only has to keep order (Karp-Rabin
  style); vectorised, it is n - 1 multiply-adds over the batch's word array.
- ``sha1``: datasketch's default ``sha1_hash32`` of the shingle's words joined by one space
  (UTF-8). One Python call per shingle: ~10x slower, for interoperability with signatures made
  by datasketch users.
"""

from __future__ import annotations

import numpy as np

from webcurate.dedup.hashing import GOLDEN64, fmix64, sha1_hash32

_HIGH_HALF = np.uint64(32)


def shingle_counts(word_counts: np.ndarray, n: int) -> np.ndarray:
    """Shingles per document: ``k - n + 1`` for ``k >= n``, 1 for ``0 < k < n``, 0 for none."""
    return np.where(word_counts >= n, word_counts - n + 1, np.minimum(word_counts, 1))


def _window_hashes(words: np.ndarray, n: int) -> np.ndarray:
    """``fmix64(w_i * G^(n-1) + ... + w_{i+n-1})`` at every position i of the word array,
    the words past its end read as 0."""
    padded = np.concatenate([words, np.zeros(n - 1, dtype=np.uint64)])
    state = padded[:len(words)].copy()
    for j in range(1, n):
        state *= GOLDEN64
        state += padded[j:j + len(words)]
    return fmix64(state)


def shingle_hashes64(word_hashes: np.ndarray, offsets: np.ndarray,
                     n: int) -> tuple[np.ndarray, np.ndarray]:
    """``(hashes, shingle_offsets)``: the 64-bit ``words64`` hash of every shingle, per document.

    A short document (``0 < k < n`` words) is hashed as its words followed by ``n - k`` zeros."""
    counts = np.diff(offsets)
    words = word_hashes.astype(np.uint64, copy=False)
    values = _window_hashes(words, n)
    doc_end = np.repeat(offsets[1:], counts)
    is_start = np.arange(len(words), dtype=np.int64) <= doc_end - n
    short = np.flatnonzero((counts > 0) & (counts < n))
    if len(short):
        padded = np.zeros((len(short), n), dtype=np.uint64)
        columns = np.arange(n)[None, :]
        inside = columns < counts[short][:, None]
        padded[inside] = words[(offsets[short][:, None] + columns)[inside]]
        values[offsets[short]] = _window_hashes(padded.ravel(), n)[::n]
        is_start[offsets[short]] = True
    per_doc = shingle_counts(counts, n)
    return values[is_start], np.concatenate([[0], np.cumsum(per_doc)]).astype(np.int64)


def shingle_hashes32(word_hashes: np.ndarray, offsets: np.ndarray,
                     n: int) -> tuple[np.ndarray, np.ndarray]:
    """The 32-bit ``words64`` shingle hashes (top half of the 64-bit ones)."""
    hashes, shingle_offsets = shingle_hashes64(word_hashes, offsets, n)
    return (hashes >> _HIGH_HALF).astype(np.uint32), shingle_offsets


def shingle_texts(words: list[str], n: int) -> list[str]:
    """The shingles of one document as strings (words joined by one space)."""
    if not words:
        return []
    if len(words) < n:
        return [" ".join(words)]
    return [" ".join(words[i:i + n]) for i in range(len(words) - n + 1)]


def sha1_shingle_hashes(docs_words: list[list[str]], n: int) -> tuple[np.ndarray, np.ndarray]:
    """``(hashes, shingle_offsets)`` with datasketch's ``sha1_hash32`` of each shingle's UTF-8."""
    values: list[int] = []
    counts = []
    for words in docs_words:
        shingles = shingle_texts(words, n)
        values.extend(sha1_hash32(s.encode("utf-8", "surrogatepass")) for s in shingles)
        counts.append(len(shingles))
    offsets = np.concatenate([[0], np.cumsum(counts, dtype=np.int64)]).astype(np.int64)
    return np.array(values, dtype=np.uint32), offsets


def words64_shingle_hash32(word_hashes: list[int], n: int) -> int:
    """Reference for one shingle, loop form: the ``words64`` hash of up to n word hashes."""
    state = 0
    for j in range(n):
        value = int(word_hashes[j]) if j < len(word_hashes) else 0
        state = (state * int(GOLDEN64) + value) % (1 << 64) if j else value
    return int(fmix64(np.array([state], dtype=np.uint64))[0] >> _HIGH_HALF)

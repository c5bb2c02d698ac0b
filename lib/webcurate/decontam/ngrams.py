"""Word n-grams as 64-bit hashes, vectorised over a whole Arrow batch of documents.

``ngram_hash(w_1 .. w_n) = fmix64(sum_k word_hash(w_k) * P^(n-k) mod 2^64)`` with
``word_hash`` = :func:`webcurate.dedup.hashing.bytes_hash64` of the word's UTF-8 and
``P`` = ``GOLDEN64`` (odd, so every power is invertible mod 2^64). Two different n-grams
differ in at least one word, whose hash enters the sum times a unit, so they collide with
probability ~2^-64: at 10^7 benchmark n-grams and 10^12 document n-grams, ~0.5 expected false
matches over the whole corpus. The function is fixed (no seeds, no Python ``hash``), so the
driver, every executor and a later run agree. Hashes travel as signed int64 (Spark's
``bigint``): the same 64 bits.

Computing the sum for every window of a batch takes ``n`` numpy passes over the batch's word
hashes (a Horner scheme), whatever the number of documents.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from webcurate.decontam.normalize import words
from webcurate.dedup.hashing import GOLDEN64, bytes_hash64, fmix64

DEFAULT_N = 13


def word_hashes(flat_words: list[bytes]) -> np.ndarray:
    """uint64 hash of every word (the words of many documents, concatenated): each distinct
    word is hashed once (Arrow's dictionary encoding), then spread back."""
    if not flat_words:
        return np.zeros(0, dtype=np.uint64)
    encoded = pc.dictionary_encode(pa.array(flat_words, pa.large_binary()))
    vocabulary = encoded.dictionary
    _, offsets_buffer, data_buffer = vocabulary.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype=np.int64)[
        vocabulary.offset:vocabulary.offset + len(vocabulary) + 1]
    data = (np.frombuffer(data_buffer, dtype=np.uint8) if data_buffer is not None
            else np.zeros(0, dtype=np.uint8))
    hashes = bytes_hash64(data[offsets[0]:offsets[-1]], offsets - offsets[0])
    return hashes[encoded.indices.to_numpy(zero_copy_only=False)]


def window_hashes(hashes: np.ndarray, n: int) -> np.ndarray:
    """uint64 n-gram hash of every window ``hashes[i:i + n]`` (``len - n + 1`` of them)."""
    count = len(hashes) - n + 1
    if count <= 0:
        return np.zeros(0, dtype=np.uint64)
    acc = np.zeros(count, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for k in range(n):
            acc = acc * GOLDEN64 + hashes[k:k + count]
        return fmix64(acc)


def batch_ngrams(word_lists: list[list[bytes]], n: int
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every n-gram of every document of a batch: ``(hashes int64, document index int64,
    position int32)``, position being the index of the n-gram's first word. A document with
    fewer than ``n`` words has none."""
    lengths = np.fromiter((len(w) for w in word_lists), dtype=np.int64, count=len(word_lists))
    flat = [w for ws in word_lists for w in ws]
    hashes = window_hashes(word_hashes(flat), n)
    if not len(hashes):
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0, dtype=np.int32)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    # A window at flat index i belongs to the document holding i if it ends inside it.
    doc = np.repeat(np.arange(len(word_lists), dtype=np.int64), lengths)[:len(hashes)]
    position = np.arange(len(hashes), dtype=np.int64) - starts[doc]
    inside = position + n <= lengths[doc]
    return (hashes[inside].view(np.int64), doc[inside], position[inside].astype(np.int32))


def ngram_hashes(word_list: list[bytes], n: int = DEFAULT_N) -> np.ndarray:
    """int64 hashes of one word list's n-grams, in order."""
    return window_hashes(word_hashes(word_list), n).view(np.int64)


def text_ngram_hashes(text: str, n: int = DEFAULT_N) -> np.ndarray:
    """int64 hashes of the n-grams of ``text`` (normalised by :func:`.normalize.words`)."""
    return ngram_hashes(words(text), n)

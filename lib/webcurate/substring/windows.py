"""Exact-substring dedup, the pure part: token windows, their hashes, spans and the cut.

Lee et al. 2022 ("Deduplicating Training Data Makes Language Models Better";
google-research/deduplicate-text-datasets) find every substring of at least ``k`` tokens that
occurs twice in the corpus with a suffix array, and strike *every* copy of it from the data;
RefinedWeb (Penedo et al. 2023, section 3.3) ran it with ``k = 50`` tokens. Here the suffix
array is replaced by hashing: a substring of ``>= k`` tokens occurs twice exactly when each of
its ``k``-token windows does, so

1. every window of ``k`` consecutive tokens gets a 64-bit hash (:func:`batch_windows`);
2. a window whose hash occurs twice anywhere (two documents, or twice in one) is *marked*
   (that is the Spark adapter's grouping);
3. per document, overlapping or touching marked windows merge into token spans
   (:func:`merge_windows`), and the characters of those spans are cut (:func:`cut_spans`).

The result is the suffix array's, **exact up to 64-bit hash collisions**: two different windows
share a hash with probability ~2^-64 per pair, so a corpus of ``W`` windows expects about
``W^2 / 2^65`` false marks (10^12 windows: ~0.03). A false mark cuts a 50-token span that
occurs once; nothing is missed (equal windows always hash equally).

**Tokens** are words: maximal runs of non-whitespace, each hashed by its UTF-8 bytes
(:func:`webcurate.dedup.hashing.string_hashes64`). Lee et al. and RefinedWeb count GPT-2
tokens; 50 words is ~65 GPT-2 tokens, so a span must be a little longer to be cut here.
**Window hash**: with token hashes ``h`` and an odd base ``B``, window ``i`` is
``fmix64(sum_k h[i+k] B^k mod 2^64)``, computed for a whole batch at once from prefix sums
(``B`` is invertible modulo 2^64, so ``(S[i+k] - S[i]) * B^-i`` is window ``i``'s sum).
**The cut** removes each span's characters from its first token's start to the next kept
token's start (its trailing whitespace goes with it; a span at the end also takes the
whitespace before it), so the words around a span are re-joined by the whitespace that preceded
the span, and nothing outside the spans changes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pyarrow as pa

from webcurate.dedup.hashing import GOLDEN64, fmix64, string_hashes64

TOKEN = re.compile(r"\S+")
BASE = GOLDEN64
BASE_INVERSE = np.uint64(pow(int(BASE), -1, 1 << 64))


def token_offsets(text: str) -> tuple[list[str], np.ndarray]:
    """``(tokens, offsets)``: the words of ``text`` and an ``(n, 2)`` array of their
    ``[start, end)`` character offsets."""
    tokens, bounds = [], []
    for match in TOKEN.finditer(text):
        tokens.append(match.group())
        bounds.append(match.span())
    return tokens, np.array(bounds, dtype=np.int64).reshape(-1, 2)


def _powers(base: np.uint64, count: int) -> np.ndarray:
    powers = np.full(count, base, dtype=np.uint64)
    if count:
        powers[0] = 1
    with np.errstate(over="ignore"):
        return np.cumprod(powers, dtype=np.uint64)


def window_hashes(token_hashes: np.ndarray, doc_lengths: Sequence[int], width: int
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(doc index, window position, hash)`` of every ``width``-token window of every document,
    given the concatenated token hashes and each document's token count. Windows never cross
    documents; a document shorter than ``width`` has none."""
    lengths = np.asarray(doc_lengths, dtype=np.int64)
    total = int(lengths.sum())
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    windows = np.maximum(lengths - width + 1, 0)
    if not windows.sum():
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.astype(np.int32), empty
    with np.errstate(over="ignore"):
        prefix = np.zeros(total + 1, dtype=np.uint64)
        np.cumsum(token_hashes.astype(np.uint64) * _powers(BASE, total), out=prefix[1:])
        doc_index = np.repeat(np.arange(len(lengths), dtype=np.int64), windows)
        first = np.repeat(starts - np.concatenate([[0], np.cumsum(windows)[:-1]]), windows)
        position = np.arange(int(windows.sum()), dtype=np.int64)
        global_start = position + first
        sums = (prefix[global_start + width] - prefix[global_start]) * \
            _powers(BASE_INVERSE, total)[global_start]
        hashes = fmix64(sums ^ np.uint64(width))
    return doc_index, (global_start - starts[doc_index]).astype(np.int32), hashes.view(np.int64)


def batch_windows(texts: Sequence[str | None], width: int
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`window_hashes` of a batch of texts (``None`` counts as empty)."""
    words: list[str] = []
    lengths = []
    for text in texts:
        found = TOKEN.findall(text or "")
        words.extend(found)
        lengths.append(len(found))
    token_hashes = string_hashes64(pa.array(words, pa.string()))
    return window_hashes(token_hashes, lengths, width)


def merge_windows(positions: Sequence[int], width: int) -> list[tuple[int, int]]:
    """Marked window starts -> sorted, disjoint token spans ``[first, end)``: windows that
    overlap or touch are merged."""
    spans: list[list[int]] = []
    for position in sorted(set(int(p) for p in positions)):
        if spans and position <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], position + width)
        else:
            spans.append([position, position + width])
    return [(first, end) for first, end in spans]


def cut_spans(text: str, spans: Sequence[tuple[int, int]]) -> tuple[str, list[tuple[int, int]],
                                                                        int, int]:
    """``(new text, character ranges cut, tokens cut, tokens left)`` of ``text`` without the
    token spans ``[first, end)`` (see the module docstring for where a cut starts and ends)."""
    _, offsets = token_offsets(text)
    count = len(offsets)
    ranges: list[tuple[int, int]] = []
    cut_tokens = 0
    for first, span_end in spans:
        end = min(span_end, count)
        if first >= end:
            continue
        cut_tokens += end - first
        start = int(offsets[first, 0])
        stop = int(offsets[end, 0]) if end < count else len(text)
        if end == count:  # a span at the end takes the whitespace before it
            start = int(offsets[first - 1, 1]) if first > 0 else 0
        if ranges and start <= ranges[-1][1]:
            ranges[-1] = (ranges[-1][0], max(stop, ranges[-1][1]))
        else:
            ranges.append((start, stop))
    pieces, previous = [], 0
    for start, stop in ranges:
        pieces.append(text[previous:start])
        previous = stop
    pieces.append(text[previous:])
    return "".join(pieces), ranges, cut_tokens, count - cut_tokens


def cut_marked(text: str, positions: Sequence[int], width: int) -> dict:
    """A document's text without its marked windows: the rewrite one document gets."""
    spans = merge_windows(positions, width)
    new_text, ranges, cut_tokens, left = cut_spans(text, spans)
    return {"text": new_text, "spans": len(ranges), "chars_removed": len(text) - len(new_text),
            "tokens_removed": cut_tokens, "tokens_left": left}

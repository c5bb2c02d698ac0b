"""Gopher quality and repetition rules (MassiveText), as pure functions returning a Verdict.

Paper: Rae et al. 2021, "Scaling Language Models: Methods, Analysis & Insights from Training
Gopher", Appendix A (quality filters; Table A1 for the repetition thresholds). Reference
implementation: datatrove 0.10.1, ``GopherQualityFilter`` and ``GopherRepetitionFilter``: the
defaults are its defaults, the rules run in its order and the first failing one is the reason.
Words come from ``webcurate.text.words``, which restates the spaCy English tokenizer datatrove
uses (for every language, by default).

Quality rules, in order; reason (datatrove's reason):
    fewer than 50 non-symbol words          gopher_short_doc (same)
    more than 100,000 non-symbol words      gopher_long_doc (same)
    mean non-symbol word length < 3 chars   gopher_below_avg_word_length
                                            (gopher_below_avg_threshold)
    mean non-symbol word length > 10 chars  gopher_above_avg_word_length
                                            (gopher_above_avg_threshold)
    "#" per word > 0.1                      gopher_hash_word_ratio (gopher_too_many_hashes)
    ("..." + "…") per word > 0.1            gopher_ellipsis_word_ratio (gopher_too_many_ellipsis)
    > 90 % of lines start with "•" or "-"   gopher_bullet_lines (gopher_too_many_bullets)
    > 30 % of lines end with "..." or "…"   gopher_ellipsis_lines (gopher_too_many_end_ellipsis)
    < 80 % of words hold a letter           gopher_alpha_words (gopher_below_alpha_threshold)
    < 2 distinct stop words present         gopher_stop_words (gopher_enough_stop_words)
A non-symbol word has a character outside datatrove's punctuation set; the per-word ratios, the
letter fraction and the stop words count all words. Stop words match case-sensitively ("The"
is not "the"), as in datatrove. Lines are ``str.splitlines()``.

Repetition rules, in order (Table A1); reason (datatrove's reason):
    empty text                              gopher_empty_doc (empty)
    duplicate paragraphs / paragraphs > 0.3 gopher_dup_para_frac (dup_para_frac)
    duplicate paragraph chars > 0.2         gopher_dup_para_char_frac (dup_para_char_frac)
    duplicate lines / lines > 0.3           gopher_dup_line_frac (dup_line_frac)
    duplicate line chars > 0.2              gopher_dup_line_char_frac (dup_line_char_frac)
    top n-gram chars > 0.20, 0.18, 0.16     gopher_top_{n}_gram (top_{n}_gram), n = 2, 3, 4
    duplicate n-gram chars > 0.15 ... 0.10  gopher_duplicated_{n}_n_grams (duplicated_{n}_n_grams),
                                            n = 5 ... 10, threshold 0.01 lower per step
Paragraphs split the stripped text at two or more newlines, lines the unstripped text at one or
more; every char fraction divides by the length of the whole text. Top n-grams join words with
spaces, duplicate n-grams without (both as datatrove does).

Deliberately different from datatrove, or left out:
- datatrove's free lists of n-gram sizes are fixed to the paper's (2-4 top, 5-10 duplicate),
  one threshold field each;
- ``None`` disables a rule; datatrove also disables a rule whose threshold is ``0``;
- a text without words or lines gets ``None`` ratios (the rule passes) where datatrove raises
  ZeroDivisionError (only reachable with ``min_doc_words`` disabled);
- every signal is measured even after a rule has failed, so thresholds can be re-applied later.

Parity (``tests/parity/parity.py``: 697 Common Crawl documents in 55 languages plus 181 pages of
extracted text, all with the English settings): keep decisions and reasons agree on 878/878
documents for both filters. The word splitter differs from spaCy on a few rare strings (see
``webcurate.text.words``); none changed a decision there.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from itertools import accumulate, compress, count
from operator import itemgetter

import numpy as np

from webcurate.config import option
from webcurate.filters.base import Signals, Verdict
from webcurate.text.words import PUNCTUATION, split_words

STOP_WORDS = ("the", "be", "to", "of", "and", "that", "have", "with")
_PARAGRAPH_BREAK = re.compile(r"\n{2,}")
_LINE_BREAKS = re.compile(r"\n+")
TOP_NGRAM_SIZES = (2, 3, 4)
DUP_NGRAM_SIZES = (5, 6, 7, 8, 9, 10)
REPETITION_SIGNALS = (
    "gopher_dup_para_frac", "gopher_dup_para_char_frac", "gopher_dup_line_frac",
    "gopher_dup_line_char_frac", *(f"gopher_top_{n}_gram_char_frac" for n in TOP_NGRAM_SIZES),
    *(f"gopher_dup_{n}_gram_char_frac" for n in DUP_NGRAM_SIZES))


@dataclass(frozen=True)
class GopherQualityConfig:
    """Gopher quality thresholds (datatrove 0.10.1 defaults); ``None`` disables a rule."""

    min_doc_words: int | None = option(50, help="fewest non-symbol words", min=0)
    max_doc_words: int | None = option(100_000, help="most non-symbol words", min=0)
    min_mean_word_length: float | None = option(3, help="shortest mean word length, chars", min=0)
    max_mean_word_length: float | None = option(10, help="longest mean word length, chars", min=0)
    max_symbol_word_ratio: float | None = option(
        0.1, help="most '#' (and, separately, ellipses) per word", min=0)
    max_bullet_lines_frac: float | None = option(
        0.9, help="largest fraction of lines starting with a bullet", min=0, max=1)
    max_ellipsis_lines_frac: float | None = option(
        0.3, help="largest fraction of lines ending with an ellipsis", min=0, max=1)
    min_alpha_words_frac: float | None = option(
        0.8, help="smallest fraction of words holding a letter", min=0, max=1)
    min_stop_words: int | None = option(2, help="fewest distinct stop words present", min=0)
    stop_words: tuple[str, ...] = option(STOP_WORDS, help="stop words, matched case-sensitively")


@dataclass(frozen=True)
class GopherRepetitionConfig:
    """Gopher repetition thresholds (Table A1, datatrove 0.10.1 defaults); ``None`` disables."""

    max_dup_para_frac: float | None = option(0.30, help="duplicate paragraphs / paragraphs", min=0)
    max_dup_para_char_frac: float | None = option(
        0.20, help="chars in duplicate paragraphs / text chars", min=0)
    max_dup_line_frac: float | None = option(0.30, help="duplicate lines / lines", min=0)
    max_dup_line_char_frac: float | None = option(
        0.20, help="chars in duplicate lines / text chars", min=0)
    max_top_2_gram_char_frac: float | None = option(0.20, help="top 2-gram chars / text chars")
    max_top_3_gram_char_frac: float | None = option(0.18, help="top 3-gram chars / text chars")
    max_top_4_gram_char_frac: float | None = option(0.16, help="top 4-gram chars / text chars")
    max_dup_5_gram_char_frac: float | None = option(
        0.15, help="duplicate 5-gram chars / text chars")
    max_dup_6_gram_char_frac: float | None = option(
        0.14, help="duplicate 6-gram chars / text chars")
    max_dup_7_gram_char_frac: float | None = option(
        0.13, help="duplicate 7-gram chars / text chars")
    max_dup_8_gram_char_frac: float | None = option(
        0.12, help="duplicate 8-gram chars / text chars")
    max_dup_9_gram_char_frac: float | None = option(
        0.11, help="duplicate 9-gram chars / text chars")
    max_dup_10_gram_char_frac: float | None = option(
        0.10, help="duplicate 10-gram chars / text chars")


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def quality_signals(text: str, stop_words: tuple[str, ...] = STOP_WORDS,
                    words: list[str] | None = None) -> Signals:
    """Every value the quality rules compare, measured on ``text`` (``words``: its words)."""
    words = split_words(text) if words is None else words
    n_words = len(words)
    lengths = [len(w) for w in words if not PUNCTUATION.issuperset(w)]
    lines = text.splitlines()
    bullets = sum(s.lstrip().startswith(("•", "-")) for s in lines)
    ellipses = sum(s.rstrip().endswith(("...", "…")) for s in lines)
    alpha = sum(1 for w in words if w.isalpha() or any(map(str.isalpha, w)))
    return {
        "gopher_word_count": len(lengths),
        "gopher_mean_word_length": _ratio(sum(lengths), len(lengths)),
        "gopher_hash_word_ratio": _ratio(text.count("#"), n_words),
        "gopher_ellipsis_word_ratio": _ratio(text.count("...") + text.count("…"), n_words),
        "gopher_bullet_lines_frac": _ratio(bullets, len(lines)),
        "gopher_ellipsis_lines_frac": _ratio(ellipses, len(lines)),
        "gopher_alpha_words_frac": _ratio(alpha, n_words),
        "gopher_stop_word_count": len(set(stop_words).intersection(words)),
    }


def _above(value: float | None, limit: float | None) -> bool:
    return limit is not None and value is not None and value > limit


def _below(value: float | None, limit: float | None) -> bool:
    return limit is not None and value is not None and value < limit


def gopher_quality_decision(signals: Signals, config: GopherQualityConfig) -> str | None:
    """The first failing quality rule for measured ``signals``, in datatrove's order, or None."""
    s, c = signals, config
    checks = (
        (_below(s["gopher_word_count"], c.min_doc_words), "gopher_short_doc"),
        (_above(s["gopher_word_count"], c.max_doc_words), "gopher_long_doc"),
        (_below(s["gopher_mean_word_length"], c.min_mean_word_length),
         "gopher_below_avg_word_length"),
        (_above(s["gopher_mean_word_length"], c.max_mean_word_length),
         "gopher_above_avg_word_length"),
        (_above(s["gopher_hash_word_ratio"], c.max_symbol_word_ratio), "gopher_hash_word_ratio"),
        (_above(s["gopher_ellipsis_word_ratio"], c.max_symbol_word_ratio),
         "gopher_ellipsis_word_ratio"),
        (_above(s["gopher_bullet_lines_frac"], c.max_bullet_lines_frac), "gopher_bullet_lines"),
        (_above(s["gopher_ellipsis_lines_frac"], c.max_ellipsis_lines_frac),
         "gopher_ellipsis_lines"),
        (_below(s["gopher_alpha_words_frac"], c.min_alpha_words_frac), "gopher_alpha_words"),
        (_below(s["gopher_stop_word_count"], c.min_stop_words), "gopher_stop_words"),
    )
    return _first_failure(checks)


def gopher_quality(text: str, config: GopherQualityConfig,
                   words: list[str] | None = None) -> Verdict:
    """Gopher quality verdict: the first failing rule, in datatrove's order, and all signals.

    ``words``: ``split_words(text)`` if the caller already has it (a chain splits once).
    """
    signals = quality_signals(text, config.stop_words, words)
    return Verdict.decided(gopher_quality_decision(signals, config), signals)


def _first_failure(checks) -> str | None:
    return next((reason for failed, reason in checks if failed), None)


def duplicates(parts: list[str]) -> tuple[int, int]:
    """(number of repeats, chars in repeats): every occurrence after an element's first."""
    seen: set[str] = set()
    count = chars = 0
    for part in parts:
        if part in seen:
            count += 1
            chars += len(part)
        else:
            seen.add(part)
    return count, chars


def top_ngram_chars(words: list[str], n: int) -> int | None:
    """Chars of the most frequent space-joined n-gram times its count (first seen wins ties)."""
    grams = Counter(zip(*(words[i:] for i in range(n)), strict=False))
    if not grams:
        return None
    gram, count = max(grams.items(), key=itemgetter(1))
    return (sum(map(len, gram)) + n - 1) * count


def top_ngram_chars_by_size(words: list[str], sizes: tuple[int, ...]) -> dict[int, int | None]:
    """``top_ngram_chars`` for several n at once, the same values.

    Long texts (:data:`VECTOR_MIN_WORDS` words or more) count n-grams as integers in numpy:
    each word gets the position of its first occurrence as id (equal words, equal ids), an
    n-gram's id is the rank of (its (n-1)-gram prefix's rank, its last word's id), so n-grams
    compare exactly as word tuples do. The top count is the largest; among the n-grams that
    reach it, the one seen first wins, as ``Counter.most_common`` picks it.
    """
    if len(words) < VECTOR_MIN_WORDS:
        return {n: top_ngram_chars(words, n) for n in sizes}
    n_words = len(words)
    ids = np.fromiter(map({}.setdefault, words, count()), np.int64, n_words)
    ends = _word_ends(words)
    chars_by_size: dict[int, int | None] = {}
    keys = ids
    for n in range(2, max(sizes) + 1):
        keys = keys[:-1] * n_words + ids[n - 1:]  # ranks and ids < n_words: no overflow
        _, first, ranks, counts = np.unique(keys, return_index=True, return_inverse=True,
                                            return_counts=True)
        if n in sizes:
            top = counts.max()
            at = int(first[counts == top].min())
            chars_by_size[n] = (int(ends[at + n] - ends[at]) + n - 1) * int(top)
        keys = ranks.reshape(-1).astype(np.int64, copy=False)
    return {n: chars_by_size.get(n) for n in sizes}


def duplicate_ngram_chars(words: list[str], n: int) -> int:
    """Chars in repeated n-grams (joined without spaces), skipping past each repeat found."""
    return duplicate_ngram_chars_by_size(words, (n,))[n]


def duplicate_ngram_chars_by_size(words: list[str], sizes: tuple[int, ...]) -> dict[int, int]:
    """``duplicate_ngram_chars`` for several n at once, joining the words only once.

    Walks the n-grams left to right, remembering each one it visits; an n-gram seen before
    counts its chars and jumps the walk n words ahead. n-grams that occur once never count and
    are never looked up again, so only the positions of repeated n-grams are walked here.
    Long texts find those positions first with a polynomial hash of each n-gram's characters
    (numpy, mod 2**64): equal strings have equal hashes, so every repeated n-gram is among the
    positions whose hash repeats, and only those are cut out as strings and counted exactly (a
    hash collision adds a candidate, never a count).
    """
    if len(words) >= VECTOR_MIN_WORDS:
        return _duplicate_ngram_chars_hashed(words, sizes)
    ends = list(accumulate(map(len, words), initial=0))
    cut = "".join(words).__getitem__
    chars_by_size = {}
    for n in sizes:
        grams = list(map(cut, map(slice, ends, ends[n:])))
        chars_by_size[n] = _walk_repeats(grams, n)
    return chars_by_size


def _walk_repeats(grams: list[str], n: int) -> int:
    counts = Counter(grams)
    if len(counts) == len(grams):
        return 0
    repeated = set(compress(counts.keys(), map((1).__lt__, counts.values())))
    seen: set[str] = set()
    chars = resume = 0
    for idx in compress(range(len(grams)), map(repeated.__contains__, grams)):
        if idx < resume:
            continue
        gram = grams[idx]
        if gram in seen:
            chars += len(gram)
            resume = idx + n
        else:
            seen.add(gram)
    return chars


#: From this many words on, the n-gram counts run in numpy (below it, the fixed cost of the
#: numpy calls is more than the pure-Python counting; measured on the parity documents).
VECTOR_MIN_WORDS = 160
_HASH_BASE = 0x9E3779B97F4A7C15  # odd, so invertible mod 2**64
_POWERS: dict[str, np.ndarray] = {"up": np.ones(1, np.uint64), "down": np.ones(1, np.uint64)}


def _word_ends(words: list[str]) -> np.ndarray:
    ends = np.zeros(len(words) + 1, np.int64)
    np.cumsum(np.fromiter(map(len, words), np.int64, len(words)), out=ends[1:])
    return ends


def _hash_powers(size: int) -> tuple[np.ndarray, np.ndarray]:
    """base**i and base**-i mod 2**64 for i < size (grown and kept per process)."""
    if len(_POWERS["up"]) < size:
        size = max(size, 2 * len(_POWERS["up"]), 4096)
        bases = np.full(size, _HASH_BASE, np.uint64)
        inverses = np.full(size, pow(_HASH_BASE, -1, 1 << 64), np.uint64)
        bases[0] = inverses[0] = 1
        # uint64 arithmetic wraps around: every product here is mod 2**64
        _POWERS["up"] = np.cumprod(bases, dtype=np.uint64)
        _POWERS["down"] = np.cumprod(inverses, dtype=np.uint64)
    return _POWERS["up"], _POWERS["down"]


def _duplicate_ngram_chars_hashed(words: list[str], sizes: tuple[int, ...]) -> dict[int, int]:
    joined = "".join(words)
    ends = _word_ends(words)
    codes = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), np.uint32)
    powers, inverse_powers = _hash_powers(len(codes) + 1)
    prefix = np.zeros(len(codes) + 1, np.uint64)
    np.cumsum((codes.astype(np.uint64) + np.uint64(1)) * powers[:len(codes)], out=prefix[1:])
    cut = joined.__getitem__
    chars_by_size = {}
    for n in sizes:
        if len(words) < n:
            chars_by_size[n] = 0
            continue
        starts, stops = ends[:-n], ends[n:]
        hashes = ((prefix[stops] - prefix[starts]) * inverse_powers[starts]
                  + (stops - starts).astype(np.uint64))
        order = np.argsort(hashes, kind="stable")
        same = hashes[order[1:]] == hashes[order[:-1]]
        if not same.any():
            chars_by_size[n] = 0
            continue
        shared = np.zeros(len(order), bool)
        shared[1:] |= same
        shared[:-1] |= same
        positions = np.sort(order[shared])
        grams = list(map(cut, map(slice, ends[positions].tolist(),
                                  ends[positions + n].tolist())))
        counts = Counter(grams)
        seen: set[str] = set()
        chars = resume = 0
        for idx, gram in zip(positions.tolist(), grams, strict=True):
            if idx < resume or counts[gram] < 2:
                continue
            if gram in seen:
                chars += len(gram)
                resume = idx + n
            else:
                seen.add(gram)
        chars_by_size[n] = chars
    return chars_by_size


def repetition_signals(text: str, words: list[str] | None = None) -> Signals:
    """Every value the repetition rules compare, measured on ``text`` (not empty)."""
    n_chars = len(text)
    paragraphs = _PARAGRAPH_BREAK.split(text.strip())
    lines = _LINE_BREAKS.split(text)
    dup_paras, dup_para_chars = duplicates(paragraphs)
    dup_lines, dup_line_chars = duplicates(lines)
    signals: Signals = {
        "gopher_dup_para_frac": dup_paras / len(paragraphs),
        "gopher_dup_para_char_frac": dup_para_chars / n_chars,
        "gopher_dup_line_frac": dup_lines / len(lines),
        "gopher_dup_line_char_frac": dup_line_chars / n_chars,
    }
    words = split_words(text) if words is None else words
    for n, chars in top_ngram_chars_by_size(words, TOP_NGRAM_SIZES).items():
        signals[f"gopher_top_{n}_gram_char_frac"] = None if chars is None else chars / n_chars
    for n, chars in duplicate_ngram_chars_by_size(words, DUP_NGRAM_SIZES).items():
        signals[f"gopher_dup_{n}_gram_char_frac"] = chars / n_chars
    return signals


def gopher_repetition_decision(signals: Signals, config: GopherRepetitionConfig) -> str | None:
    """The first failing repetition rule for measured ``signals``, in datatrove's order."""
    s, c = signals, config
    if s.get("gopher_dup_para_frac") is None:  # only an empty text has no paragraph
        return "gopher_empty_doc"
    checks = [
        (_above(s["gopher_dup_para_frac"], c.max_dup_para_frac), "gopher_dup_para_frac"),
        (_above(s["gopher_dup_para_char_frac"], c.max_dup_para_char_frac),
         "gopher_dup_para_char_frac"),
        (_above(s["gopher_dup_line_frac"], c.max_dup_line_frac), "gopher_dup_line_frac"),
        (_above(s["gopher_dup_line_char_frac"], c.max_dup_line_char_frac),
         "gopher_dup_line_char_frac"),
    ]
    for n in TOP_NGRAM_SIZES:
        limit = getattr(c, f"max_top_{n}_gram_char_frac")
        checks.append((_above(s[f"gopher_top_{n}_gram_char_frac"], limit), f"gopher_top_{n}_gram"))
    for n in DUP_NGRAM_SIZES:
        limit = getattr(c, f"max_dup_{n}_gram_char_frac")
        checks.append((_above(s[f"gopher_dup_{n}_gram_char_frac"], limit),
                       f"gopher_duplicated_{n}_n_grams"))
    return _first_failure(checks)


def gopher_repetition(text: str, config: GopherRepetitionConfig,
                      words: list[str] | None = None) -> Verdict:
    """Gopher repetition verdict: the first failing rule, in datatrove's order, and all signals.

    ``words``: ``split_words(text)`` if the caller already has it (a chain splits once). An
    empty text has every signal ``None`` and is rejected as ``gopher_empty_doc``.
    """
    signals = repetition_signals(text, words) if text else dict.fromkeys(REPETITION_SIGNALS)
    return Verdict.decided(gopher_repetition_decision(signals, config), signals)

"""Text normalisation and word splitting, vectorised over an Arrow batch of documents.

A document's *normalised words* are the pieces of its text between Unicode whitespace, each
lowercased (``lowercase``), stripped of diacritics (``accents``: NFD, then non-spacing marks
removed, as CCNet's ``strip_accents``), with decimal digits replaced by ``0`` (``digits``, as
CCNet), and split again at runs of anything that is not a letter, digit or mark
(``punctuation``, which is how datatrove's and text-dedup's normalisers treat punctuation). The
normalised text is those words joined by one space.

Every step works on a token independently of its neighbours, so the batch is processed in
Arrow's C++ kernels as: split at whitespace, dictionary-encode the tokens, normalise and hash
only the *distinct* tokens (a 3 KB document has ~500 tokens but a batch of thousands of
documents has a vocabulary of tens of thousands), then gather the word hashes
(:func:`webcurate.dedup.hashing.bytes_hash64`) back in token order with numpy. No Python
loop runs per token or per document.

``style: datatrove`` is ``simplify_text`` of datatrove 0.10.1 (the version this project's parity
checks pin) with the ``TextNormConfig`` its ``MinhashConfig`` applies by default
(``datatrove/utils/text.py``; FineWeb's MinHash, Penedo et al. 2024), in its order: lowercase;
each number (decimal digits, with at most one decimal part after ``.``, ``,`` or an Arabic
separator) -> ``0`` (``digits``); every character of datatrove's ``PUNCTUATION`` set -> a space
(``punctuation``: ``don't`` -> ``don t``, but ``1,000`` is one number first); whitespace runs ->
one space; NFD with non-spacing marks dropped, nothing recomposed (``accents``). Each step acts
within a whitespace token, so the same vectorised path serves. Its words are the
whitespace-separated pieces of that text; datatrove then tokenises with its English word
tokenizer (spaCy, which also cuts ``dont`` into ``do nt`` and ``0km`` into ``0 km``): not
reproduced, a deviation the FineWeb recipe names. Arrow lowercases with simple case mapping,
Python with full mapping (a word-final capital sigma becomes a medial sigma here, a final one
there).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from webcurate.dedup.hashing import string_hashes64
from webcurate.dedup.settings import NormalizeSettings

#: Runs of characters that are neither letters, numbers nor marks (RE2 syntax, Arrow's regex).
NON_WORD_RUN = r"[^\p{L}\p{N}\p{M}]+"

#: datatrove's ``PUNCTUATION``: ASCII punctuation, these other marks (CJK and full-width forms,
#: dashes, quotes, guillemets, the full-width digit one among them) and the C0 / DEL / C1
#: control characters except tab and newline (which whitespace normalisation has replaced).
DATATROVE_PUNCTUATION = (
    "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
    "\u2014\u201d\uff05\uff11\u3008\u3001\u2501\u3010\u300c\u300d\uff0c\u3011\uff1b"
    "\u201c\u300a\u201e\u2019\u2236\u00b4\uff0e\uff08\u2013\uff1f\uff01\uff1a\uff5e"
    "\u00ab\u3009\u300b\uff09\u3002\u2026\u25ba\u00bb"
    + "".join(chr(c) for c in (*range(0, 9), 11, 12, *range(13, 32), *range(127, 160))))


def _regex_class(chars: str) -> str:
    """An RE2 character class matching exactly ``chars`` (each escaped as \\x{...})."""
    return "[" + "".join(f"\\x{{{ord(c):x}}}" for c in sorted(set(chars))) + "]"


DATATROVE_PUNCTUATION_CLASS = _regex_class(DATATROVE_PUNCTUATION) + "+"
#: datatrove's ``NUMBERS_PATTERN``: digits, optionally one decimal separator and digits.
DATATROVE_NUMBER = "\\p{Nd}+(?:[.,\u060c\u066b\u2396\u2397\u2398]\\p{Nd}+)?"


@dataclass(frozen=True)
class WordBatch:
    """The normalised words of a batch of documents.

    ``hashes[offsets[i]:offsets[i + 1]]`` are document ``i``'s word hashes (``bytes_hash64`` of
    the normalised word's UTF-8), in order; ``words`` holds the same words as strings when asked
    for (the sha1 shingle hash and the tests need them).
    """

    hashes: np.ndarray  # uint64, one per word
    offsets: np.ndarray  # int64, documents + 1
    words: pa.Array | None = None

    @property
    def counts(self) -> np.ndarray:
        return np.diff(self.offsets)

    def doc_words(self, i: int) -> list[str]:
        if self.words is None:
            raise ValueError("this WordBatch was built without word strings")
        return self.words.slice(self.offsets[i], self.counts[i]).to_pylist()


def _list_offsets(lists: pa.ListArray) -> np.ndarray:
    """Offsets of a (possibly sliced) list array, relative to its ``flatten()``."""
    offsets = lists.offsets.to_numpy().astype(np.int64)
    return offsets - offsets[0]


def _one_word_each(tokens: pa.Array) -> pa.ListArray:
    """Each token as one word; the empty tokens Arrow's whitespace split yields at the ends
    of a text as none."""
    keep = pc.greater(pc.utf8_length(tokens), 0).to_numpy(zero_copy_only=False)
    if keep.all():
        offsets = np.arange(len(tokens) + 1, dtype=np.int32)
        return pa.ListArray.from_arrays(pa.array(offsets), tokens)
    offsets = np.concatenate([[0], np.cumsum(keep)]).astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), tokens.filter(pa.array(keep)))


def _split_punctuation(tokens: pa.Array, pattern: str = NON_WORD_RUN) -> pa.ListArray:
    """Split tokens at runs matching ``pattern`` (non-word characters, or datatrove's
    punctuation), dropping empty pieces; tokens made of letters and digits only (most of them)
    skip the regex (datatrove's set holds no letter, and its one digit, U+FF11, is a number
    that the digits step has already replaced)."""
    plain = pc.utf8_is_alnum(tokens).to_numpy(zero_copy_only=False)  # "" is not alnum
    if plain.all():
        return _one_word_each(tokens)
    messy = np.flatnonzero(~plain)
    pieces = pc.split_pattern_regex(tokens.take(pa.array(messy)), pattern=pattern)
    flat, piece_offsets = pieces.flatten(), _list_offsets(pieces)
    keep = pc.greater(pc.utf8_length(flat), 0).to_numpy(zero_copy_only=False)
    kept_before = np.concatenate([[0], np.cumsum(keep)]).astype(np.int64)[piece_offsets]
    counts = np.ones(len(tokens), dtype=np.int64)
    counts[messy] = np.diff(kept_before)
    starts = np.arange(len(tokens), dtype=np.int64)
    starts[messy] = len(tokens) + kept_before[:-1]
    source = pa.concat_arrays([tokens, flat.filter(pa.array(keep)).cast(tokens.type)])
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    words = source.take(pa.array(_expand(counts, starts)))
    return pa.ListArray.from_arrays(pa.array(offsets), words)


def _datatrove_tokens(tokens: pa.Array, settings: NormalizeSettings) -> pa.ListArray:
    """``simplify_text``'s steps on whitespace-free tokens, in its order: each token a list of
    the pieces between punctuation characters, empty pieces dropped."""
    if settings.lowercase:
        tokens = pc.utf8_lower(tokens)
    if settings.digits:
        tokens = pc.replace_substring_regex(tokens, pattern=DATATROVE_NUMBER, replacement="0")
    if settings.accents:  # NFD acts per character: after the split or before, the same
        tokens = pc.replace_substring_regex(pc.utf8_normalize(tokens, form="NFD"),
                                            pattern=r"\p{Mn}+", replacement="")
    if not settings.punctuation:
        return _one_word_each(tokens)
    return _split_punctuation(tokens, DATATROVE_PUNCTUATION_CLASS)


def normalize_tokens(tokens: pa.Array, settings: NormalizeSettings) -> pa.ListArray:
    """Each whitespace-free token as a list of 0..k normalised words."""
    if settings.style == "datatrove":
        return _datatrove_tokens(tokens, settings)
    if settings.lowercase:
        tokens = pc.utf8_lower(tokens)
    if settings.accents:
        tokens = pc.replace_substring_regex(pc.utf8_normalize(tokens, form="NFD"),
                                            pattern=r"\p{Mn}+", replacement="")
    if settings.digits:
        tokens = pc.replace_substring_regex(tokens, pattern=r"\p{Nd}", replacement="0")
    if not settings.punctuation:
        return _one_word_each(tokens)
    return _split_punctuation(tokens)


def _expand(counts: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Indices ``starts[t] .. starts[t] + counts[t] - 1`` for every t, concatenated."""
    total = int(counts.sum())
    if total == len(counts) and (counts == 1).all():
        return starts
    first = np.repeat(np.cumsum(counts) - counts, counts)
    return np.repeat(starts, counts) + (np.arange(total, dtype=np.int64) - first)


def split_words(texts: pa.Array | pa.ChunkedArray, settings: NormalizeSettings,
                with_strings: bool = False) -> WordBatch:
    """The normalised words of every text (null texts have none)."""
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()
    texts = pc.fill_null(texts.cast(pa.large_string()), "")
    # With punctuation splitting, Unicode spaces (NBSP, U+3000...) are split there as well, so
    # the cheaper ASCII whitespace split gives the same words.
    ascii_split = settings.punctuation and settings.style == "words"
    split = pc.ascii_split_whitespace if ascii_split else pc.utf8_split_whitespace
    tokens = split(texts)
    token_offsets, flat = _list_offsets(tokens), tokens.flatten()
    encoded = pc.dictionary_encode(flat)
    per_token = normalize_tokens(encoded.dictionary, settings)
    word_strings = per_token.flatten()
    distinct = pc.dictionary_encode(word_strings)
    word_hashes = string_hashes64(distinct.dictionary)[
        distinct.indices.to_numpy(zero_copy_only=False)]
    word_counts = np.diff(_list_offsets(per_token))
    token_ids = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    counts = word_counts[token_ids]
    gather = _expand(counts, _list_offsets(per_token)[:-1][token_ids])
    words_before = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return WordBatch(hashes=word_hashes[gather] if len(gather) else np.zeros(0, np.uint64),
                     offsets=words_before[token_offsets],
                     words=word_strings.take(pa.array(gather)) if with_strings else None)


def normalize_text(text: str, settings: NormalizeSettings) -> str:
    """The normalised text of one document: its normalised words joined by single spaces."""
    return " ".join(split_words(pa.array([text]), settings, with_strings=True).doc_words(0))

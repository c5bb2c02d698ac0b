"""Long-context data: paragraph-aligned tokens, splitting and packing (pure Python, no Spark).

- **Tokens of a document** are the concatenation of its paragraphs' encodings
  (:func:`paragraphs`: a paragraph ends after a run of blank lines). BPE tokenizers with
  GPT-style pre-tokenisation (tiktoken's cl100k / o200k) never merge across a newline run, so
  for them this equals encoding the whole text (the tests check it on the real long documents);
  for others it is what makes a split at a paragraph boundary exact.
- **Split** (:func:`split_points`): a document longer than a sequence is cut into pieces of at
  most ``limit`` tokens at paragraph ends; a paragraph longer than ``limit`` alone is cut inside
  (counted as a hard split).
- **Pack**, over documents in a deterministic order:
  ``concat`` (GPT-2 / Megatron): documents joined by the separator token into one stream cut
  every ``seq_len`` tokens, a document may continue in the next sequence;
  ``bins``: whole documents (or their paragraph-aligned pieces) placed next-fit into sequences
  of at most ``seq_len`` tokens, never split across two sequences except at paragraph ends
  (the "split longer ones at paragraph boundaries" of PG-19 / Proof-Pile style training sets);
  the trainer pads or masks the rest.
  Every sequence lists its segments: ``(doc_id, start within the document's tokens, length,
  whether the separator follows)``, so its tokens are exactly the documents' tokens in order.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

_PARAGRAPH_END = re.compile(r"\n(?:[ \t]*\n)+")
MODES = ("concat", "bins")


def paragraphs(text: str) -> list[str]:
    """``text`` cut after every blank-line run; ``"".join(paragraphs(t)) == t``."""
    cuts = [m.end() for m in _PARAGRAPH_END.finditer(text)]
    bounds = [0, *[c for c in cuts if c < len(text)], len(text)]
    return [text[a:b] for a, b in itertools.pairwise(bounds) if b > a]


def encode_paragraphs(text: str, tokenizer) -> tuple[list[int], list[int]]:
    """``(tokens, paragraph_ends)``: the document's tokens and the token offset where each
    paragraph ends (the last one is ``len(tokens)``)."""
    parts = paragraphs(text)
    tokens: list[int] = []
    ends: list[int] = []
    for ids in tokenizer.encode_batch(parts) if parts else []:
        tokens.extend(ids)
        ends.append(len(tokens))
    return tokens, ends


def split_points(paragraph_ends: list[int], total: int, limit: int) -> tuple[list[int], int]:
    """Piece boundaries ``[0, ..., total]`` with pieces of at most ``limit`` tokens, cut at
    paragraph ends where possible; and how many cuts fell inside a paragraph."""
    points, hard = [0], 0
    start = 0
    ends = [e for e in paragraph_ends if 0 < e <= total] or [total]
    i = 0
    while total - start > limit:
        best = None
        while i < len(ends) and ends[i] - start <= limit:
            if ends[i] > start:
                best = ends[i]
            i += 1
        if best is None:  # one paragraph longer than limit: cut inside it
            best, hard = start + limit, hard + 1
        points.append(best)
        start = best
    points.append(total)
    return points, hard


@dataclass
class Sequence:
    tokens: list[int] = field(default_factory=list)
    doc_ids: list[str] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)  # start within the document's tokens
    lengths: list[int] = field(default_factory=list)
    separated: list[bool] = field(default_factory=list)  # the separator follows the segment

    def add(self, doc_id: str, tokens: list[int], start: int, end: int,
            separator: int | None, closes: bool) -> None:
        self.tokens.extend(tokens[start:end])
        with_sep = closes and separator is not None
        if with_sep:
            self.tokens.append(separator)
        self.doc_ids.append(doc_id)
        self.starts.append(start)
        self.lengths.append(end - start)
        self.separated.append(with_sep)


def pack_concat(docs: Iterable[tuple[str, list[int]]], seq_len: int,
                separator: int | None) -> Iterator[Sequence]:
    """One stream, cut every ``seq_len`` tokens; the last sequence may be shorter. The
    separator belongs to the document before it; when it does not fit, it opens the next
    sequence as a segment of length 0."""
    current = Sequence()
    for doc_id, tokens in docs:
        start, total = 0, len(tokens)
        while True:
            room = seq_len - len(current.tokens)
            end = min(total, start + room)
            closes = end == total and (separator is None or room > end - start)
            if end > start or closes:
                current.add(doc_id, tokens, start, end, separator, closes)
            start = end
            if len(current.tokens) == seq_len:
                yield current
                current = Sequence()
            if closes:
                break
    if current.tokens:
        yield current


def pack_bins(docs: Iterable[tuple[str, list[int], list[int]]], seq_len: int,
              separator: int | None, stats: dict) -> Iterator[Sequence]:
    """Next-fit: each piece (+ separator when it ends its document) goes into the current
    sequence if it fits, else opens a new one. ``stats`` counts split documents and hard
    splits."""
    sep = 1 if separator is not None else 0
    current = Sequence()
    for doc_id, tokens, paragraph_ends in docs:
        points, hard = split_points(paragraph_ends, len(tokens), seq_len - sep)
        stats["documents_split"] = stats.get("documents_split", 0) + (len(points) > 2)
        stats["hard_splits"] = stats.get("hard_splits", 0) + hard
        for a, b in itertools.pairwise(points):
            closes = b == len(tokens)
            need = b - a + (sep if closes else 0)
            if current.tokens and len(current.tokens) + need > seq_len:
                yield current
                current = Sequence()
            current.add(doc_id, tokens, a, b, separator, closes)
    if current.tokens:
        yield current

"""Decontamination without Spark: the benchmark n-gram index, matching documents against it,
and what happens to a matched document. The Spark job (:mod:`.spark`) calls the same
functions on executors; tests and the benchmark's pure-Python side call them directly.

- :func:`file_ngrams` reads one benchmark file into its distinct n-gram hashes, each with the
  first item it came from (one Spark task per file in the job).
- :class:`NgramIndex` is the exact set: a sorted int64 array (8 bytes per n-gram), looked up
  with one ``searchsorted`` per batch of documents.
- :func:`batch_hits` finds, for a batch of documents, every n-gram position whose hash a
  ``contains`` function accepts (the exact index, or a Bloom filter whose hits a join then
  confirms).
- :func:`decide` turns a document's confirmed match positions into its fate: removed, or (in
  redact mode) the text with the matched spans and their windows cut out (:mod:`.redact`).
- :func:`decontaminate` runs the whole method over a list of texts, GPT-3's too-common rule
  included, in one process.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from webcurate.decontam.benchmarks import BenchmarkSpec, ItemCounts, check_benchmark, iter_items
from webcurate.decontam.ngrams import DEFAULT_N, batch_ngrams
from webcurate.decontam.normalize import words, words_with_spans
from webcurate.decontam.redact import redact
from webcurate.decontam.settings import RedactSettings
from webcurate.io import storage as st

CONTAMINATED = "contaminated"


@dataclass
class FileNgrams:
    """One benchmark file's n-grams: distinct hashes, the first item of each, and counts."""

    hashes: np.ndarray  # int64, distinct, in order of first appearance
    items: list[str]  # the item each hash first came from
    counts: ItemCounts
    items_without_ngrams: int = 0  # items shorter than n words


def file_ngrams(uri: str, spec_fields, id_field: str | None, n: int,
                storage: st.StorageConfig, chunk: int = 4096) -> FileNgrams:
    """Read one benchmark file: its items' n-grams hashed a chunk of items at a time."""
    counts = ItemCounts()
    ids: list[str] = []
    parts_hashes, parts_items = [], []
    short = 0
    pending: list[list[bytes]] = []

    def flush() -> None:
        nonlocal short
        hashes, doc, _ = batch_ngrams(pending, n)
        first = len(ids) - len(pending)
        short += len(pending) - len(np.unique(doc))
        parts_hashes.append(hashes)
        parts_items.append(doc + first)
        pending.clear()

    for item, text in iter_items(uri, spec_fields, id_field, storage, counts):
        ids.append(item)
        pending.append(words(text))
        if len(pending) >= chunk:
            flush()
    if pending:
        flush()
    hashes = np.concatenate(parts_hashes) if parts_hashes else np.zeros(0, dtype=np.int64)
    items = np.concatenate(parts_items) if parts_items else np.zeros(0, dtype=np.int64)
    distinct, first = np.unique(hashes, return_index=True)
    order = np.argsort(first, kind="stable")  # in order of first appearance
    return FileNgrams(distinct[order], [ids[i] for i in items[first[order]].tolist()], counts,
                      short)


@dataclass
class BenchmarkSummary:
    """A benchmark as read: items, distinct n-grams and what was wrong with its rows."""

    name: str
    files: list[str]
    items: int = 0
    ngrams: int = 0
    items_without_ngrams: int = 0
    malformed_rows: int = 0
    rows_missing_fields: int = 0
    problems: list[str] = field(default_factory=list)

    def as_stats(self) -> dict:
        return {"files": len(self.files), "items": self.items, "ngrams": self.ngrams,
                "items_shorter_than_n": self.items_without_ngrams,
                "malformed_rows": self.malformed_rows,
                "rows_missing_fields": self.rows_missing_fields, "problems": self.problems[:3]}


class NgramIndex:
    """The exact benchmark n-gram set, and (built in one process) who owns each n-gram."""

    def __init__(self, hashes: np.ndarray, owners: dict[int, list[tuple[str, str]]] | None = None,
                 summaries: list[BenchmarkSummary] | None = None, n: int = DEFAULT_N):
        self.hashes = np.unique(np.asarray(hashes, dtype=np.int64))  # sorted
        self.owners = owners or {}
        self.summaries = summaries or []
        self.n = n

    def __len__(self) -> int:
        return len(self.hashes)

    @property
    def nbytes(self) -> int:
        return int(self.hashes.nbytes)

    def contains(self, values: np.ndarray) -> np.ndarray:
        """Boolean array: is each int64 hash in the set (exact)?"""
        values = np.asarray(values, dtype=np.int64)
        if not len(self.hashes) or not len(values):
            return np.zeros(len(values), dtype=bool)
        at = np.minimum(np.searchsorted(self.hashes, values), len(self.hashes) - 1)
        return self.hashes[at] == values

    @classmethod
    def build(cls, specs: Iterable[BenchmarkSpec], n: int = DEFAULT_N,
              storage: st.StorageConfig | None = None) -> NgramIndex:
        """Every benchmark read here, in this process (tests, the benchmark's pure side)."""
        storage = storage or st.StorageConfig()
        owners: dict[int, list[tuple[str, str]]] = {}
        summaries = []
        for spec in specs:
            summary = BenchmarkSummary(spec.name, check_benchmark(spec, storage))
            own: set[int] = set()
            for uri in summary.files:
                found = file_ngrams(uri, spec.fields, spec.id_field, n, storage)
                summary.items += found.counts.items
                summary.items_without_ngrams += found.items_without_ngrams
                summary.malformed_rows += found.counts.malformed_rows
                summary.rows_missing_fields += found.counts.rows_missing_fields
                summary.problems += found.counts.examples
                for value, item in zip(found.hashes.tolist(), found.items, strict=True):
                    if value not in own:
                        own.add(value)
                        owners.setdefault(value, []).append((spec.name, item))
            summary.ngrams = len(own)
            summaries.append(summary)
        return cls(np.fromiter(owners, dtype=np.int64, count=len(owners)), owners, summaries, n)


def batch_hits(texts: list[str | None], n: int, contains: Callable[[np.ndarray], np.ndarray]
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(document index, position, hash)`` of every n-gram of the batch that ``contains``
    accepts, in document then position order."""
    hashes, doc, position = batch_ngrams([words(t) if t else [] for t in texts], n)
    hit = contains(hashes) if len(hashes) else np.zeros(0, dtype=bool)
    return doc[hit], position[hit], hashes[hit]


def match_spans(text: str, positions: Iterable[int], n: int) -> list[tuple[int, int]]:
    """Character spans ``[start, end)`` of the n-grams starting at the given word positions."""
    _, spans = words_with_spans(text)
    return [(spans[p][0], spans[p + n - 1][1]) for p in sorted(set(positions))
            if 0 <= p and p + n - 1 < len(spans)]


@dataclass(frozen=True)
class Decision:
    keep: bool
    text: str | None  # the text to keep (redacted or not); None when removed
    reason: str | None  # why it was removed: contaminated, too_many_pieces, nothing_left
    redacted_chars: int = 0


def decide(text: str, positions: list[int], n: int, action: str,
           redact_settings: RedactSettings) -> Decision:
    """The fate of a document whose n-grams at ``positions`` matched a benchmark (none: kept
    as it is)."""
    if not positions:
        return Decision(True, text, None)
    if action == "remove":
        return Decision(False, None, CONTAMINATED)
    outcome = redact(text, match_spans(text, positions, n), redact_settings)
    if outcome.text is None:
        return Decision(False, None, outcome.reason)
    return Decision(True, outcome.text, None, outcome.removed_chars)


@dataclass
class DocumentMatches:
    """What matched in one document: positions and the benchmarks (with items) they belong
    to, after the too-common n-grams are set aside."""

    positions: list[int] = field(default_factory=list)
    hashes: list[int] = field(default_factory=list)
    benchmarks: dict[str, set[str]] = field(default_factory=dict)


def find_matches(texts: list[str], index: NgramIndex,
                 max_documents_per_ngram: int | None = 10) -> list[DocumentMatches]:
    """Every document's matches, as the job finds them: exact hits, then n-grams matched in
    more than ``max_documents_per_ngram`` documents dropped (GPT-3; None keeps all)."""
    doc, position, hashes = batch_hits(texts, index.n, index.contains)
    found = [DocumentMatches() for _ in texts]
    documents_per_hash: dict[int, set[int]] = {}
    for d, h in zip(doc.tolist(), hashes.tolist(), strict=True):
        documents_per_hash.setdefault(h, set()).add(d)
    common = ({h for h, ds in documents_per_hash.items() if len(ds) > max_documents_per_ngram}
              if max_documents_per_ngram is not None else set())
    for d, p, h in zip(doc.tolist(), position.tolist(), hashes.tolist(), strict=True):
        if h in common:
            continue
        found[d].positions.append(p)
        found[d].hashes.append(h)
        for benchmark, item in index.owners.get(h, []):
            found[d].benchmarks.setdefault(benchmark, set()).add(item)
    return found


def decontaminate(texts: list[str], index: NgramIndex, action: str = "remove",
                  redact_settings: RedactSettings | None = None,
                  max_documents_per_ngram: int | None = 10
                  ) -> list[tuple[DocumentMatches, Decision]]:
    """The whole method in one process: matches and the decision for every text."""
    settings = redact_settings or RedactSettings()
    matches = find_matches(texts, index, max_documents_per_ngram)
    return [(m, decide(t, m.positions, index.n, action, settings))
            for t, m in zip(texts, matches, strict=True)]

"""Corpora with planted near-duplicates at known edit rates, built from real text.

Base documents are runs of sentences drawn at random from the real prose in
``../shared/data/text/reference`` (four Project Gutenberg books, the Lee news corpus,
tiny-shakespeare): two bases share a 5-gram only when they happen to draw the same sentence,
so unrelated documents have a Jaccard similarity near 0. A *family* is a base plus variants,
each made by editing words at a given rate (a third substitutions by a pool word, a third
deletions, a third insertions; at least one edit, so no variant is an exact copy).
The true Jaccard similarity of any two documents is computed from their sets of shingle
*strings* (no hashing), with the job's normalisation.

Used by tests/dedup (small corpora) and tests/bench/bench_dedup.py (up to millions of docs).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path

REFERENCE_TEXTS = ("pg16215-jack-sheppard.txt", "pg3261-news-from-nowhere.txt",
                   "pg9198-complete-angler.txt", "pg972-devils-dictionary.txt",
                   "lee_background.cor", "tinyshakespeare.txt")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class PlantedDoc:
    doc_id: str
    text: str
    family: int  # index of the base document it derives from
    edit_rate: float  # 0.0 for the base itself


def sentence_pool(shared_data: Path, min_words: int = 6, max_words: int = 60) -> list[str]:
    """Distinct sentences of 6..60 words from the reference texts, whitespace collapsed."""
    seen, pool = set(), []
    for name in REFERENCE_TEXTS:
        text = (shared_data / "text" / "reference" / name).read_text(errors="replace")
        for sentence in _SENTENCE_END.split(text):
            words = sentence.split()
            cleaned = " ".join(words)
            if min_words <= len(words) <= max_words and cleaned not in seen:
                seen.add(cleaned)
                pool.append(cleaned)
    return pool


def base_text(pool: list[str], words: int, rng: random.Random) -> str:
    """Random sentences of the pool until ``words`` words are reached."""
    chosen, count = [], 0
    while count < words:
        sentence = pool[rng.randrange(len(pool))]
        chosen.append(sentence)
        count += len(sentence.split())
    return " ".join(chosen)


def edit_words(text: str, rate: float, vocabulary: list[str], rng: random.Random) -> str:
    """Substitute, delete or insert words, each word edited with probability ``rate``."""
    words, out = text.split(), []
    forced = rng.randrange(len(words))
    for i, word in enumerate(words):
        if rng.random() >= rate and i != forced:
            out.append(word)
            continue
        action = rng.randrange(3)
        if action == 0:
            out.append(vocabulary[rng.randrange(len(vocabulary))])
        elif action == 2:
            out.extend([word, vocabulary[rng.randrange(len(vocabulary))]])
    return " ".join(out)


def planted_corpus(pool: list[str], families: int, singles: int, rates: tuple[float, ...],
                   words: int = 450, seed: int = 0) -> list[PlantedDoc]:
    """``families`` bases with one variant per rate, plus ``singles`` unrelated bases.

    Ids are random hex (so doc_id order says nothing about which copy is the base)."""
    rng = random.Random(seed)
    vocabulary = sorted({w for s in pool[:5000] for w in s.split()})
    docs = []
    for family in range(families + singles):
        base = base_text(pool, words, rng)
        docs.append(PlantedDoc(f"{rng.getrandbits(64):016x}", base, family, 0.0))
        if family < families:
            for rate in rates:
                docs.append(PlantedDoc(f"{rng.getrandbits(64):016x}",
                                       edit_words(base, rate, vocabulary, rng), family, rate))
    return docs


def shingle_strings(text: str, n: int = 5) -> set[str]:
    """The document's shingles as strings, after the job's default normalisation."""
    from webcurate.dedup.normalize import normalize_text
    from webcurate.dedup.settings import NormalizeSettings
    from webcurate.dedup.shingles import shingle_texts

    return set(shingle_texts(normalize_text(text, NormalizeSettings()).split(), n))


def true_jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def family_pairs(docs: list[PlantedDoc], n: int = 5) -> dict[tuple[str, str], float]:
    """True Jaccard of every pair of documents of the same family, keyed ``(low, high)`` id."""
    shingles = {d.doc_id: shingle_strings(d.text, n) for d in docs}
    by_family: dict[int, list[str]] = {}
    for d in docs:
        by_family.setdefault(d.family, []).append(d.doc_id)
    pairs = {}
    for ids in by_family.values():
        for i, a in enumerate(ids):
            for b in ids[i + 1:]:
                pairs[tuple(sorted((a, b)))] = true_jaccard(shingles[a], shingles[b])
    return pairs

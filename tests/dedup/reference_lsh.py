"""A single-process statement of the dedup rule, built from the pure core, for tests.

Exact groups by normalised text, then MinHash-LSH buckets whose *every* pair is a candidate
(optionally verified by true Jaccard), clustered with union-find; the survivor of a group is
its lowest doc_id. The Spark job must find the same clusters (tests/dedup/test_dedup_job.py).
"""

from __future__ import annotations

from itertools import combinations

import pyarrow as pa

from webcurate.dedup.jaccard import packed_jaccard
from webcurate.dedup.settings import NormalizeSettings
from webcurate.dedup.signatures import SignatureSpec, batch_features


class UnionFind:
    def __init__(self):
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def final_survivors(docs: dict[str, str], bands: int = 14, rows: int = 8, seed: int = 42,
                    verify_threshold: float | None = None) -> dict[str, str]:
    """``doc_id -> doc_id of the kept document standing for it`` (itself when kept)."""
    ids = sorted(docs)
    spec = SignatureSpec(normalize=NormalizeSettings(), num_perm=bands * rows, bands=bands,
                         rows=rows, seed=seed, with_sets=verify_threshold is not None)
    features = batch_features(pa.array([docs[i] for i in ids]), spec)
    groups = UnionFind()
    by_key: dict[bytes, str] = {}
    for i, doc_id in enumerate(ids):
        groups.union(by_key.setdefault(features.exact_keys[i], doc_id), doc_id)
    exact_survivor = {doc_id: groups.find(doc_id) for doc_id in ids}
    buckets: dict[tuple[int, int], list[int]] = {}
    for i, doc_id in enumerate(ids):
        if exact_survivor[doc_id] == doc_id and features.shingles[i] > 0:
            for band, key in enumerate(features.band_keys[i].tolist()):
                buckets.setdefault((band, key), []).append(i)
    near = UnionFind()
    for members in buckets.values():
        for x, y in combinations(members, 2):
            if verify_threshold is None or packed_jaccard(
                    features.shingle_sets[x], features.shingle_sets[y]) >= verify_threshold:
                near.union(ids[x], ids[y])
    return {doc_id: near.find(exact_survivor[doc_id]) for doc_id in ids}


def clusters(survivors: dict[str, str]) -> set[frozenset[str]]:
    """The groups of two or more documents that share a survivor."""
    by_survivor: dict[str, set[str]] = {}
    for doc_id, survivor in survivors.items():
        by_survivor.setdefault(survivor, set()).add(doc_id)
    return {frozenset(group) for group in by_survivor.values() if len(group) > 1}

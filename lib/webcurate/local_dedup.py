"""The dedup job's decisions in memory: URL, exact and MinHash-LSH dedup of a small corpus.

The same features (:func:`webcurate.dedup.signatures.batch_features`: exact keys, band keys and
shingle sets, computed by the very function the Spark job maps over its Arrow batches), the same
survivor rules (lowest ``rank``, ties to the lowest ``doc_id``;
:mod:`webcurate.dedup.spark.survivors`) and the same steps in the same order (url on every
document, exact on what url kept, near on what exact kept). Where the job links each band bucket
as a star and runs distributed connected components, this runs union-find: the components, and
so the kept set and every duplicate row, are the same. With ``minhash.verify`` the candidate
pairs are those of the job (every pair of a bucket up to ``hot_bucket_size``, the star of a
larger one), kept at ``verify_threshold``. The job's node-id collisions (two ``doc_id`` s with
one 64-bit hash, ~0.03 per 10^9 documents) cannot occur here: nodes are the ``doc_id`` s
themselves. ``lines`` mode is not run here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timezone

from webcurate.config import ConfigError

DUPLICATE_KEYS = ("doc_id", "kind", "cluster_id", "survivor_id", "jaccard")


@dataclass(frozen=True)
class DedupResult:
    kept: list[str]  # doc_ids, in input order
    duplicates: list[dict]  # DUPLICATE_KEYS rows, sorted by doc_id


class _UnionFind:
    def __init__(self):
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _score_rank(value) -> float:
    try:
        score = float(value)
    except (TypeError, ValueError):
        return math.inf
    return math.inf if math.isnan(score) else -score


def _date_rank(value) -> float:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return math.inf
    if not isinstance(value, datetime):
        return math.inf
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return -value.timestamp() * 1e6


def survivor_rank(row: dict, survivor) -> float:
    """The rank of :func:`webcurate.dedup.spark.survivors.rank_column` for one document."""
    if survivor.rule == "highest_score":
        return _score_rank(row.get(survivor.score_column))
    if survivor.rule == "newest":
        return _date_rank(row.get(survivor.date_column))
    return 0.0


def _group_step(members: list[str], keys: dict[str, object], rank: dict[str, float],
                kind: str) -> list[dict]:
    """Every member of a group of two or more that is not its best, as a duplicate row."""
    groups: dict[object, list[str]] = {}
    for doc_id in members:
        if keys.get(doc_id) is not None:
            groups.setdefault(keys[doc_id], []).append(doc_id)
    rows = []
    for group in groups.values():
        if len(group) < 2:
            continue
        best = min(group, key=lambda d: (rank[d], d))
        cluster = min(group)
        rows += [{"doc_id": d, "kind": kind, "cluster_id": cluster, "survivor_id": best,
                  "jaccard": 1.0 if kind == "exact" else None} for d in group if d != best]
    return rows


def _near_step(members: list[str], features: dict, rank: dict[str, float], minhash) -> list:
    from webcurate.dedup.jaccard import packed_jaccard

    candidates = [d for d in members if features[d]["shingles"] > 0]
    buckets: dict[tuple, list[str]] = {}
    for doc_id in candidates:
        for band, key in enumerate(features[doc_id]["bands"]):
            buckets.setdefault((band, key), []).append(doc_id)
    pairs = set()
    for bucket in buckets.values():
        if len(bucket) < 2:
            continue
        root = min(bucket)
        if minhash.verify and len(bucket) <= minhash.hot_bucket_size:
            pairs.update((a, b) for a in bucket for b in bucket if a > b)
        else:
            pairs.update((a, root) for a in bucket if a != root)
    links = _UnionFind()
    for a, b in sorted(pairs):
        if minhash.verify and (packed_jaccard(features[a]["set"], features[b]["set"]) or 0.0) \
                < minhash.verify_threshold:
            continue
        links.union(a, b)
    components: dict[str, list[str]] = {}
    for doc_id in links.parent:
        components.setdefault(links.find(doc_id), []).append(doc_id)
    rows = []
    for group in components.values():
        best, cluster = min(group, key=lambda d: (rank[d], d)), min(group)
        for doc_id in group:
            if doc_id == best:
                continue
            jaccard = (packed_jaccard(features[doc_id]["set"], features[best]["set"])
                       if minhash.verify else None)
            rows.append({"doc_id": doc_id, "kind": "near", "cluster_id": cluster,
                         "survivor_id": best, "jaccard": jaccard})
    return rows


def _features(docs: list[dict], spec) -> dict[str, dict]:
    import pyarrow as pa

    from webcurate.dedup.signatures import batch_features

    found = batch_features(pa.array([d.get("text") for d in docs], pa.string()), spec)
    features = {}
    for i, row in enumerate(docs):
        features[row["doc_id"]] = {
            "exact": found.exact_keys[i], "shingles": int(found.shingles[i]),
            "bands": (tuple(int(k) for k in found.band_keys[i])
                      if found.band_keys is not None else ()),
            "set": found.shingle_sets[i] if found.shingle_sets is not None else None}
    return features


def _resolve(steps: list[list[dict]]) -> list[dict]:
    """Every survivor a kept document: follow removed survivors to the one that was kept."""
    removed = {row["doc_id"]: row["survivor_id"] for step in steps for row in step}
    resolved = []
    for step in steps:
        for row in step:
            survivor = row["survivor_id"]
            while survivor in removed:
                survivor = removed[survivor]
            resolved.append({**row, "survivor_id": survivor})
    return sorted(resolved, key=lambda r: r["doc_id"])


def dedup_in_memory(docs: list[dict], config) -> DedupResult:
    """``config``: a DedupJobConfig (``local.dedup_config``); ``docs`` with unique doc_ids."""
    from webcurate.dedup.spark.pipeline import signature_spec
    from webcurate.jobs.dedup import plan_dedup

    plan = plan_dedup(config)
    if "lines" in plan.steps:
        raise ValueError("config key 'mode': lines dedup runs in the Spark job only")
    ids = [row["doc_id"] for row in docs]
    if len(set(ids)) != len(ids):
        raise ValueError("doc_id repeats in the input: dedup needs one row per doc_id")
    rank = {row["doc_id"]: survivor_rank(row, config.survivor) for row in docs}
    features = _features(docs, signature_spec(config, plan))
    remaining, steps = ids, []
    if "url" in plan.steps:
        if not any(config.survivor.date_column in row for row in docs):
            raise ConfigError(f"config key 'survivor.date_column': the input has no column "
                              f"'{config.survivor.date_column}'")
        url_rank = {row["doc_id"]: _date_rank(row.get(config.survivor.date_column))
                    for row in docs}
        urls = {row["doc_id"]: row.get("url") for row in docs}
        steps.append(_group_step(remaining, urls, url_rank, "url"))
    if "exact" in plan.steps:
        remaining = _without(remaining, steps)
        exact = {d: features[d]["exact"] for d in remaining}
        steps.append(_group_step(remaining, exact, rank, "exact"))
    if "near" in plan.steps:
        remaining = _without(remaining, steps)
        steps.append(_near_step(remaining, features, rank, config.minhash))
    duplicates = _resolve(steps)
    gone = {row["doc_id"] for row in duplicates}
    return DedupResult([d for d in ids if d not in gone], duplicates)


def _without(ids: list[str], steps: list[list[dict]]) -> list[str]:
    gone = {row["doc_id"] for step in steps for row in step}
    return [d for d in ids if d not in gone]

"""Dedup removes documents where they are: no shuffle carries the text (issue 11, defect 4).

With ``spark.sql.autoBroadcastJoinThreshold=-1`` (what tens of millions of duplicate ids
amount to) an anti join of the documents against the duplicate ids is a sort-merge join that
moves every document's text through an Exchange. These tests read the physical plans of what
the job writes and fail on any Exchange whose rows hold ``text``.
"""

from __future__ import annotations

import json
import random

import numpy as np
import pytest
from planted_corpus import base_text, edit_words, sentence_pool

from webcurate.dedup.bloom import NodeBloom
from webcurate.dedup.spark import pipeline
from webcurate.dedup.spark.removal import plan_removal

pytestmark = pytest.mark.spark


# --- the Bloom filter (no Spark) ----------------------------------------------------------------

def test_bloom_has_no_false_negatives_and_about_the_planned_false_positives():
    rng = np.random.default_rng(7)
    added = rng.integers(-2**63, 2**63 - 1, size=50_000, dtype=np.int64)
    others = rng.integers(-2**63, 2**63 - 1, size=200_000, dtype=np.int64)
    bloom = NodeBloom.of(added)
    assert bloom.might_contain(added).all()
    assert 0.001 < bloom.might_contain(others).mean() < 0.006  # ~0.3% planned
    assert bloom.shape.segment_of(np.array([-7, 7])).tolist() == [-7 % bloom.shape.segments,
                                                                  7 % bloom.shape.segments]


# --- the exact removal on Spark -----------------------------------------------------------------

def test_removal_is_exact_even_when_the_filter_flags_most_rows(spark):
    """One bit per id makes most kept rows false positives: every one must be rescued."""
    from pyspark.sql import functions as F

    rows = [(f"doc-{i:04d}", "x" * 50) for i in range(2000)]
    docs = spark.createDataFrame(rows, "doc_id string, text string").repartition(3)
    removed_ids = [f"doc-{i:04d}" for i in range(0, 2000, 7)]
    removed = spark.createDataFrame([(d,) for d in removed_ids], "doc_id string")
    ids = docs.select("doc_id", F.xxhash64("doc_id").alias("node"))
    # doc-0001's node stands in for one shared by two doc_ids: decided by doc_id instead
    shared = [r["node"] for r in ids.where(F.col("doc_id").isin("doc-0001", "doc-0007"))
              .collect()]
    removal = plan_removal(spark, removed, ids, shared, bits_per_id=1)
    kept = {r["doc_id"] for r in removal.without(docs).collect()}
    gone = {r["doc_id"] for r in removal.only(docs).collect()}
    assert gone == set(removed_ids)
    assert kept == {d for d, _ in rows} - set(removed_ids)
    assert removal.stats["false_positives"] > 500  # the rescue did real work
    assert removal.stats["removed"] == len(removed_ids) - 1  # doc-0007 went by doc_id


# --- the job's plans ----------------------------------------------------------------------------

def exchanges_with(plan, column: str) -> list[str]:
    """Every shuffle Exchange in a physical plan (through adaptive stages and cached
    relations) whose rows carry ``column``."""
    found: list[str] = []

    def children(seq):
        return [seq.apply(i) for i in range(seq.size())]

    def walk(node):
        name = node.getClass().getSimpleName()
        if name == "AdaptiveSparkPlanExec":
            return walk(node.executedPlan())
        if name.endswith("QueryStageExec"):
            return walk(node.plan())
        if name == "InMemoryTableScanExec":
            walk(node.relation().cachedPlan())
        if "Exchange" in name and "Broadcast" not in name:
            if column in [a.name() for a in children(node.output())]:
                found.append(node.toString().splitlines()[0])
        for child in children(node.children()):
            walk(child)

    walk(plan)
    return found


@pytest.fixture
def no_broadcast(spark):
    keys = ("spark.sql.autoBroadcastJoinThreshold", "spark.sql.adaptive.autoBroadcastJoinThreshold")
    before = {k: spark.conf.get(k, None) for k in keys}
    for key in keys:
        spark.conf.set(key, "-1")
    yield
    for key, value in before.items():
        spark.conf.unset(key) if value is None else spark.conf.set(key, value)


@pytest.fixture
def written_plans(monkeypatch):
    """The physical plan of every dataset the dedup pipeline writes, by dataset name."""
    plans: dict[str, object] = {}
    original = pipeline.write_dataset_files

    def capture(df, dataset_uri, file_prefix, storage):
        plans[dataset_uri.rstrip("/").rsplit("/", 1)[-1]] = df._jdf.queryExecution().executedPlan()
        return original(df, dataset_uri, file_prefix, storage)

    monkeypatch.setattr(pipeline, "write_dataset_files", capture)
    return plans


@pytest.fixture(scope="module")
def corpus(shared_data, tmp_path_factory):
    """Two JSONL files of 80 documents: exact copies, near copies, shared lines."""
    pool = sentence_pool(shared_data)
    rng = random.Random(11)
    vocabulary = sorted({w for s in pool[:2000] for w in s.split()})
    footer = "Share this page with your friends and family today please"
    bodies = [base_text(pool, 120, rng) for _ in range(60)]
    bodies += bodies[:8]  # exact copies
    bodies += [edit_words(t, 0.01, vocabulary, rng) for t in bodies[10:22]]  # near copies
    texts = [f"{body}\n{footer}" for body in bodies]
    rows = [{"doc_id": f"d{i:03d}", "url": f"https://example.org/{i}", "text": t}
            for i, t in enumerate(texts)]
    folder = tmp_path_factory.mktemp("no-text-shuffle")
    for part in (0, 1):
        (folder / f"part-{part}.jsonl").write_text(
            "".join(json.dumps(r) + "\n" for r in rows[part::2]))
    return folder, rows


@pytest.mark.parametrize("mode", ["minhash", "lines"])
def test_no_shuffle_carries_text_when_ids_do_not_broadcast(spark, corpus, tmp_path, mode,
                                                           no_broadcast, written_plans):
    from test_dedup_job import read, run_dedup

    folder, rows = corpus
    output = tmp_path / "out"
    assert run_dedup(spark, str(folder), str(output), f"mode={mode}",
                     "lines.min_doc_words=5") == 0
    assert set(written_plans) == {"duplicates", "kept"}
    for name, plan in written_plans.items():
        assert exchanges_with(plan, "text") == [], name
    kept = read(output, "kept").column("doc_id").to_pylist()
    removed = read(output, "duplicates").column("doc_id").to_pylist()
    assert len(kept) == len(set(kept)) and not set(kept) & set(removed)
    assert set(kept) | set(removed) == {r["doc_id"] for r in rows}
    assert {f"d{i:03d}" for i in range(60, 68)} <= set(removed)  # the exact copies went
    if mode == "lines":  # the shared footer survives once, in the first document only
        texts = dict(zip(read(output, "kept").column("doc_id").to_pylist(),
                         read(output, "kept").column("text").to_pylist(), strict=True))
        with_footer = [d for d, t in texts.items() if "Share this page" in t]
        assert with_footer == ["d000"]


def test_the_filter_is_built_by_at_least_one_task_per_core():
    """A dump's first 700k removed ids would otherwise fill one segment: one task reading
    every removed id (flagged by the scale harness at 1M documents)."""
    from webcurate.dedup.bloom import BloomShape

    one = BloomShape.for_ids(100_000)
    spread = BloomShape.for_ids(100_000, min_segments=8)
    assert one.segments == 1 and spread.segments == 8
    assert spread.segments * spread.segment_bits >= one.segment_bits  # no fewer bits in all

"""train-quality's per-class sample: the exact top-k by (sample_key, doc_id), found by counting
(:mod:`webcurate.quality.sampling`) instead of a window that ranks each class in one task; the
same ids as that window on any partitioning."""

from __future__ import annotations

import random

import pytest

from webcurate.quality import sampling, training
from webcurate.quality.spark.training import select_samples


def _cut_by_counting(keys: list[tuple[float, str]], rank: int) -> tuple[float, str]:
    """The bracket search with counts done in Python, as the Spark side does them."""
    bracket = sampling.Bracket("hq", rank, below_hi=len(keys))
    while not bracket.done():
        probes = bracket.next_probes()
        bracket.update({p: sum(k < p for k, _ in keys) for p in probes})
    return sampling.cut_of(bracket, [(k, d) for k, d in keys if bracket.lo <= k < bracket.hi])


@pytest.mark.parametrize("max_boundary", [50_000, 40, 3])
@pytest.mark.parametrize("rounding", [None, 3])  # 3 decimals: many equal keys, doc_id decides
def test_counting_finds_the_exact_rank(monkeypatch, max_boundary, rounding):
    monkeypatch.setattr(sampling, "MAX_BOUNDARY_ROWS", max_boundary)
    ids = [f"doc{i}" for i in range(3000)]
    keys = [(training.unit_key(0, "hq", d), d) for d in ids]
    if rounding is not None:
        keys = [(round(k, rounding), d) for k, d in keys]
    ordered = sorted(keys)
    for rank in (1, 2, 17, 300, 1499, 2999):
        assert _cut_by_counting(keys, rank) == ordered[rank - 1]


def _lines(spark, partitions: int, rounding: int | None):
    rng = random.Random(1)
    rows = []
    for label, count in (("hq", 1300), ("cc", 2100)):
        for i in range(count):
            doc_id = f"{label}-{rng.getrandbits(40):010x}-{i}"
            key = training.unit_key(0, label, doc_id)
            rows.append((label, doc_id, f"line {i}",
                         key if rounding is None else round(key, rounding)))
    rng.shuffle(rows)
    df = spark.createDataFrame(rows, "label string, doc_id string, line string, sample_key double")
    return df.repartition(partitions)


def _window_oracle(lines, sizes: dict, holdouts: dict) -> set:
    """The sampling before this change: one window per class."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    by_key = Window.partitionBy("label").orderBy("sample_key", "doc_id")
    ranked = lines.withColumn("rank", F.row_number().over(by_key))
    size = F.create_map(*[x for k, v in sizes.items() for x in (F.lit(k), F.lit(v))])
    holdout = F.create_map(*[x for k, v in holdouts.items() for x in (F.lit(k), F.lit(v))])
    picked = (ranked.filter(F.col("rank") <= size[F.col("label")])
              .withColumn("holdout", F.col("rank") <= holdout[F.col("label")]))
    return {tuple(r) for r in picked.select("label", "doc_id", "holdout").collect()}


@pytest.mark.spark
@pytest.mark.parametrize(("max_docs", "balance", "rounding", "max_boundary"), [
    (700, False, None, 50_000),  # one round: both classes cut
    (None, True, 3, 5)])  # hq whole, cc cut to 1300 over equal keys, narrowed in many rounds
def test_sample_equals_the_window_and_ranks_no_class_in_one_task(
        spark, monkeypatch, max_docs, balance, rounding, max_boundary):
    monkeypatch.setattr(sampling, "MAX_BOUNDARY_ROWS", max_boundary)
    lines = _lines(spark, 7, rounding).persist()
    try:
        available = {r["label"]: r["count"] for r in lines.groupBy("label").count().collect()}
        sizes = training.class_sample_sizes(available, max_docs, balance)
        holdouts = {k: training.holdout_size(n, 0.1) for k, n in sizes.items()}
        selected = select_samples(lines, available, sizes, holdouts)
        plan = selected._jdf.queryExecution().executedPlan().toString()
        # No window, no shuffle beyond the input's own: the 7 input tasks each filter their rows.
        assert "Window" not in plan
        assert plan.count("Exchange") == lines._jdf.queryExecution().executedPlan(
            ).toString().count("Exchange")
        assert selected.rdd.getNumPartitions() == 7
        got = {tuple(r) for r in selected.select("label", "doc_id", "holdout").collect()}
        assert got == _window_oracle(lines, sizes, holdouts)
        assert {label: sum(1 for g in got if g[0] == label) for label in sizes} == sizes
        other = _lines(spark, 3, rounding)  # the same rows, partitioned otherwise
        again = select_samples(other, available, sizes, holdouts)
        assert {tuple(r) for r in again.select("label", "doc_id", "holdout").collect()} == got
    finally:
        lines.unpersist()

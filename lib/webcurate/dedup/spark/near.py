"""The near-duplicate stage: band buckets -> candidate edges -> components -> survivors.

Stage times are taken where the work is materialised: ``banding`` ends when the candidate
edges are checkpointed, ``components`` when the labels are. Stats are aggregations over the
checkpointed tables (bucket counts, the largest bucket, candidate and verified pairs).
"""

from __future__ import annotations

from webcurate.dedup.spark import minhash as sm
from webcurate.dedup.spark.components import connected_components
from webcurate.dedup.spark.survivors import component_duplicates


def bucket_stats(multi_buckets, hot_bucket_size: int) -> dict:
    """Shared band buckets, the largest one and how many exceed ``hot_bucket_size``."""
    from pyspark.sql import functions as F

    row = multi_buckets.agg(
        F.count(F.lit(1)).alias("shared"), F.max("size").alias("largest"),
        F.sum((F.col("size") > hot_bucket_size).cast("long")).alias("hot")).first()
    return {"band_buckets_shared": int(row["shared"]), "largest_bucket": int(row["largest"] or 0),
            "hot_buckets": int(row["hot"] or 0)}


def candidate_edges(run, candidates) -> object:
    """Checkpointed ``(a, b)`` edges of the candidate graph (verified when configured)."""
    from pyspark.sql import functions as F

    minhash = run.config.minhash
    rows = sm.band_rows(candidates)
    multi = run.checkpoint(sm.buckets(rows))
    run.stats.update(bucket_stats(multi, minhash.hot_bucket_size))
    pairs = sm.candidate_pairs(rows, multi, minhash.verify, minhash.hot_bucket_size)
    if not minhash.verify:
        edges = run.checkpoint(pairs)
        run.stats["candidate_pairs"] = edges.count()
        return edges
    scored = run.checkpoint(sm.pair_jaccard(pairs, candidates.select("node", "shingle_set")))
    counts = scored.agg(F.count(F.lit(1)).alias("pairs"), F.sum(
        (F.col("jaccard") >= minhash.verify_threshold).cast("long")).alias("kept")).first()
    run.stats["candidate_pairs"] = int(counts["pairs"])
    run.stats["verified_pairs"] = int(counts["kept"] or 0)
    return scored.where(F.col("jaccard") >= minhash.verify_threshold).select("a", "b")


def near_duplicates(run, remaining, shared_nodes: list[int]):
    """Near duplicates among ``remaining`` features, as ``DUPLICATE_COLUMNS`` rows."""
    from pyspark.sql import functions as F

    candidates = remaining.where(F.col("shingles") > 0)
    if shared_nodes:
        candidates = candidates.where(~F.col("node").isin(shared_nodes))
    # Banding, survivors and verification all read them: computed once (after exact dedup).
    candidates = run.persist(candidates.select("node", "doc_id", "rank", "bands", "shingle_set"))
    with run.timer("banding"):
        edges = candidate_edges(run, candidates)
    with run.timer("components"):
        components = connected_components(edges, run.config.components.max_iterations,
                                          run.checkpoint)
    run.stats["near_components"] = components.components
    run.stats["cc_iterations"] = components.iterations
    info = candidates.select("node", "doc_id", "rank")
    near = component_duplicates(components.labels, info)
    if run.config.minhash.verify:
        to_survivor = near.select(F.col("node").alias("a"), F.col("survivor_node").alias("b"))
        scored = sm.pair_jaccard(to_survivor, candidates.select("node", "shingle_set"))
        near = near.join(scored.select(F.col("a").alias("node"), "jaccard"), "node", "left")
    else:
        near = near.withColumn("jaccard", F.lit(None).cast("double"))
    return near.select("doc_id", F.lit("near").alias("kind"), "cluster_id", "survivor_id",
                       "jaccard")

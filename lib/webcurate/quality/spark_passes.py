"""The quality job's Spark passes: score once, decide, write each output, count.

Called by :func:`webcurate.jobs.quality.run_quality` inside ``commit_run``: ``file_prefix``
names this run's files in every dataset. Two plans, chosen by what the decision needs:

- *one pass*: no percentile and every document lands in a written dataset (mode ``none``, or
  ``threshold`` / ``pareto`` with ``write_rejected``): the outputs are written straight from
  the scoring pass and the counts are read back from the written Parquet (small columns only);
- *persisted*: percentiles (``top_percent``, buckets) or counts of unwritten documents need the
  scores twice, so the scored frame is persisted first; the quantile aggregation materialises
  it, and every later pass (outputs, counts) reads it instead of running fastText again.
"""

from __future__ import annotations

from webcurate.io import storage as st
from webcurate.io.datasets import read_parquet, write_dataset_files
from webcurate.quality.decide import quantile_for_top_percent
from webcurate.quality.spark_decide import (
    BUCKET_COLUMN,
    KEEP_COLUMN,
    STATS_QUANTILES,
    attach_thresholds,
    bucket_expression,
    global_quantiles,
    keep_expression,
    score_stats,
)
from webcurate.quality.spark_scoring import PARETO_DRAW_COLUMN, SCORE_COLUMN, score_documents

KEEP_THRESHOLD = "_quality_keep_threshold"
BUCKET_LOW = "_quality_bucket_low"
BUCKET_HIGH = "_quality_bucket_high"


def needs_persist(config) -> bool:
    """True when the scores are needed again after the outputs are written (module docstring)."""
    needs_quantiles = config.decision.mode == "top_percent" or config.buckets.enabled
    unwritten = config.decision.mode != "none" and not config.write_rejected
    return needs_quantiles or unwritten


def _quantile_plan(config) -> tuple[list[float], dict]:
    """Every quantile one global aggregation computes, and which of them each rule uses."""
    wanted = list(STATS_QUANTILES)
    uses = {}
    if config.decision.mode == "top_percent" and config.decision.top_percent < 100.0:
        uses["keep"] = [quantile_for_top_percent(config.decision.top_percent)]
    if config.buckets.enabled:
        uses["buckets"] = [p / 100.0 for p in config.buckets.percentiles]
    for quantiles in uses.values():
        wanted += [q for q in quantiles if q not in wanted]
    return wanted, uses


def decide(scored, config, global_q: list | None, wanted: list[float], uses: dict):
    """``scored`` plus the keep flag and the bucket; stats of the thresholds; tables to free."""
    from pyspark.sql import functions as F

    def global_values(quantiles):
        return None if global_q is None else [global_q[wanted.index(q)] for q in quantiles]

    thresholds, tables = {}, []
    df = scored
    if "keep" in uses:
        df, thresholds["keep"], table = attach_thresholds(
            df, [KEEP_THRESHOLD], uses["keep"], config.decision.group_by,
            config.percentile_accuracy, config.decision.min_group_docs,
            global_values(uses["keep"]))
        tables.append(table)
    elif config.decision.mode == "top_percent":
        df = df.withColumn(KEEP_THRESHOLD, F.lit(None).cast("double"))  # k = 100: keep all
    df = df.withColumn(KEEP_COLUMN, keep_expression(
        config.decision.mode, config.decision.min_score, KEEP_THRESHOLD))
    if "buckets" in uses:
        df, thresholds["buckets"], table = attach_thresholds(
            df, [BUCKET_LOW, BUCKET_HIGH], uses["buckets"], config.buckets.group_by,
            config.percentile_accuracy, config.buckets.min_group_docs,
            global_values(uses["buckets"]))
        tables.append(table)
        df = df.withColumn(BUCKET_COLUMN, bucket_expression(BUCKET_LOW, BUCKET_HIGH))
    return df, thresholds, [t for t in tables if t is not None]


def output_columns(scored, config) -> list[str]:
    columns = [c for c in scored.columns if c != PARETO_DRAW_COLUMN]
    return columns + ([BUCKET_COLUMN] if config.buckets.enabled else [])


def write_outputs(decided, columns: list[str], config, file_prefix: str) -> dict:
    """Each requested dataset from ``decided``; returns rows written per dataset."""
    from pyspark.sql import functions as F

    targets = {"kept": F.col(KEEP_COLUMN)}
    if config.write_rejected:
        targets["rejected"] = ~F.col(KEEP_COLUMN)
    if config.buckets.enabled:
        for name in ("head", "middle", "tail"):
            targets[f"buckets/{name}"] = F.col(BUCKET_COLUMN) == F.lit(name)
    written = {}
    for name, condition in targets.items():
        uri = st.join_uri(config.output, name)
        decided.sparkSession.sparkContext.setJobDescription(f"quality: write {name}")
        write_dataset_files(decided.filter(condition).select(*columns), uri, file_prefix,
                            config.storage)
        written[name] = uri
    return written


def read_back(written: dict, config, spark):
    """The written kept/ (and rejected/) as one frame of the columns the counts need."""
    from pyspark.sql import functions as F

    frames = []
    for name, keep in (("kept", True), ("rejected", False)):
        if name in written:
            df = read_parquet(spark, written[name], config.storage)
            columns = [SCORE_COLUMN] + (["language"] if "language" in df.columns else [])
            frames.append(df.select(*columns).withColumn(KEEP_COLUMN, F.lit(keep)))
    return frames[0] if len(frames) == 1 else frames[0].unionByName(frames[1])


def score_and_decide(docs, plan, config, file_prefix: str) -> dict:
    """Score every document once, decide, write the outputs; return the run's stats."""
    from pyspark import StorageLevel

    spark = docs.sparkSession
    scored = score_documents(docs, plan)
    columns = output_columns(scored, config)
    wanted, uses = _quantile_plan(config)
    persisted = needs_persist(config)
    tables = []
    if persisted:
        scored = scored.persist(getattr(StorageLevel, config.persist_level))
    try:
        global_q = None
        if persisted:
            spark.sparkContext.setJobDescription("quality: score and compute percentiles")
            global_q, _ = global_quantiles(scored, wanted, config.percentile_accuracy)
        decided, thresholds, tables = decide(scored, config, global_q, wanted, uses)
        written = write_outputs(decided, columns, config, file_prefix)
        spark.sparkContext.setJobDescription("quality: counts")
        counted = decided if persisted else read_back(written, config, spark)
        if not persisted:
            global_q, _ = global_quantiles(counted, wanted, config.percentile_accuracy)
        stats = score_stats(counted, config.histogram_bins, config.buckets.enabled and persisted,
                            by_language="language" in counted.columns)
    finally:
        for table in tables:
            table.unpersist()
        if persisted:
            scored.unpersist()
    quantiles = {f"p{round(q * 100, 4):g}": (None if global_q is None else global_q[i])
                 for i, q in enumerate(STATS_QUANTILES)}
    return {**stats, "score_quantiles": quantiles, "thresholds": thresholds,
            "decision": config.decision.mode, "outputs": sorted(written),
            "normalization": plan.normalization.__dict__}

"""The quality job's Spark passes: score, decide, write every output in one job, count.

Called by :func:`webcurate.jobs.quality.run_quality` inside ``commit_run``: ``file_prefix``
names this run's files in every dataset. Every output (``kept/``, ``rejected/``,
``buckets/head|middle|tail/``) comes from one routed write
(:func:`webcurate.io.routed.write_routed_datasets`): a document goes to kept or rejected and,
with buckets, to its bucket too (the row is repeated inside its task, never shuffled). Nothing
ever persists the text. Two plans, chosen by what the decision needs:

- *one pass* (``none``, ``threshold``, ``pareto``; no buckets): a document's outcome depends on
  itself only, so the scoring pass writes. The counts are read back from the written Parquet
  (small columns only). Rejected documents that are not to be written go to a scratch dataset
  with every column but the score and language blanked, read for the counts and deleted: their
  scores are counted without a second pass over the corpus.
- *two passes* (``top_percent``, buckets): percentiles need every score before the first
  document is placed. Pass one scores and persists only the small frame (score, language, the
  group keys, the Pareto draw); quantiles, per-group thresholds and the counts are aggregations
  over it. Pass two scores again and writes, the thresholds reaching it by broadcast. fastText
  predict is deterministic (same text, model and normalisation: the same float), and a second
  scoring pass costs less than caching and rereading the corpus with its text.
"""

from __future__ import annotations

from webcurate.io import storage as st
from webcurate.io.datasets import read_parquet
from webcurate.quality.decide import quantile_for_top_percent
from webcurate.quality.spark.decide import (
    BUCKET_COLUMN,
    KEEP_COLUMN,
    STATS_QUANTILES,
    attach_thresholds,
    bucket_expression,
    global_quantiles,
    group_thresholds,
    keep_expression,
    score_stats,
    with_group_column,
)
from webcurate.quality.spark.scoring import PARETO_DRAW_COLUMN, SCORE_COLUMN, score_documents

KEEP_THRESHOLD = "_quality_keep_threshold"
BUCKET_LOW = "_quality_bucket_low"
BUCKET_HIGH = "_quality_bucket_high"
ROUTE_COLUMN = "_quality_route"
#: Route ids of the datasets (the routed writer's keys).
ROUTES = {"kept": 0, "rejected": 1, "buckets/head": 2, "buckets/middle": 3, "buckets/tail": 4}
UNWRITTEN = 5
#: Scratch dataset (under the output prefix) for the scores of rejected documents not written.
UNWRITTEN_DATASET = "_unwritten_scores"
#: Columns a scratch row keeps: what the counts read.
COUNTED_COLUMNS = (SCORE_COLUMN, "language")
#: The group key column of each rule, in the small frame and in the writing pass.
GROUP_COLUMNS = {"keep": "_quality_group_keep", "buckets": "_quality_group_buckets"}


def needs_percentiles(config) -> bool:
    """True when a decision needs every score before any document is placed (module docstring)."""
    return config.decision.mode == "top_percent" or config.buckets.enabled


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


def output_columns(scored, config) -> list[str]:
    columns = [c for c in scored.columns if c != PARETO_DRAW_COLUMN]
    return columns + ([BUCKET_COLUMN] if config.buckets.enabled else [])


def dataset_routes(config, unwritten: bool) -> dict[int, str]:
    """Route id -> dataset URI for this run's outputs (and the scratch dataset if asked)."""
    names = ["kept"] + (["rejected"] if config.write_rejected else [])
    names += ["buckets/head", "buckets/middle", "buckets/tail"] if config.buckets.enabled else []
    routes = {ROUTES[name]: st.join_uri(config.output, name) for name in names}
    if unwritten:
        routes[UNWRITTEN] = st.join_uri(config.output, UNWRITTEN_DATASET)
    return routes


def decide(df, config, rules: dict):
    """``df`` (scored, with the rules' group columns) plus the keep flag and the bucket."""
    from pyspark.sql import functions as F

    if "keep" in rules:
        df = attach_thresholds(df, rules["keep"])
    elif config.decision.mode == "top_percent":
        df = df.withColumn(KEEP_THRESHOLD, F.lit(None).cast("double"))  # k = 100: keep all
    df = df.withColumn(KEEP_COLUMN, keep_expression(
        config.decision.mode, config.decision.min_score, KEEP_THRESHOLD))
    if "buckets" in rules:
        df = attach_thresholds(df, rules["buckets"])
        df = df.withColumn(BUCKET_COLUMN, bucket_expression(BUCKET_LOW, BUCKET_HIGH))
    return df


def routed_rows(decided, columns: list[str], config, unwritten: bool):
    """One row per (document, dataset it goes to), with ``ROUTE_COLUMN``; a scratch row keeps
    only the counted columns."""
    from pyspark.sql import functions as F

    rejected = (F.lit(ROUTES["rejected"]) if config.write_rejected else
                F.lit(UNWRITTEN) if unwritten else F.lit(None))
    targets = [F.when(F.col(KEEP_COLUMN), F.lit(ROUTES["kept"])).otherwise(rejected)]
    if config.buckets.enabled:
        targets.append(F.when(F.col(BUCKET_COLUMN) == "head", F.lit(ROUTES["buckets/head"]))
                       .when(F.col(BUCKET_COLUMN) == "middle", F.lit(ROUTES["buckets/middle"]))
                       .otherwise(F.lit(ROUTES["buckets/tail"])))
    routes = F.filter(F.array(*targets), lambda route: route.isNotNull())
    exploded = decided.select(*columns, F.explode(routes).alias(ROUTE_COLUMN))
    if not unwritten:
        return exploded
    scratch = F.col(ROUTE_COLUMN) == F.lit(UNWRITTEN)
    types = dict(exploded.dtypes)
    return exploded.select(
        *[c if c in COUNTED_COLUMNS else
          F.when(scratch, F.lit(None).cast(types[c])).otherwise(F.col(c)).alias(c)
          for c in columns], ROUTE_COLUMN)


def write_all(decided, columns: list[str], config, file_prefix: str, unwritten: bool) -> dict:
    """Every output in one Spark job; returns route id -> dataset URI."""
    from webcurate.io.routed import write_routed_datasets  # imports pyspark

    routes = dataset_routes(config, unwritten)
    decided.sparkSession.sparkContext.setJobDescription(
        f"quality: write {', '.join(sorted(u.rsplit('/', 1)[-1] for u in routes.values()))}")
    write_routed_datasets(routed_rows(decided, columns, config, unwritten), ROUTE_COLUMN,
                          routes, file_prefix, config.storage)
    return routes


def read_back(routes: dict, spark, storage):
    """The written kept/ and rejected/ (or scratch) rows, only the columns the counts need."""
    from pyspark.sql import functions as F

    frames = []
    for route, keep in ((ROUTES["kept"], True), (ROUTES["rejected"], False), (UNWRITTEN, False)):
        if route in routes:
            df = read_parquet(spark, routes[route], storage)
            columns = [SCORE_COLUMN] + (["language"] if "language" in df.columns else [])
            frames.append(df.select(*columns).withColumn(KEEP_COLUMN, F.lit(keep)))
    counted = frames[0]
    for other in frames[1:]:
        counted = counted.unionByName(other)
    return counted


def delete_dataset(spark, uri: str, storage) -> None:
    """Remove a scratch dataset, on whichever store holds it (the storage interface)."""
    st.delete_prefix(uri, storage)


def one_pass(docs, plan, config, file_prefix: str) -> tuple[dict, dict, list | None, dict]:
    """Score, decide and write in one job; counts read back from what was written."""
    spark = docs.sparkSession
    scored = score_documents(docs, plan)
    unwritten = config.decision.mode != "none" and not config.write_rejected
    scratch = st.join_uri(config.output, UNWRITTEN_DATASET)
    if unwritten:
        delete_dataset(spark, scratch, config.storage)  # a killed run's leftovers
    try:
        routes = write_all(decide(scored, config, {}), output_columns(scored, config), config,
                           file_prefix, unwritten)
        spark.sparkContext.setJobDescription("quality: counts")
        counted = read_back(routes, spark, config.storage)
        wanted, _ = _quantile_plan(config)
        global_q, _ = global_quantiles(counted, wanted, config.percentile_accuracy)
        stats = score_stats(counted, config.histogram_bins, False,
                            by_language="language" in counted.columns)
    finally:
        if unwritten:
            delete_dataset(spark, scratch, config.storage)
    return stats, {}, global_q, routes


def scores_frame(docs, plan, rules_group_by: dict[str, str]):
    """Pass one: the small frame of scores (score, language, group keys, Pareto draw), never
    the text; the documents are read with only the columns scoring and grouping need."""
    needed = ["doc_id", "text"] + [c for c in ("language", "url") if c in docs.columns]
    scored = score_documents(docs.select(*needed), plan)
    for rule, group_by in rules_group_by.items():
        scored = with_group_column(scored, group_by, GROUP_COLUMNS[rule])
    small = [c for c in (SCORE_COLUMN, "language", PARETO_DRAW_COLUMN) if c in scored.columns]
    return scored.select(*small, *[GROUP_COLUMNS[r] for r in rules_group_by
                                   if rules_group_by[r] != "none"])


def two_passes(docs, plan, config, file_prefix: str) -> tuple[dict, dict, list | None, dict]:
    """Scores persisted without text, thresholds and counts from them, then one writing pass."""
    from pyspark import StorageLevel

    spark = docs.sparkSession
    wanted, uses = _quantile_plan(config)
    settings = {"keep": config.decision, "buckets": config.buckets}
    rules_group_by = {rule: settings[rule].group_by for rule in uses}
    small = scores_frame(docs, plan, rules_group_by).persist(
        getattr(StorageLevel, config.persist_level))
    rules, thresholds = {}, {}
    try:
        spark.sparkContext.setJobDescription("quality: score and compute percentiles")
        global_q, _ = global_quantiles(small, wanted, config.percentile_accuracy)
        names = {"keep": [KEEP_THRESHOLD], "buckets": [BUCKET_LOW, BUCKET_HIGH]}
        for rule, quantiles in uses.items():
            rules[rule], thresholds[rule] = group_thresholds(
                small, names[rule], quantiles, rules_group_by[rule], GROUP_COLUMNS[rule],
                config.percentile_accuracy, settings[rule].min_group_docs,
                settings[rule].max_groups,
                None if global_q is None else [global_q[wanted.index(q)] for q in quantiles])
        spark.sparkContext.setJobDescription("quality: counts")
        stats = score_stats(decide(small, config, rules), config.histogram_bins,
                            config.buckets.enabled, by_language="language" in small.columns)
        scored = score_documents(docs, plan)
        grouped = scored
        for rule in rules.values():
            grouped = with_group_column(grouped, rule.group_by, rule.group_column)
        routes = write_all(decide(grouped, config, rules), output_columns(scored, config),
                           config, file_prefix, unwritten=False)
    finally:
        for rule in rules.values():
            if rule.table is not None:
                rule.table.unpersist()
        small.unpersist()
    return stats, thresholds, global_q, routes


def score_and_decide(docs, plan, config, file_prefix: str) -> dict:
    """Score, decide, write the outputs in one job; return the run's stats."""
    passes = two_passes if needs_percentiles(config) else one_pass
    stats, thresholds, global_q, routes = passes(docs, plan, config, file_prefix)
    quantiles = {f"p{round(q * 100, 4):g}": (None if global_q is None else global_q[i])
                 for i, q in enumerate(STATS_QUANTILES)}
    return {**stats, "score_quantiles": quantiles, "thresholds": thresholds,
            "decision": config.decision.mode,
            "outputs": sorted(name for name, route in ROUTES.items() if route in routes),
            "normalization": plan.normalization.__dict__}

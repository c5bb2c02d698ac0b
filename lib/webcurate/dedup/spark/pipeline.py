"""The dedup job's stages on Spark, in order; every count comes from an aggregation.

1. **ids**: ``doc_id`` must be unique (a repeated one is an InputError); ``node`` is the
   64-bit ``xxhash64(doc_id)`` used as the graph's vertex id (cheap to shuffle and compare).
   Two distinct ``doc_id`` s with the same node (expected ~0.03 times in 10^9 documents) are
   counted and left out of near dedup rather than merged.
2. **signatures**: one ``mapInArrow`` pass (:mod:`.minhash`) -> exact keys, band keys,
   shingle sets; persisted, as every later stage reads it. The file scan is asked for at least
   one split per core (:func:`webcurate.spark.scan_at_least`) instead of repartitioning the text.
3. **url** / **exact**: groups of equal url / exact key, survivor by rule (:mod:`.survivors`).
4. **banding** -> **components** -> near duplicates (minhash mode), or line dedup (lines mode).
5. **filtering**: ``duplicates/`` is written, read back, and ``kept/`` is the input minus those
   ids (plus rewritten texts in lines mode), filtered in the input's own splits by
   :mod:`.removal`: no document text goes through a shuffle, whatever the number of duplicates.

Nothing is collected to the driver but counts, the cluster-size histogram (one row per power
of two), the ids that share a node (at most ``MAX_SHARED_NODES``, more fail the job) and
:mod:`.removal`'s Bloom filter (1.5 bytes per removed document) and its false positives.
"""

from __future__ import annotations

import contextlib
import functools
import time
from dataclasses import dataclass, field

from webcurate.config import ConfigError
from webcurate.dedup.lsh import s_curve_midpoint
from webcurate.dedup.signatures import SignatureSpec
from webcurate.dedup.spark import minhash as sm
from webcurate.dedup.spark.components import CheckpointChoice, Checkpointer
from webcurate.dedup.spark.removal import plan_removal
from webcurate.dedup.spark.survivors import (
    DUPLICATE_COLUMNS,
    c4_url_key,
    group_duplicates,
    newest_rank,
    rank_column,
    resolve_survivors,
)
from webcurate.documents import malformed_stats, read_document_files, well_formed
from webcurate.io import storage as st
from webcurate.io.datasets import read_parquet, write_dataset_files
from webcurate.io.inputs import InputError
from webcurate.spark import scan_at_least

MAX_SHARED_NODES = 10_000
DUPLICATES_DDL = "doc_id string, kind string, cluster_id string, survivor_id string, jaccard double"


class StageTimer:
    """Wall seconds per named stage (a stage may be entered more than once)."""

    def __init__(self):
        self.seconds: dict[str, float] = {}

    @contextlib.contextmanager
    def __call__(self, stage: str):
        started = time.perf_counter()
        try:
            yield
        finally:
            spent = time.perf_counter() - started
            self.seconds[stage] = round(self.seconds.get(stage, 0.0) + spent, 3)


@dataclass
class Run:
    """What the stages of one run share."""

    spark: object
    config: object  # DedupJobConfig
    plan: object  # DedupPlan
    checkpoint: Checkpointer
    timer: StageTimer = field(default_factory=StageTimer)
    stats: dict = field(default_factory=dict)
    cached: list = field(default_factory=list)

    def persist(self, df):
        from pyspark import StorageLevel

        df = df.persist(StorageLevel.MEMORY_AND_DISK)
        self.cached.append(df)
        return df

    def removal(self, removed, ids, shared_nodes: list[int], purpose: str):
        """:func:`.removal.plan_removal` of ``removed(doc_id)`` among ``ids(doc_id, node)``;
        its broadcasts are released with the cached frames, its counts go to the stats."""
        removal = plan_removal(self.spark, removed, ids, shared_nodes)
        self.cached += [b for b in (removal.bloom, removal.rescued) if b is not None]
        self.stats.setdefault("removal", {})[purpose] = removal.stats
        return removal


def check_doc_ids(base) -> tuple[int, list[int]]:
    """``(documents, nodes shared by distinct doc_ids)``; the shared nodes are left out of near
    dedup, and a repeated doc_id fails the job."""
    from pyspark.sql import functions as F

    per_node = base.groupBy("node").agg(F.count(F.lit(1)).alias("rows"))
    totals = per_node.agg(F.coalesce(F.sum("rows"), F.lit(0)).alias("documents"),
                          F.count(F.when(F.col("rows") > 1, 1)).alias("shared")).first()
    documents = int(totals["documents"])
    if not totals["shared"]:
        return documents, []
    shared = per_node.where(F.col("rows") > 1).limit(MAX_SHARED_NODES + 1)
    nodes = [row["node"] for row in shared.collect()]
    ids = (base.where(F.col("node").isin(nodes[:MAX_SHARED_NODES]))
           .groupBy("node", "doc_id").agg(F.count(F.lit(1)).alias("rows")).collect())
    repeated = sorted((row["doc_id"], row["rows"]) for row in ids if row["rows"] > 1)
    if repeated:
        doc_id, rows = repeated[0]
        raise InputError(f"doc_id '{doc_id}' occurs {rows} times in the input "
                         f"({len(repeated)} such ids or more): dedup needs one row per doc_id")
    if len(nodes) > MAX_SHARED_NODES:
        # Not chance (~0.03 expected in 10^9 ids): ids built to collide. Only the listed
        # nodes are kept apart, so the others would merge documents: refuse instead.
        raise InputError(f"{totals['shared']} xxhash64 values are shared by distinct doc_ids "
                         f"(more than {MAX_SHARED_NODES}): are the doc_ids adversarial?")
    return documents, sorted({row["node"] for row in ids})


def base_columns(docs, config, steps):
    """``doc_id, node, rank, [url, url_rank], text``: what the signature stage reads."""
    from pyspark.sql import functions as F

    survivor = config.survivor
    columns = [F.col("doc_id"), F.xxhash64("doc_id").alias("node"),
               rank_column(survivor.rule, survivor.score_column, survivor.date_column,
                           docs.schema).alias("rank")]
    if "url" in steps:
        if "url" not in docs.columns:
            raise ConfigError("config key 'url_dedup': the input has no 'url' column")
        url = F.col("url").cast("string")
        columns += [(c4_url_key(url) if survivor.url_key == "c4" else url).alias("url"),
                    newest_rank(survivor.date_column, docs.schema,
                                "survivor.date_column").alias("url_rank")]
    if config.minhash.per_language or config.minhash.language_words:  # FineWeb-2: per language
        if "language" not in docs.columns:
            raise ConfigError("config key 'minhash.per_language' / 'minhash.language_words': "
                              "the input has no 'language' column")
        columns.append(F.col("language").cast("string").alias("language"))
    return docs.select(*columns, F.col("text").cast("string").alias("text"))


def signature_spec(config, plan) -> SignatureSpec:
    m = config.minhash
    near = "near" in plan.steps
    return SignatureSpec(normalize=config.normalize, ngram=m.ngram, num_perm=m.num_perm,
                         bands=plan.bands, rows=plan.rows, seed=m.seed, scheme=m.scheme,
                         shingle_hash=m.shingle_hash, with_bands=near,
                         with_sets=near and m.verify, per_language=m.per_language,
                         language_words=m.language_words)


def spread_over_cores(spark, df):
    """``df`` in at least as many partitions as the cluster has cores. The scan is already
    asked for that many splits (:func:`produce`); fewer remain only when the whole input is
    one unsplittable split (one Parquet row group, one gzip file): then that one split's text
    is repartitioned, a shuffle bounded by one file, so that the signatures use every core."""
    cores = spark.sparkContext.defaultParallelism
    return df.repartition(cores) if df.rdd.getNumPartitions() < cores else df


def without(df, duplicates):
    return df.join(duplicates.select("doc_id"), "doc_id", "left_anti")


def group_steps(run: Run, features) -> tuple[list, object]:
    """URL then exact dedup: ``(duplicate DataFrames, remaining features)``; lazy, their work
    runs inside the next materialised stage."""
    from pyspark.sql import functions as F

    found, remaining = [], features
    if "url" in run.plan.steps:
        rows = remaining.where(F.col("url").isNotNull()).select(
            "doc_id", "url", F.col("url_rank").alias("rank"))
        found.append(group_duplicates(rows, "url", "url"))
        remaining = without(remaining, found[-1])
    if "exact" in run.plan.steps:
        rows = remaining.select("doc_id", "exact_key", "rank")
        found.append(group_duplicates(rows, "exact_key", "exact"))
        remaining = without(remaining, found[-1])
    return found, remaining


def _histogram_label(exponent: int) -> str:
    return "2" if exponent <= 1 else f"{2 ** (exponent - 1) + 1}-{2 ** exponent}"


def duplicate_stats(written) -> dict:
    """Counts by kind, clusters (kept documents with duplicates) and their size histogram
    (a cluster is the survivor plus the documents removed in its favour), from aggregations."""
    from pyspark.sql import functions as F

    by_kind = {row["kind"]: row["n"] for row in
               written.groupBy("kind").agg(F.count(F.lit(1)).alias("n")).collect()}
    sizes = (written.where(F.col("survivor_id").isNotNull()).groupBy("survivor_id")
             .agg((F.count(F.lit(1)) + 1).alias("size")))
    bins = (sizes.groupBy(F.ceil(F.log2("size")).cast("int").alias("exponent"))
            .agg(F.count(F.lit(1)).alias("clusters"), F.max("size").alias("largest"))
            .orderBy("exponent").collect())
    return {
        "url_duplicates": int(by_kind.get("url", 0)),
        "exact_duplicates": int(by_kind.get("exact", 0)),
        "near_duplicates": int(by_kind.get("near", 0)),
        "too_short_after_lines": int(by_kind.get("too_short_after_lines", 0)),
        "clusters": sum(int(row["clusters"]) for row in bins),
        "largest_cluster": max((int(row["largest"]) for row in bins), default=0),
        "cluster_size_histogram": {_histogram_label(row["exponent"]): int(row["clusters"])
                                   for row in bins},
    }


def write_outputs(run: Run, docs, ids, duplicates, shared_nodes: list[int], dataset_uri: str,
                  file_prefix: str, lines=None) -> dict:
    """``duplicates/`` first, then ``kept/`` = input minus those ids, filtered where the
    documents are (:mod:`.removal`; ``ids(doc_id, node)`` are the input's); in lines mode the
    documents that lost units are replaced by their rewritten rows. The duplicate stats."""
    from webcurate.dedup.spark.lines import too_short

    storage = run.config.storage
    with run.timer("filtering"):
        files = write_dataset_files(duplicates.select(*DUPLICATE_COLUMNS),
                                    st.join_uri(dataset_uri, "duplicates"), file_prefix, storage)
        written = read_parquet(run.spark, files, storage)
        removed = written.select("doc_id")
        if lines is not None:
            removed = removed.unionByName(lines.changed.select("doc_id"))
        kept = run.removal(removed, ids, shared_nodes, "kept").without(docs)
        if lines is not None:
            long_enough = ~too_short(run.config.lines)
            kept = kept.unionByName(lines.rewritten.where(long_enough).select(*docs.columns))
        write_dataset_files(kept.select(*docs.columns), st.join_uri(dataset_uri, "kept"),
                            file_prefix, storage)
    return duplicate_stats(written)


def _stages(run: Run, docs, base, shared_nodes: list[int]):
    """All dedup steps of the plan: ``(duplicate DataFrames, LineEdits or None)``."""
    from webcurate.dedup.spark.lines import line_dedup
    from webcurate.dedup.spark.near import near_duplicates

    steps = run.plan.steps
    found, lines = [], None
    if {"url", "exact", "near"} & set(steps):
        spread = spread_over_cores(run.spark, base)
        features = run.persist(sm.doc_features(spread, signature_spec(run.config, run.plan)))
        with run.timer("signatures"):
            features.count()
        found, remaining = group_steps(run, features)
        if "near" in steps:
            found.append(near_duplicates(run, remaining, shared_nodes))
    if "lines" in steps:
        for_lines = base
        if found:  # line dedup sees only the url / exact survivors (no text moves)
            earlier = run.checkpoint(functools.reduce(
                lambda a, b: a.unionByName(b), [f.select("doc_id") for f in found]))
            removal = run.removal(earlier, base.select("doc_id", "node"), shared_nodes,
                                  "before_lines")
            for_lines = removal.without(base)
        lines = line_dedup(run, for_lines, docs, shared_nodes)
        found.append(lines.short)
    return found, lines


def produce(spark, config, plan, files: list[str], dataset_uri: str, file_prefix: str,
            checkpoints: CheckpointChoice) -> dict:
    """Run the plan on the input ``files`` and write ``kept/`` and ``duplicates/`` under
    ``dataset_uri``; the stats."""
    run = Run(spark, config, plan, Checkpointer(spark, checkpoints.directory,
                                                owns_directory=checkpoints.owned))
    run.stats["checkpoints"] = "reliable" if checkpoints.directory else "executor-local"
    if checkpoints.warning:
        run.stats["checkpoint_warning"] = checkpoints.warning
    try:
        with scan_at_least(spark, spark.sparkContext.defaultParallelism):
            docs = read_document_files(spark, files, config.storage, described_as=config.input,
                                       keep_malformed=True)
            malformed = malformed_stats(docs)  # JSONL only: one parse pass
            docs = well_formed(docs)
            base = base_columns(docs, config, plan.steps)  # a missing column fails here
            with run.timer("ids"):
                documents_in, shared_nodes = check_doc_ids(base.select("doc_id", "node"))
            found, lines = _stages(run, docs, base, shared_nodes)
            duplicates = (resolve_survivors(found) if found
                          else spark.createDataFrame([], DUPLICATES_DDL))
            counts = write_outputs(run, docs, base.select("doc_id", "node"), duplicates,
                                   shared_nodes, dataset_uri, file_prefix, lines)
    finally:
        for df in run.cached:
            df.unpersist()
        run.checkpoint.close()
    removed = sum(counts[k] for k in ("url_duplicates", "exact_duplicates", "near_duplicates",
                                      "too_short_after_lines"))
    stats = {"mode": config.mode, "steps": list(plan.steps), "documents_in": documents_in,
             **counts, "documents_kept": documents_in - removed, "node_id_collisions":
             len(shared_nodes), **malformed, **run.stats}
    if "near" in plan.steps:
        stats["minhash"] = minhash_summary(config, plan)
    stats["seconds"] = run.timer.seconds
    return stats


def minhash_summary(config, plan) -> dict:
    """The MinHash parameters a run used, for its stats."""
    m = config.minhash
    return {"ngram": m.ngram, "num_perm": m.num_perm, "bands": plan.bands, "rows": plan.rows,
            "bands_rows_from": plan.bands_rows_from, "seed": m.seed, "scheme": m.scheme,
            "shingle_hash": m.shingle_hash,
            "s_curve_midpoint": round(s_curve_midpoint(plan.bands, plan.rows), 4),
            "verify": m.verify, "verify_threshold": m.verify_threshold if m.verify else None}

"""The substring job: RefinedWeb's exact-substring dedup (Penedo et al. 2023, section 3.3;
Lee et al. 2022, google-research/deduplicate-text-datasets).

Every span of at least ``substring.min_tokens`` words (50) that occurs twice in the corpus, in
two documents or twice in one, is cut from every copy; documents left with fewer than
``substring.min_doc_words`` words (1: the emptied ones) are dropped. Exact up to 64-bit hash
collisions (:mod:`webcurate.substring.windows`); the Spark plan is :mod:`webcurate.substring.spark`.

Outputs under ``output``: ``kept/`` (every input column, cut texts in place), ``changed/``
(``doc_id``, ``spans``, ``chars_removed``, ``tokens_removed``, ``tokens_left``, ``dropped``: one
row per document that lost text), ``stats.json``, ``config.yaml``; committed once per inputs +
settings (:func:`webcurate.jobs.common.commit_run`), so a rerun returns the committed stats.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from webcurate.config import ConfigError, option, to_dict
from webcurate.documents import document_files
from webcurate.io import storage as st
from webcurate.io.storage import StorageConfig
from webcurate.jobs.common import JobResult, commit_run, run_id_for
from webcurate.spark import SparkConfig
from webcurate.stages import Stage
from webcurate.substring.settings import SubstringSettings

DATASETS = ("kept", "changed")
CHANGED_COLUMNS = ("doc_id", "spans", "chars_removed", "tokens_removed", "tokens_left", "dropped")


@dataclass(frozen=True)
class SubstringJobConfig:
    """``webcurate substring``: what to read, where to write, the window length."""

    input: list[str] = option(
        help="documents (Parquet or JSONL(.gz) with a text column): file, directory, glob, "
             "list; local or s3://")
    output: str = option(help="output prefix, local or s3://: kept/, changed/, stats.json")
    overwrite: bool = option(
        False, help="replace a committed run with other inputs or settings at this output")
    substring: SubstringSettings = option(SubstringSettings, help="window length and tokens")
    checkpoint_dir: str | None = option(
        None, help="Hadoop-style directory for the positions' checkpoint (survives a lost "
                   "executor); null = <output>/_work when Spark can write there, else "
                   "executor-local")
    storage: StorageConfig = option(StorageConfig, help="object storage access")
    spark: SparkConfig = option(SparkConfig, help="Spark session settings")


def preflight_substring(config: SubstringJobConfig) -> None:
    if config.checkpoint_dir and st.split_uri(config.checkpoint_dir)[0] == "s3":
        raise ConfigError("config key 'checkpoint_dir': Spark checkpoints need a Hadoop file "
                          "system (local, hdfs://, s3a://), not s3://")


def produce(spark, config: SubstringJobConfig, files: list[str], file_prefix: str) -> dict:
    """Windows -> marks -> positions -> rewrite; writes ``kept/`` and ``changed/``."""
    from pyspark.sql import functions as F

    from webcurate.dedup.spark.components import Checkpointer, choose_checkpoints, hadoop_schemes
    from webcurate.dedup.spark.pipeline import check_doc_ids
    from webcurate.dedup.spark.removal import plan_removal
    from webcurate.documents import malformed_stats, read_document_files, well_formed
    from webcurate.io.datasets import write_dataset_files
    from webcurate.spark import scan_at_least
    from webcurate.substring import spark as ss

    settings = config.substring
    schemes = hadoop_schemes(spark, {"file", st.split_uri(config.output)[0], "s3a"})
    choice = choose_checkpoints(spark.sparkContext.master, config.checkpoint_dir, config.output,
                                schemes)
    checkpoint = Checkpointer(spark, choice.directory, owns_directory=choice.owned)
    seconds: dict[str, float] = {}
    removal = None
    try:
        with scan_at_least(spark, spark.sparkContext.defaultParallelism):
            docs = read_document_files(spark, files, config.storage, described_as=config.input,
                                       keep_malformed=True)
            malformed = malformed_stats(docs)
            docs = well_formed(docs)
            ids = docs.select("doc_id", F.xxhash64("doc_id").alias("node"))
            documents_in, shared_nodes = check_doc_ids(ids)
            started = time.perf_counter()
            key = ss.document_key(shared_nodes)
            windows = ss.window_rows(docs, settings, key)
            positions = checkpoint(ss.marked_positions(windows))
            seconds["marks"] = round(time.perf_counter() - started, 3)
            started = time.perf_counter()
            changed_ids = (docs.select("doc_id", key.alias("key"))
                           .join(positions.select("key"), "key", "left_semi").select("doc_id"))
            removal = plan_removal(spark, changed_ids, ids, shared_nodes)
            rewritten = checkpoint(ss.rewritten_rows(removal.only(docs), positions,
                                                     settings.min_tokens, key))
            totals = ss.rewritten_totals(rewritten, settings.min_doc_words)
            long_enough = F.col("tokens_left") >= F.lit(settings.min_doc_words)
            kept = removal.without(docs).unionByName(
                rewritten.where(long_enough).select(*docs.columns))
            write_dataset_files(kept.select(*docs.columns), st.join_uri(config.output, "kept"),
                                file_prefix, config.storage)
            write_dataset_files(rewritten.withColumn("dropped", ~long_enough)
                                .select(*CHANGED_COLUMNS),
                                st.join_uri(config.output, "changed"), file_prefix,
                                config.storage)
            seconds["rewrite"] = round(time.perf_counter() - started, 3)
            marked = positions.agg(F.sum(F.size("positions")).alias("n")).first()["n"]
    finally:
        for broadcast in (removal.bloom, removal.rescued) if removal is not None else ():
            if broadcast is not None:
                broadcast.unpersist()
        checkpoint.close()
    return {"documents_in": documents_in,
            "documents_kept": documents_in - totals["documents_dropped"],
            "windows_marked": int(marked or 0), **totals, "min_tokens": settings.min_tokens,
            "tokenizer": settings.tokenizer, "removal": removal.stats,
            "checkpoints": "reliable" if choice.directory else "executor-local",
            **malformed, "seconds": seconds}


def run_substring(spark, config: SubstringJobConfig) -> JobResult:
    started = time.time()
    preflight_substring(config)
    files = document_files(list(config.input), config.storage)
    run_id = run_id_for(files, {"substring": to_dict(config.substring)})
    stats, reused = commit_run(config.output, config.storage, DATASETS, run_id,
                               config.overwrite,
                               lambda file_prefix: produce(spark, config, files, file_prefix))
    return JobResult(stats={**stats, "run": {"reused_committed_run": reused,
                                             "seconds": round(time.time() - started, 3)}})


STAGE = Stage(
    "substring", "documents -> kept/ without every 50-token span that occurs twice "
                 "(RefinedWeb's exact-substring dedup)",
    SubstringJobConfig, run_substring, preflight=preflight_substring,
    output_documents=lambda config: st.join_uri(config.output, "kept"),
    headline=lambda stats: {"documents_in": stats.get("documents_in"),
                            "documents_out": stats.get("documents_kept")},
    input_label="documents", pipeline_order=35)

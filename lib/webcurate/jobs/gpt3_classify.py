"""The gpt3 job: GPT-3's filtering of Common Crawl (Brown et al. 2020, Appendix A), on Spark
MLlib end to end.

1. **Score** every document with the MLlib classifier that ``webcurate train-gpt3`` saved
   (Tokenizer -> HashingTF -> LogisticRegression): ``gpt3_score`` = P(curated).
2. **Keep** a document when ``np.random.pareto(alpha) > 1 - gpt3_score`` (alpha 9), the draw
   seeded by the document's ``doc_id`` (:func:`webcurate.quality.decide.pareto_draw`).
3. **Fuzzy dedup** of the kept documents with MLlib's ``MinHashLSH`` (10 hash tables) on the
   same HashingTF features: of two documents within ``max_jaccard_distance``, the one with the
   larger ``doc_id`` goes (:func:`webcurate.mllib.spark.near_duplicate_ids`). The paper gives
   no threshold; 0.2 (similarity 0.8) is ours.
4. **Write** ``kept/`` with ``gpt3_score``; exactly-once commit
   (:func:`webcurate.jobs.common.commit_run`) and stats (counts per step).

The LSH self-join shuffles ``(doc_id, features, hashes)`` only, never the text; the final
anti-join of the kept documents against the removed ids is broadcast when the ids are few.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from webcurate.config import ConfigError, option
from webcurate.io import storage as st
from webcurate.io.storage import StorageConfig
from webcurate.jobs.common import JobResult, commit_run, run_id_for
from webcurate.quality.decide import GPT3_PARETO_ALPHA
from webcurate.spark import SparkConfig
from webcurate.stages import Stage


@dataclass(frozen=True)
class FuzzyDedupSettings:
    """MLlib MinHashLSH on the classifier's HashingTF features."""

    enabled: bool = option(True, help="remove near duplicates after the Pareto rule")
    num_hash_tables: int = option(10, min=1, max=1000, help="MinHashLSH numHashTables (GPT-3: 10)")
    max_jaccard_distance: float = option(
        0.2, min=0.0, max=1.0, help="pairs closer than this are duplicates (paper: not given)")
    seed: int = option(0, min=0, help="MinHashLSH seed")


@dataclass(frozen=True)
class Gpt3JobConfig:
    """``webcurate gpt3``: documents in, GPT-3's classifier, Pareto rule and fuzzy dedup."""

    input: list[str] = option(
        help="documents: Parquet or JSONL(.gz) file, directory, glob or list; local or s3://")
    output: str = option(help="output prefix: kept/, stats.json")
    model: str = option(help="the MLlib PipelineModel directory written by train-gpt3")
    pareto_alpha: float = option(GPT3_PARETO_ALPHA, min=0.01, max=1000.0,
                                 help="keep when pareto(alpha) > 1 - score (GPT-3: 9)")
    seed: int = option(0, min=0, help="run seed mixed into each document's Pareto draw")
    dedup: FuzzyDedupSettings = option(FuzzyDedupSettings, help="MinHashLSH fuzzy dedup")
    overwrite: bool = option(False, help="replace a committed run made with other settings")
    storage: StorageConfig = option(StorageConfig, help="object storage access")
    spark: SparkConfig = option(SparkConfig, help="Spark session settings")


def preflight_gpt3(config: Gpt3JobConfig) -> None:
    if not st.exists(st.join_uri(config.model, "metadata"), config.storage):
        raise ConfigError(f"config key 'model': no MLlib model at {config.model} (train one "
                          "with webcurate train-gpt3)")


def produce(docs, model, config: Gpt3JobConfig, file_prefix: str) -> dict:
    from pyspark.sql import functions as F

    from webcurate.io.datasets import write_dataset_files
    from webcurate.mllib.spark import (
        FEATURES_COLUMN,
        SCORE_COLUMN,
        near_duplicate_ids,
        scored,
        with_pareto_keep,
    )

    decided = with_pareto_keep(scored(model, docs, keep_features=True), config.pareto_alpha,
                               config.seed)
    counts = decided.agg(F.count(F.lit(1)).alias("docs"),
                         F.count(F.when(F.col("_gpt3_keep"), 1)).alias("kept"),
                         F.avg(SCORE_COLUMN).alias("mean_score")).first()
    kept = decided.where(F.col("_gpt3_keep"))
    duplicates = 0
    if config.dedup.enabled and counts["kept"] > 1:
        removed = near_duplicate_ids(kept, config.dedup.num_hash_tables,
                                     config.dedup.max_jaccard_distance, config.dedup.seed)
        removed = removed.persist()
        duplicates = removed.count()
        kept = kept.join(removed, on="doc_id", how="left_anti")
    columns = [c for c in docs.columns] + [SCORE_COLUMN]
    write_dataset_files(kept.drop(FEATURES_COLUMN, "_gpt3_keep").select(*columns),
                        st.join_uri(config.output, "kept"), file_prefix, config.storage)
    if config.dedup.enabled and counts["kept"] > 1:
        removed.unpersist()
    return {"docs": counts["docs"], "docs_after_pareto": counts["kept"],
            "near_duplicates_removed": duplicates,
            "docs_kept": counts["kept"] - duplicates,
            "mean_score": counts["mean_score"], "pareto_alpha": config.pareto_alpha}


def run_gpt3(spark, config: Gpt3JobConfig) -> JobResult:
    from pyspark.ml import PipelineModel

    from webcurate.documents import (
        document_files,
        malformed_stats,
        read_document_files,
        well_formed,
    )

    started = time.time()
    preflight_gpt3(config)
    model = PipelineModel.load(config.model)
    files = document_files(list(config.input), config.storage, manifest_base="")
    docs = read_document_files(spark, files, config.storage, described_as=config.input,
                               keep_malformed=True)
    settings = {"model": config.model,
                "model_version": st.file_version(st.join_uri(config.model, "metadata"),
                                                 config.storage),
                "pareto_alpha": config.pareto_alpha, "seed": config.seed,
                "dedup": {"enabled": config.dedup.enabled,
                          "tables": config.dedup.num_hash_tables,
                          "distance": config.dedup.max_jaccard_distance,
                          "seed": config.dedup.seed}}
    run_id = run_id_for(files, settings)
    stats, reused = commit_run(
        config.output, config.storage, ("kept",), run_id, config.overwrite,
        lambda prefix: {**produce(well_formed(docs), model, config, prefix),
                        **malformed_stats(docs)})
    stats["run"] = {"run_id": run_id, "inputs": len(files), "reused_committed_run": reused,
                    "seconds": round(time.time() - started, 3)}
    return JobResult(stats=stats)


STAGE = Stage(
    "gpt3", "documents -> GPT-3's MLlib classifier score, Pareto keep rule (alpha 9), "
            "MinHashLSH fuzzy dedup", Gpt3JobConfig, run_gpt3, preflight=preflight_gpt3,
    output_documents=lambda config: st.join_uri(config.output, "kept"),
    headline=lambda stats: {"documents_in": stats.get("docs"),
                            "documents_out": stats.get("docs_kept")},
    pipeline_order=50)

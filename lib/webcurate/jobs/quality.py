"""The quality job: documents -> ``quality_score`` from a fastText classifier, then a decision.

1. **Score** (one fastText pass per document): every document gets ``quality_score``, the
   model's probability of the positive label (``hq``), through ``mapInArrow`` with the model
   loaded once per Python worker (:mod:`webcurate.quality.spark.scoring`); ``lid.enabled`` also
   (re)computes ``language`` / ``language_score`` with lid.176, for data that did not come
   through extract. Texts are normalised as the model was trained (the settings recorded in
   ``<model>.metrics.json``, unless ``normalization`` is given).
2. **Decide** (:mod:`webcurate.quality.decide` defines each rule): keep all (``none``), an
   absolute ``threshold``, the ``top_percent`` of the corpus by global percentiles (or per
   language / per domain), or GPT-3's ``pareto`` rule; optionally CCNet's head / middle / tail
   buckets at two percentiles.
3. **Write** ``kept/`` (and ``rejected/``, ``buckets/head|middle|tail/`` when asked) in one
   routed Spark job, with the exactly-once commit of whole-corpus jobs
   (:func:`webcurate.jobs.common.commit_run`), and stats: counts per outcome and bucket,
   thresholds used, score quantiles and histogram.

The text is never persisted (:mod:`webcurate.quality.spark.passes`): rules that look at one
document at a time score and write in one pass; percentiles (``top_percent``, buckets) first
persist only the scores, language and group keys (``persist_level``), take thresholds and counts
from them, then score again while writing (fastText predict is deterministic).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from webcurate.config import ConfigError, option, to_dict
from webcurate.io import storage as st
from webcurate.io.storage import StorageConfig
from webcurate.jobs.common import JobResult, commit_run, run_id_for
from webcurate.quality.normalize import TextNormalization, normalization_from_dict
from webcurate.quality.settings import BucketSettings, DecisionSettings, LidSettings
from webcurate.quality.training import POSITIVE_LABEL
from webcurate.spark import SparkConfig
from webcurate.stages import Stage, imported

BUCKET_DATASETS = ("buckets/head", "buckets/middle", "buckets/tail")
ALL_DATASETS = ("kept", "rejected", *BUCKET_DATASETS)
PERSIST_LEVELS = ("MEMORY_AND_DISK", "MEMORY_AND_DISK_DESER", "DISK_ONLY")
METRICS_SUFFIX = ".metrics.json"


@dataclass(frozen=True)
class QualityJobConfig:
    """``conf/quality.yaml``: documents in, scores and decisions out."""

    input: list[str] = option(
        help="documents: Parquet or JSONL(.gz) file, directory, glob or list; local or s3://")
    output: str = option(help="output prefix: kept/, rejected/, buckets/, stats.json")
    model: str = option(help="fastText quality model (.bin/.ftz), local, s3:// or https://")
    positive_label: str = option(
        POSITIVE_LABEL, help="the label whose probability is the score (with or without __label__)")
    normalization: TextNormalization | None = option(
        None, help="text normalisation; null = as recorded in <model>.metrics.json, else defaults")
    decision: DecisionSettings = option(DecisionSettings, help="which documents are kept")
    buckets: BucketSettings = option(BucketSettings, help="CCNet-style head/middle/tail outputs")
    lid: LidSettings = option(LidSettings, help="language identification with lid.176")
    write_rejected: bool = option(False, help="also write the documents not kept to rejected/")
    histogram_bins: int = option(20, min=1, max=1000, help="score histogram bins over [0, 1]")
    percentile_accuracy: int = option(
        10_000, min=10, max=10_000_000,
        help="percentile_approx accuracy: relative rank error 1/accuracy (exact below it)")
    persist_level: str = option(
        "MEMORY_AND_DISK", choices=PERSIST_LEVELS,
        help="how the scores (never the text) are kept between the two passes of percentiles")
    overwrite: bool = option(False, help="replace a committed run made with other settings")
    storage: StorageConfig = option(StorageConfig, help="object storage access")
    spark: SparkConfig = option(SparkConfig, help="Spark session settings")


def preflight_quality(config: QualityJobConfig) -> None:
    """Checks that need no Spark: the model (and a named lid model) exist."""
    if not st.exists(config.model, config.storage):
        raise ConfigError(f"config key 'model': model not found: {config.model}")
    if config.lid.enabled:
        if config.lid.model is None:
            from webcurate.extract.language import default_lid_model_path

            try:
                default_lid_model_path()
            except FileNotFoundError as err:
                raise ConfigError(f"config key 'lid.model': {err}") from None
        elif not st.exists(config.lid.model, config.storage):
            raise ConfigError(f"config key 'lid.model': model not found: {config.lid.model}")


def recorded_training(model: str, storage: StorageConfig) -> dict | None:
    """What train-quality saved beside the model (``<model>.metrics.json``), if anything."""
    uri = f"{model}{METRICS_SUFFIX}"
    try:
        if not st.exists(uri, storage):
            return None
        return json.loads(st.read_bytes(uri, storage))
    except (OSError, ValueError):
        return None


def resolve_normalization(config: QualityJobConfig) -> tuple[TextNormalization, str]:
    """The normalisation to score with, and where it came from."""
    if config.normalization is not None:
        return config.normalization, "config"
    recorded = recorded_training(config.model, config.storage)
    if recorded and recorded.get("normalization") is not None:
        try:
            return normalization_from_dict(recorded["normalization"]), "model metrics"
        except ConfigError as err:
            raise ConfigError(f"config key 'normalization': {config.model}{METRICS_SUFFIX}: "
                              f"{err}") from None
    return TextNormalization(), "defaults"


def check_model_labels(config: QualityJobConfig, version: str) -> None:
    """Load the model once on the driver: a wrong ``positive_label`` fails before any task."""
    from webcurate.resources.models import get_quality_model

    try:
        get_quality_model(config.model, config.storage, config.positive_label, version)
    except ValueError as err:
        raise ConfigError(f"config key 'positive_label': {err}") from None


def check_columns(columns: list[str], config: QualityJobConfig) -> None:
    """Groupings need their column: language (or lid.enabled), or url for domains."""
    have_language = "language" in columns or config.lid.enabled
    for key, group_by in (("decision.group_by", config.decision.group_by),
                          ("buckets.group_by", config.buckets.group_by)):
        if group_by == "language" and not have_language:
            raise ConfigError(f"config key '{key}': the documents have no language column; "
                              "set lid.enabled=true")
        if group_by == "domain" and "url" not in columns:
            raise ConfigError(f"config key '{key}': the documents have no url column")


def run_settings(config: QualityJobConfig, normalization: TextNormalization,
                 version: str) -> dict:
    """What shapes the output (the run id): model identity, normalisation, decision, outputs."""
    return {"model": config.model, "model_version": version,
            "positive_label": config.positive_label, "normalization": to_dict(normalization),
            "decision": to_dict(config.decision), "buckets": to_dict(config.buckets),
            "lid": to_dict(config.lid), "write_rejected": config.write_rejected,
            "histogram_bins": config.histogram_bins,
            "percentile_accuracy": config.percentile_accuracy}


def run_quality(spark, config: QualityJobConfig) -> JobResult:
    """Score, decide, write kept/ (and rejected/, buckets/), committed once; return stats."""
    from webcurate.documents import (
        document_files,
        malformed_stats,
        read_document_files,
        well_formed,
    )
    from webcurate.quality.spark.passes import score_and_decide
    from webcurate.quality.spark.scoring import ScoringPlan
    from webcurate.resources.models import model_version

    started = time.time()
    preflight_quality(config)
    version = model_version(config.model, config.storage)
    normalization, normalization_source = resolve_normalization(config)
    check_model_labels(config, version)
    files = document_files(list(config.input), config.storage, manifest_base="")
    docs = read_document_files(spark, files, config.storage, described_as=config.input,
                               keep_malformed=True)
    check_columns([c for c in docs.columns if c != "_malformed"], config)
    pareto = config.decision.mode == "pareto"
    plan = ScoringPlan(
        model=config.model, model_version=version, positive_label=config.positive_label,
        normalization=normalization, storage=config.storage, lid=config.lid.enabled,
        lid_model=config.lid.model, lid_max_chars=config.lid.max_chars,
        pareto_alpha=config.decision.pareto_alpha if pareto else None,
        pareto_seed=config.decision.seed)
    run_id = run_id_for(files, run_settings(config, normalization, version))
    spark.sparkContext.setJobDescription(f"quality run {run_id}")
    stats, reused = commit_run(
        config.output, config.storage, ALL_DATASETS, run_id, config.overwrite,
        lambda prefix: {**score_and_decide(well_formed(docs), plan, config, prefix),
                        **malformed_stats(docs)})  # JSONL only: one parse pass
    run = {"run_id": run_id, "inputs": len(files), "reused_committed_run": reused,
           "normalization_from": normalization_source, "seconds": round(time.time() - started, 3)}
    return JobResult(stats={**stats, "run": run})


STAGE = Stage(
    "quality", "documents -> quality_score, percentile thresholds, kept/ (and buckets)",
    QualityJobConfig, run_quality, preflight=preflight_quality,
    output_documents=lambda config: st.join_uri(config.output, "kept"),
    headline=lambda stats: {"documents_in": stats.get("docs"),
                            "documents_out": stats.get("docs_kept"),
                            "languages": stats.get("languages_kept")},
    pipeline_order=40, report_section=imported("webcurate.report.sections:quality_section"),
    report_samples=imported("webcurate.report.samples:quality_samples"))

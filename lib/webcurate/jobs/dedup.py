"""The dedup job: documents -> ``kept/`` and ``duplicates/`` by URL, exact, MinHash-LSH or
line / paragraph dedup, with every stage (clustering included) distributed on Spark.

Modes (``mode``):

- ``minhash`` (default): optional URL dedup, exact dedup of the normalised text, then MinHash-LSH
  near-duplicate clusters (FineWeb's 5-grams, 14 bands x 8 rows) with connected components;
- ``exact``: URL dedup (optional) and exact dedup only;
- ``lines``: C4 / CCNet line or paragraph dedup, after optional URL and exact dedup; documents
  that lost units are re-checked against ``lines.min_doc_words``.

The datasets are written under ``<output>/<tag>/``, the tag spelling out the main parameters
and ending in a hash of everything that shapes the result (``minhash-n5-p112-b14x8-s42-
1a2b3c4d``), so runs with other settings never mix; each tag directory is committed exactly
once (:func:`webcurate.jobs.common.commit_run`), and a rerun with the same inputs and settings
returns the committed stats without work.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass

from webcurate.config import ConfigError, option, to_dict
from webcurate.dedup.lsh import optimal_bands_rows
from webcurate.dedup.settings import (
    ComponentsSettings,
    LineSettings,
    MinHashSettings,
    NormalizeSettings,
    SurvivorSettings,
)
from webcurate.documents import document_files
from webcurate.io import storage as st
from webcurate.io.storage import StorageConfig
from webcurate.jobs.common import JobResult, commit_run, run_id_for
from webcurate.spark import SparkConfig
from webcurate.stages import Stage, imported

MODES = ("minhash", "exact", "lines")
DATASETS = ("kept", "duplicates")


@dataclass(frozen=True)
class DedupJobConfig:
    """``conf/dedup.yaml``: what to read, where to write, which dedup and how."""

    input: list[str] = option(
        help="documents (Parquet or JSONL(.gz) with a text column): file, directory, glob, "
             "list; local or s3://")
    output: str = option(
        help="output prefix, local or s3://; datasets go to <output>/<tag>/ (kept/, "
             "duplicates/), stats.json and config.yaml to <output>/")
    overwrite: bool = option(
        False, help="replace a committed run with other inputs under the same tag")
    mode: str = option("minhash", choices=MODES, help="minhash | exact | lines")
    exact_dedup: bool = option(
        True, help="before minhash / lines: drop exact duplicates of the normalised text "
                   "(mode exact: always)")
    url_dedup: bool = option(
        False, help="first keep only the newest capture (survivor.date_column) of each url")
    normalize: NormalizeSettings = option(NormalizeSettings, help="text normalisation")
    minhash: MinHashSettings = option(MinHashSettings, help="MinHash-LSH settings")
    survivor: SurvivorSettings = option(SurvivorSettings, help="which duplicate is kept")
    components: ComponentsSettings = option(ComponentsSettings, help="connected components")
    lines: LineSettings = option(LineSettings, help="line / paragraph dedup (mode lines)")
    storage: StorageConfig = option(StorageConfig, help="object storage access")
    spark: SparkConfig = option(SparkConfig, help="Spark session settings")


@dataclass(frozen=True)
class DedupPlan:
    """What a run does, resolved from the config: bands x rows, steps, the dataset tag."""

    bands: int
    rows: int
    bands_rows_from: str  # "config" or "threshold"
    steps: tuple[str, ...]  # in order, from url, exact, near, lines
    settings: dict  # everything that shapes the result (-> tag and run id)
    tag: str


def resolve_bands_rows(minhash: MinHashSettings) -> tuple[int, int, str]:
    """``(bands, rows, source)``: from ``threshold`` when set, else as configured (checked)."""
    if minhash.threshold is not None:
        bands, rows = optimal_bands_rows(minhash.threshold, minhash.num_perm,
                                         minhash.false_positive_weight)
        return bands, rows, "threshold"
    if minhash.bands * minhash.rows != minhash.num_perm:
        raise ConfigError(
            f"config keys 'minhash.bands' x 'minhash.rows' must equal 'minhash.num_perm': "
            f"{minhash.bands} x {minhash.rows} = {minhash.bands * minhash.rows}, "
            f"not {minhash.num_perm} (or set 'minhash.threshold' to choose them)")
    return minhash.bands, minhash.rows, "config"


def result_settings(config: DedupJobConfig, steps: tuple[str, ...], bands: int,
                    rows: int) -> dict:
    """The settings that shape the kept set; nothing about paths, Spark or checkpoints."""
    settings: dict = {"steps": list(steps), "normalize": to_dict(config.normalize),
                      "survivor": to_dict(config.survivor)}
    if "near" in steps:
        minhash = to_dict(config.minhash)
        minhash.update(bands=bands, rows=rows)
        settings["minhash"] = minhash
    if "lines" in steps:
        settings["lines"] = to_dict(config.lines)
    return settings


def dataset_tag(mode: str, settings: dict, config: DedupJobConfig, bands: int, rows: int) -> str:
    """``minhash-n5-p112-b14x8-s42-<8 hex>``, ``exact-<8 hex>``, ``lines-line-keep_first-<8>``:
    readable main parameters, then a hash of all of ``settings``."""
    digest = hashlib.sha1(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:8]
    if mode == "minhash":
        m = config.minhash
        return f"minhash-n{m.ngram}-p{m.num_perm}-b{bands}x{rows}-s{m.seed}-{digest}"
    if mode == "lines":
        return f"lines-{config.lines.unit}-{config.lines.policy}-{digest}"
    return f"exact-{digest}"


def plan_dedup(config: DedupJobConfig) -> DedupPlan:
    """Check the cross-field rules and resolve what the run does (no Spark needed)."""
    if config.mode == "minhash":
        bands, rows, source = resolve_bands_rows(config.minhash)
    else:
        bands, rows, source = config.minhash.bands, config.minhash.rows, "unused"
    steps = []
    if config.url_dedup:
        steps.append("url")
    if config.exact_dedup or config.mode == "exact":
        steps.append("exact")
    if config.mode == "minhash":
        steps.append("near")
    if config.mode == "lines":
        steps.append("lines")
    settings = result_settings(config, tuple(steps), bands, rows)
    return DedupPlan(bands, rows, source, tuple(steps), settings,
                     dataset_tag(config.mode, settings, config, bands, rows))


def preflight_dedup(config: DedupJobConfig) -> None:
    """Checks that need no Spark, each failing with one line naming the key."""
    plan_dedup(config)
    if config.survivor.rule == "highest_score" and not config.survivor.score_column:
        raise ConfigError("config key 'survivor.score_column': empty (rule highest_score)")
    checkpoint_dir = config.components.checkpoint_dir
    if checkpoint_dir and st.split_uri(checkpoint_dir)[0] == "s3":
        raise ConfigError("config key 'components.checkpoint_dir': Spark checkpoints need a "
                          "Hadoop file system (local, hdfs://, s3a://), not s3://")


def checkpoint_choice(spark, config: DedupJobConfig, dataset_uri: str):
    """Where component rounds are checkpointed on this session's master
    (:func:`webcurate.dedup.spark.components.choose_checkpoints`)."""
    from webcurate.dedup.spark.components import choose_checkpoints, hadoop_schemes

    schemes = hadoop_schemes(spark, {"file", st.split_uri(dataset_uri)[0], "s3a"})
    return choose_checkpoints(spark.sparkContext.master, config.components.checkpoint_dir,
                              dataset_uri, schemes)


def run_dedup(spark, config: DedupJobConfig) -> JobResult:
    """Resolve inputs and plan, then produce and commit the datasets once per tag."""
    from webcurate.dedup.spark.pipeline import produce

    started = time.time()
    preflight_dedup(config)
    plan = plan_dedup(config)
    files = document_files(list(config.input), config.storage)
    dataset_uri = st.join_uri(config.output, plan.tag)
    run_id = run_id_for(files, plan.settings)
    stats, reused = commit_run(
        dataset_uri, config.storage, DATASETS, run_id, config.overwrite,
        lambda file_prefix: produce(spark, config, plan, files, dataset_uri, file_prefix,
                                    checkpoint_choice(spark, config, dataset_uri)))
    run = {"dataset": dataset_uri, "reused_committed_run": reused,
           "seconds": round(time.time() - started, 3)}
    return JobResult(stats={**stats, "run": run})


def dedup_dataset_base(prefix: str, stats: dict) -> str:
    """A finished run's datasets: under its tag (only the tag of ``run.dataset`` is used, so a
    moved or copied output still reads its own datasets)."""
    dataset = (stats.get("run") or {}).get("dataset")
    if isinstance(dataset, str) and dataset.strip("/"):
        return st.join_uri(prefix, dataset.rstrip("/").rsplit("/", 1)[-1])
    return prefix


STAGE = Stage(
    "dedup", "documents -> kept/ and duplicates/ by exact and MinHash-LSH dedup",
    DedupJobConfig, run_dedup, preflight=preflight_dedup,
    output_documents=lambda config: st.join_uri(config.output, plan_dedup(config).tag, "kept"),
    headline=lambda stats: {"documents_in": stats.get("documents_in"),
                            "documents_out": stats.get("documents_kept")},
    pipeline_order=30, dataset_base=dedup_dataset_base,
    report_section=imported("webcurate.report.sections:dedup_section"),
    report_samples=imported("webcurate.report.samples:dedup_samples"))

"""The perplexity job: CCNet's language ID, KenLM perplexity and per-language buckets.

CCNet (Wenzek et al. 2020, section 3; facebookresearch/cc_net ``mine.py``, steps ``lid``,
``sp``, ``lm``, ``pp_bucket``, ``keep_bucket``), after its paragraph dedup:

1. **Language ID** (``lid.enabled``, the ccnet recipe sets it: CCNet identifies the language
   *after* dedup, on the remaining text with newlines removed) with fastText lid.176; documents
   whose language score is below ``min_language_score`` (CCNet: 0.5) are dropped.
2. **Perplexity**: every document whose language has a model (``webcurate train-lm``) gets
   ``perplexity`` (:mod:`webcurate.lm.model`: CCNet normalisation, SentencePiece, KenLM, one
   decimal), the models loaded once per Python worker.
3. **Buckets** ``lm_bucket``: ``head`` / ``middle`` / ``tail`` per language at two perplexity
   percentiles (:mod:`webcurate.lm.buckets`); ``all`` for a language without a model. The
   cut-offs come from ``cutoffs`` (a JSON file ``{lang: [head, tail]}``, CCNet's
   ``cutoff.csv``: fixed from a reference distribution) or, when null, from this corpus's own
   per-language distribution (the cut-offs used are in stats.json, to reuse on later dumps).
4. **Keep** the documents in ``keep_buckets`` (CCNet's ``keep_bucket``; default all) in
   ``kept/`` with ``perplexity``, ``lm_bucket``, ``language``, ``language_score``.

Two passes, as the quality job's percentiles: pass one scores and persists only the small
frame (language, language score, perplexity) for the cut-offs and counts; pass two scores again
and writes (KenLM and lid.176 are deterministic), so the text is never cached. Exactly-once
commit of whole-corpus jobs (:func:`webcurate.jobs.common.commit_run`).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from webcurate.config import ConfigError, option, to_dict
from webcurate.io import storage as st
from webcurate.io.storage import StorageConfig
from webcurate.jobs.common import JobResult, commit_run, run_id_for
from webcurate.lm.buckets import CCNET_PAPER_PERCENTILES, LM_BUCKETS, NO_BUCKET, check_cutoffs
from webcurate.lm.model import LM_SUFFIX, MANIFEST, SP_SUFFIX
from webcurate.quality.settings import LidSettings
from webcurate.spark import SparkConfig
from webcurate.stages import Stage

ALL_BUCKETS = (*LM_BUCKETS, NO_BUCKET)


@dataclass(frozen=True)
class PerplexityJobConfig:
    """``webcurate perplexity``: documents in, perplexity and CCNet buckets out."""

    input: list[str] = option(
        help="documents: Parquet or JSONL(.gz) file, directory, glob or list; local or s3://")
    output: str = option(help="output prefix: kept/, stats.json")
    models: str = option(help="a train-lm output directory (models.json, <lang>.sp.model, "
                              "<lang>.arpa.bin), local or s3://")
    languages: list[str] | None = option(
        None, help="score only these languages; null = every language in models.json")
    lid: LidSettings = option(LidSettings, help="(re)identify the language with lid.176 first")
    min_language_score: float = option(
        0.0, min=0.0, max=1.0, help="drop documents whose language_score is below (CCNet: 0.5)")
    percentiles: list[float] = option(
        list(CCNET_PAPER_PERCENTILES), min=0.0, max=100.0,
        help="two ascending perplexity percentiles: head below the first, tail from the second "
             "(paper: thirds; cc_net's code: 30 / 60)")
    cutoffs: str | None = option(
        None, help="JSON file {language: [head, tail]} of fixed cut-offs; null = percentiles "
                   "of this corpus per language")
    keep_buckets: list[str] = option(
        list(ALL_BUCKETS), choices=ALL_BUCKETS, help="buckets written to kept/ (CCNet's "
                                                     "keep_bucket)")
    percentile_accuracy: int = option(
        10_000, min=10, max=10_000_000, help="percentile_approx accuracy (exact below it)")
    overwrite: bool = option(False, help="replace a committed run made with other settings")
    storage: StorageConfig = option(StorageConfig, help="object storage access")
    spark: SparkConfig = option(SparkConfig, help="Spark session settings")

    def __post_init__(self):
        if len(self.percentiles) != 2 or not self.percentiles[0] < self.percentiles[1]:
            raise ValueError(f"config key 'percentiles': two ascending values, got "
                             f"{list(self.percentiles)}")


def model_languages(config: PerplexityJobConfig) -> tuple[list[str], str]:
    """The languages to score and a version tag of their model files."""
    manifest_uri = st.join_uri(config.models, MANIFEST)
    if not st.exists(manifest_uri, config.storage):
        raise ConfigError(f"config key 'models': no {MANIFEST} in {config.models} (train the "
                          "models with webcurate train-lm)")
    manifest = json.loads(st.read_bytes(manifest_uri, config.storage))
    available = sorted(manifest.get("languages", {}))
    wanted = list(config.languages) if config.languages is not None else available
    missing = [lang for lang in wanted if lang not in available]
    if missing:
        raise ConfigError(f"config key 'languages': no model for {', '.join(missing)} in "
                          f"{config.models} (has: {', '.join(available) or 'none'})")
    versions = [st.file_version(manifest_uri, config.storage)]
    for lang in wanted:
        for suffix in (SP_SUFFIX, LM_SUFFIX):
            uri = st.join_uri(config.models, f"{lang}{suffix}")
            if not st.exists(uri, config.storage):
                raise ConfigError(f"config key 'models': {uri} not found")
            versions.append(st.file_version(uri, config.storage))
    return wanted, "|".join(map(str, versions))


def fixed_cutoffs(config: PerplexityJobConfig) -> dict[str, list[float]] | None:
    if config.cutoffs is None:
        return None
    if not st.exists(config.cutoffs, config.storage):
        raise ConfigError(f"config key 'cutoffs': file not found: {config.cutoffs}")
    try:
        return check_cutoffs(json.loads(st.read_bytes(config.cutoffs, config.storage)))
    except ValueError as err:
        raise ConfigError(f"config key 'cutoffs': {err}") from None


def preflight_perplexity(config: PerplexityJobConfig) -> None:
    """Checks that need no Spark: the kenlm module, the models, the cut-offs file."""
    from webcurate.lm.training import missing_tools

    missing = [m for m in missing_tools() if m.startswith("python module")]
    if missing:
        raise ConfigError(f"KenLM is not installed ({', '.join(missing)} missing): run "
                          "`make install`")
    model_languages(config)
    fixed_cutoffs(config)


def run_perplexity(spark, config: PerplexityJobConfig) -> JobResult:
    from webcurate.documents import (
        document_files,
        malformed_stats,
        read_document_files,
        well_formed,
    )
    from webcurate.lm.spark import LmScoringPlan
    from webcurate.lm.spark import score_and_bucket as produce_run

    started = time.time()
    preflight_perplexity(config)
    languages, version = model_languages(config)
    cutoffs = fixed_cutoffs(config)
    files = document_files(list(config.input), config.storage, manifest_base="")
    docs = read_document_files(spark, files, config.storage, described_as=config.input,
                               keep_malformed=True)
    if "language" not in docs.columns and not config.lid.enabled:
        raise ConfigError("config key 'lid.enabled': the documents have no language column; "
                          "set lid.enabled=true")
    plan = LmScoringPlan(models=config.models, models_version=version,
                         languages=tuple(languages), storage=config.storage,
                         lid=config.lid.enabled, lid_model=config.lid.model,
                         lid_max_chars=config.lid.max_chars)
    settings = {"models": config.models, "version": version, "languages": languages,
                "lid": to_dict(config.lid), "min_language_score": config.min_language_score,
                "percentiles": list(config.percentiles), "cutoffs": cutoffs,
                "keep_buckets": list(config.keep_buckets),
                "percentile_accuracy": config.percentile_accuracy}
    run_id = run_id_for(files, settings)
    spark.sparkContext.setJobDescription(f"perplexity run {run_id}")
    stats, reused = commit_run(
        config.output, config.storage, ("kept",), run_id, config.overwrite,
        lambda prefix: {**produce_run(well_formed(docs), plan, config, cutoffs, prefix),
                        **malformed_stats(docs)})
    stats["run"] = {"run_id": run_id, "inputs": len(files), "reused_committed_run": reused,
                    "seconds": round(time.time() - started, 3)}
    return JobResult(stats=stats)


STAGE = Stage(
    "perplexity", "documents -> CCNet's language ID, KenLM perplexity, per-language "
                  "head/middle/tail buckets", PerplexityJobConfig, run_perplexity,
    preflight=preflight_perplexity,
    output_documents=lambda config: st.join_uri(config.output, "kept"),
    headline=lambda stats: {"documents_in": stats.get("docs"),
                            "documents_out": stats.get("docs_kept"),
                            "languages": stats.get("languages_kept")},
    pipeline_order=42)

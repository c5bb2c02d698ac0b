"""The language-stats job: documents -> a per-language settings folder derived from their signals.

FineWeb-2 (Penedo et al. 2025) sets each language's thresholds from the distribution of each
filter's signal on a reference corpus of that language (huggingface/fineweb-2, ``configs/``).
This job measures the signals of a sample of documents with each document's own words
(:mod:`webcurate.languages.derive`), computes per-language percentiles with
``percentile_approx`` and stop words with a grouped count, and writes ``<language>.yaml`` for
every language with at least ``min_documents`` documents, plus ``default.yaml`` (the shipped
fallback) and ``stats.json``. Point the fineweb2 recipe at the folder:
``--set settings.fineweb2_gopher_quality.languages=PREFIX`` (and the other fineweb2 filters).

    webcurate language-stats --set input=REFERENCE_DOCS --set output=PREFIX
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from webcurate.config import option
from webcurate.documents import document_files, read_document_files, require_document_files
from webcurate.filters.registry import REGISTRY
from webcurate.io import storage as st
from webcurate.io.storage import StorageConfig
from webcurate.jobs.common import JobResult, save_resolved_config, save_stats
from webcurate.languages import spark as languages_spark
from webcurate.languages.derive import DEFAULT_RULES, REFERENCE_LANGUAGE, ThresholdRule
from webcurate.languages.derive import language_settings as settings_for
from webcurate.languages.settings import FALLBACK, builtin_folder, dump_settings
from webcurate.spark import SparkConfig
from webcurate.stages import Stage


@dataclass(frozen=True)
class LanguageStatsConfig:
    """``webcurate language-stats``: reference documents in, a settings folder out."""

    input: list[str] = option(
        help="reference documents (Parquet / JSONL(.gz)) with text, language and "
             "language_score, e.g. extract's docs/ or Wikipedia per language")
    output: str = option(help="settings folder to write: <language>.yaml, default.yaml")
    rules: list[ThresholdRule] = option(
        DEFAULT_RULES, help="which settings to derive, each from one signal's distribution")
    reference_language: str = option(
        REFERENCE_LANGUAGE, help="english_ratio rules scale by this language's values")
    stop_words: int = option(8, min=0, help="stop words per language (Gopher: 8); 0 = none")
    min_stop_words: int = option(2, min=0, help="the Gopher rule's minimum, per language")
    words_per_document: int = option(
        300, min=1, help="distinct candidate words counted per document (bounds the shuffle)")
    min_documents: int = option(
        5, min=1, help="a language with fewer reference documents gets no file (fallback)")
    sample_fraction: float | None = option(
        None, min=0, max=1, help="measure this fraction of the documents; null = all")
    seed: int = option(13, help="seed of the sample")
    accuracy: int = option(10_000, min=1, help="percentile_approx accuracy")
    storage: StorageConfig = option(StorageConfig, help="object storage access")
    spark: SparkConfig = option(SparkConfig, help="Spark session settings")

    def __post_init__(self):
        for i, rule in enumerate(self.rules):
            if rule.key == "min_language_score":
                continue
            name, _, key = rule.key.partition(".")
            fields = getattr(REGISTRY.get(name), "config_class", None)
            if fields is None or key not in fields.__dataclass_fields__:
                raise ValueError(f"config key 'rules[{i}].key': {rule.key!r} is not "
                                 f"min_language_score or <filter>.<setting>")
            if rule.method == "english_ratio" and rule.default is None:
                raise ValueError(f"config key 'rules[{i}].default': english_ratio needs the "
                                 f"English threshold to scale")


def preflight_language_stats(config: LanguageStatsConfig) -> None:
    require_document_files(config.input, config.storage)


def run_language_stats(spark, config: LanguageStatsConfig) -> JobResult:
    started = time.time()
    files = document_files(config.input, config.storage)
    docs = read_document_files(spark, files, config.storage, described_as=config.input)
    if "language" not in docs.columns:
        from webcurate.documents import InputError

        raise InputError(f"documents in {config.input} have no 'language' column")
    if "language_score" not in docs.columns:
        from pyspark.sql import functions as F

        docs = docs.withColumn("language_score", F.lit(None).cast("double"))
    if config.sample_fraction is not None:
        docs = docs.sample(fraction=config.sample_fraction, seed=config.seed)
    percentiles = sorted({rule.percentile for rule in config.rules} or {50.0})
    measured = languages_spark.signal_quantiles(docs, percentiles, config.accuracy)
    stop_words = (languages_spark.top_stop_words(docs, config.stop_words,
                                                 config.words_per_document)
                  if config.stop_words else {})
    english = measured.get(config.reference_language, (0, None))[1]
    written, skipped = {}, {}
    source = f"webcurate language-stats on {len(files)} input files"
    for language, (documents, quantiles) in sorted(measured.items()):
        if documents < config.min_documents:
            skipped[language] = documents
            continue
        settings = settings_for(language, documents, tuple(config.rules), quantiles, english,
                                stop_words.get(language, []), config.min_stop_words, source)
        st.write_bytes(st.join_uri(config.output, f"{language}.yaml"),
                       dump_settings(settings).encode("utf-8"), config.storage)
        written[language] = documents
    with open(os.path.join(builtin_folder(), f"{FALLBACK}.yaml"), "rb") as handle:
        st.write_bytes(st.join_uri(config.output, f"{FALLBACK}.yaml"), handle.read(),
                       config.storage)
    save_resolved_config(config, config.output, config.storage)
    stats = {"languages_written": len(written), "documents_by_language": written,
             "languages_below_min_documents": skipped,
             "reference_language_found": english is not None,
             "seconds": round(time.time() - started, 3)}
    save_stats(stats, config.output, config.storage)
    return JobResult(stats=stats)


def format_language_stats(stats: dict, output: str) -> str:
    lines = [f"webcurate language-stats: done -> {output}",
             f"  {stats['languages_written']} language settings files written"]
    lines += [f"  {language:<12}{n:>8} documents"
              for language, n in sorted(stats["documents_by_language"].items())]
    if stats["languages_below_min_documents"]:
        lines.append(f"  below min_documents (fallback): "
                     f"{', '.join(sorted(stats['languages_below_min_documents']))}")
    return "\n".join(lines)


STAGE = Stage(
    "language-stats", "documents -> per-language filter settings derived from their signals "
                      "(FineWeb-2)",
    LanguageStatsConfig, run_language_stats, preflight=preflight_language_stats,
    format_summary=format_language_stats)

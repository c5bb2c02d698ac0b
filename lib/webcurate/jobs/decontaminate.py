"""The decontaminate job: documents -> ``kept/`` and ``removed/``, by n-gram overlap with
evaluation sets, as GPT-3 (Brown et al. 2020, Appendix C), Llama and OLMo did.

1. **Benchmarks** (config ``benchmarks:``, each its files and the fields that form an item's
   text) are checked before Spark starts: a file without a named field is one line naming
   both. Executors read them, one task per file, into the n-gram table ``(h, benchmark,
   item)`` (:mod:`webcurate.decontam.spark`).
2. **Index**: by the number of distinct benchmark n-grams, a broadcast sorted array, a
   broadcast Bloom filter plus a join, or a plain join on the 64-bit hash (``index: auto``;
   the choice and why are in the stats).
3. **Match**: every document's n-grams (normalised words, ``ngram`` = 13) are looked up;
   n-grams matched in more than ``max_documents_per_ngram`` (10) documents are set aside as
   GPT-3 did; the rest are grouped per document.
4. **Route**: a contaminated document goes to ``removed/`` (``action: remove``) or has each
   match and 200 characters around it cut out (``action: redact``, GPT-3's rule: too many
   pieces or nothing left is a removal). Every row carries ``decontam_benchmarks``,
   ``decontam_ngrams`` and (removed rows) ``decontam_reason``.

Stats: documents in / kept / removed (by reason) / redacted; per benchmark its items, n-grams,
contaminated documents, items matched and a few example matches (item, url, the n-gram, an
excerpt); the index choice; the too-common n-grams set aside.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from webcurate.config import option, to_dict
from webcurate.decontam.benchmarks import BenchmarkSpec, check_benchmark
from webcurate.decontam.ngrams import DEFAULT_N
from webcurate.decontam.settings import ACTIONS, INDEXES, RedactSettings
from webcurate.documents import (
    document_files,
    malformed_stats,
    read_document_files,
    require_document_files,
    well_formed,
)
from webcurate.io import storage as st
from webcurate.io.datasets import read_parquet
from webcurate.io.storage import StorageConfig
from webcurate.jobs.common import JobResult, commit_run, run_id_for
from webcurate.spark import SparkConfig, scan_at_least
from webcurate.stages import Stage, imported

KEPT = "kept"
REMOVED = "removed"


@dataclass(frozen=True)
class DecontaminateJobConfig:
    """``conf/decontaminate.yaml``: documents and evaluation sets in, kept/ and removed/ out."""

    input: list[str] = option(
        help="documents: Parquet / JSONL(.gz) file, directory, glob or list, local or s3://")
    output: str = option(help="output prefix, local or s3://: kept/, removed/, stats.json")
    benchmarks: list[BenchmarkSpec] = option(
        help="evaluation sets: [{name, paths, fields, id_field}], e.g. gsm8k with fields "
             "[question, answer]")
    ngram: int = option(DEFAULT_N, min=3, max=64, help="words per n-gram (GPT-3: 13)")
    action: str = option("remove", choices=ACTIONS,
                         help="remove: a contaminated document goes to removed/; redact: the "
                              "matches and a window around them are cut out (GPT-3)")
    redact: RedactSettings = option(RedactSettings, help="action: redact, GPT-3's rules")
    max_documents_per_ngram: int | None = option(
        10, min=1, help="n-grams matched in more documents than this are ignored as common "
                        "phrases (GPT-3: 10); null keeps every match")
    index: str = option("auto", choices=INDEXES,
                        help="auto: by size (broadcast sorted array, Bloom filter + join, or "
                             "join); or force one")
    broadcast_max_ngrams: int = option(
        4_000_000, min=0, help="auto: broadcast the exact sorted array (8 bytes per n-gram) up "
                               "to this many benchmark n-grams")
    bloom_max_ngrams: int = option(
        20_000_000, min=0, help="auto: above broadcast_max_ngrams and up to this many, "
                                "broadcast a Bloom filter (1.5 bytes per n-gram); above, join")
    broadcast_max_documents: int = option(
        200_000, min=0, help="contaminated documents up to this many are broadcast to the "
                             "routing pass (else a shuffle join)")
    examples_per_benchmark: int = option(3, min=0, max=100,
                                         help="example matches kept in stats per benchmark")
    partitions: int | None = option(
        None, min=1, help="tasks the documents are spread over (default: 2 per core, or the "
                          "input's partitions if more)")
    overwrite: bool = option(
        False, help="replace an earlier committed run under the prefix (default: refuse)")
    storage: StorageConfig = option(StorageConfig, help="object storage access")
    spark: SparkConfig = option(SparkConfig, help="Spark session settings")

    def __post_init__(self):
        if not self.benchmarks:
            raise ValueError("config key 'benchmarks' is empty: name at least one evaluation set")
        names = [b.name for b in self.benchmarks]
        if len(set(names)) != len(names):
            raise ValueError(f"config key 'benchmarks' names a benchmark twice: {names}")


def check_benchmarks(config: DecontaminateJobConfig) -> dict[str, list[str]]:
    """Every benchmark's files, each holding every field: one line naming file and field."""
    return {spec.name: check_benchmark(spec, config.storage) for spec in config.benchmarks}


def preflight_decontaminate(config: DecontaminateJobConfig) -> None:
    require_document_files(config.input, config.storage)
    check_benchmarks(config)


def _settings(config: DecontaminateJobConfig, files: dict[str, list[str]]) -> dict:
    """What shapes the output (for the run id): benchmarks with their files' versions."""
    return {"benchmarks": [{**to_dict(spec), "files": {
                uri: st.file_version(uri, config.storage) for uri in files[spec.name]}}
            for spec in config.benchmarks],
            "ngram": config.ngram, "action": config.action, "redact": to_dict(config.redact),
            "max_documents_per_ngram": config.max_documents_per_ngram}


def count_output(spark, config: DecontaminateJobConfig) -> dict:
    """Exact counts from the committed datasets."""
    from pyspark.sql import functions as F

    from webcurate.decontam.spark import BENCHMARKS_COLUMN, REASON_COLUMN

    kept_df = read_parquet(spark, st.join_uri(config.output, KEPT), config.storage)
    kept, redacted = kept_df.agg(
        F.count(F.lit(1)), F.count(F.col(BENCHMARKS_COLUMN))).first()
    removed_rows = (read_parquet(spark, st.join_uri(config.output, REMOVED), config.storage)
                    .groupBy(REASON_COLUMN).count().collect())
    by_reason = {r[REASON_COLUMN]: r["count"] for r in sorted(removed_rows,
                                                               key=lambda r: r[REASON_COLUMN])}
    removed = sum(by_reason.values())
    total = kept + removed
    return {"documents_in": total, "documents_kept": kept, "documents_removed": removed,
            "documents_redacted": redacted if config.action == "redact" else 0,
            "removed_by_reason": by_reason,
            "kept_fraction": round(kept / total, 6) if total else None}


def wanted_tasks(spark, config: DecontaminateJobConfig) -> int:
    return config.partitions or 2 * spark.sparkContext.defaultParallelism


def run_decontaminate(spark, config: DecontaminateJobConfig) -> JobResult:
    from webcurate.decontam import spark as dspark
    from webcurate.io.routed import write_routed_datasets

    started = time.time()
    files = document_files(config.input, config.storage)
    benchmark_files = check_benchmarks(config)
    settings = _settings(config, benchmark_files)
    run_id = run_id_for(files, json.loads(json.dumps(settings, default=str)))
    routes = {0: st.join_uri(config.output, KEPT), 1: st.join_uri(config.output, REMOVED)}

    def produce(file_prefix: str) -> dict:
        wanted = wanted_tasks(spark, config)
        table = dspark.benchmark_table(spark, list(config.benchmarks), benchmark_files,
                                       config.ngram, config.storage)
        choice = dspark.choose_index(config.index, table.distinct_ngrams,
                                     config.broadcast_max_ngrams, config.bloom_max_ngrams)
        print(f"[decontaminate] {table.distinct_ngrams:,} benchmark {config.ngram}-grams: "
              f"index {choice.kind}", flush=True)
        kind, handle = dspark.build_filter(spark, table.table, choice)
        with scan_at_least(spark, wanted if len(files) >= wanted else None):
            docs = read_document_files(spark, files, config.storage, described_as=config.input,
                                       keep_malformed=True)
            malformed = malformed_stats(docs)
            docs = well_formed(docs)
            if docs.rdd.getNumPartitions() < wanted or config.partitions:
                docs = docs.repartition(wanted, "doc_id")
            matches, common = dspark.find_matches(docs, table.table, config.ngram, kind, handle,
                                                  config.max_documents_per_ngram)
            from pyspark import StorageLevel

            matches = matches.persist(StorageLevel.MEMORY_AND_DISK)
            contaminated = dspark.per_document(matches).persist(StorageLevel.MEMORY_AND_DISK)
            contaminated_count = contaminated.count()
            routed = dspark.routed_frame(docs, contaminated, contaminated_count, config.ngram,
                                         config.action, config.redact,
                                         config.broadcast_max_documents)
            write_routed_datasets(routed, dspark.ROUTE_COLUMN, routes, file_prefix,
                                  config.storage)
            per_benchmark = dspark.benchmark_counts(matches)
            # The example texts come from removed/ (small) in remove mode; a redacted text no
            # longer holds its matches, so redact mode looks them up in the input.
            source = (docs if config.action == "redact"
                      else read_parquet(spark, routes[1], config.storage))
            examples = dspark.example_matches(source, matches, config.ngram,
                                              config.examples_per_benchmark)
        matches.unpersist()
        contaminated.unpersist()
        table.unpersist()
        if handle is not None:
            handle.unpersist()
        benchmarks = {}
        for summary in table.summaries:
            found = per_benchmark.get(summary.name, {})
            benchmarks[summary.name] = {
                **summary.as_stats(),
                "contaminated_documents": found.get("contaminated_documents", 0),
                "items_matched": found.get("items_matched", 0),
                "ngrams_matched": found.get("ngrams_matched", 0),
                "examples": examples.get(summary.name, [])}
        return {**count_output(spark, config), "contaminated_documents": contaminated_count,
                "benchmarks": benchmarks, "ngram": config.ngram, "action": config.action,
                "index": choice.as_stats(), "benchmark_ngrams": table.distinct_ngrams,
                "too_common_ngrams": common,
                "max_documents_per_ngram": config.max_documents_per_ngram, **malformed}

    datasets = [KEPT, REMOVED]
    stats, reused = commit_run(config.output, config.storage, datasets, run_id,
                               config.overwrite, produce)
    run = {"run_id": run_id, "inputs": len(files), "already_committed": reused,
           "seconds": round(time.time() - started, 3)}
    return JobResult(stats={**stats, "run": run})


def format_decontaminate_summary(stats: dict, output: str) -> str:
    total = stats.get("documents_in") or 1
    lines = [f"webcurate decontaminate: done -> {output}",
             f"  {'documents in':<40}{stats.get('documents_in'):>10}",
             f"  {'kept':<40}{stats.get('documents_kept'):>10}  "
             f"{100 * stats.get('documents_kept', 0) / total:5.1f}%"]
    if stats.get("action") == "redact":
        lines.append(f"  {'  of which redacted':<40}{stats.get('documents_redacted'):>10}")
    lines.append(f"  {'removed':<40}{stats.get('documents_removed'):>10}  "
                 f"{100 * stats.get('documents_removed', 0) / total:5.1f}%")
    for reason, n in (stats.get("removed_by_reason") or {}).items():
        lines.append(f"    {reason:<38}{n:>10}")
    index = stats.get("index") or {}
    lines.append(f"  {stats.get('benchmark_ngrams', 0):,} benchmark {stats.get('ngram')}-grams, "
                 f"index {index.get('kind')}; {stats.get('too_common_ngrams', 0)} too-common "
                 f"n-grams ignored")
    lines.append(f"  {'benchmark':<14}{'items':>8}{'n-grams':>10}{'contam. docs':>14}"
                 f"{'items hit':>11}")
    for name, row in (stats.get("benchmarks") or {}).items():
        lines.append(f"  {name:<14}{row.get('items'):>8}{row.get('ngrams'):>10}"
                     f"{row.get('contaminated_documents'):>14}{row.get('items_matched'):>11}")
        for example in row.get("examples", [])[:1]:
            where = example.get("url") or example.get("doc_id")
            lines.append(f"    e.g. item {example.get('item')} in {where}: "
                         f"\"{(example.get('ngram') or '')[:70]}\"")
    run = stats.get("run", {})
    reused = " (already committed: nothing redone)" if run.get("already_committed") else ""
    lines.append(f"  run {run.get('run_id')}: {run.get('inputs')} input files, "
                 f"{run.get('seconds')} s{reused}")
    return "\n".join(lines)


def _check_benchmarks_only(config: DecontaminateJobConfig) -> None:
    check_benchmarks(config)


STAGE = Stage(
    "decontaminate", "documents -> kept/ and removed/ by 13-gram overlap with evaluation sets "
                     "(GPT-3's method)",
    DecontaminateJobConfig, run_decontaminate, preflight=preflight_decontaminate,
    preflight_before_input=_check_benchmarks_only,
    output_documents=lambda config: st.join_uri(config.output, KEPT),
    headline=lambda stats: {"documents_in": stats.get("documents_in"),
                            "documents_out": stats.get("documents_kept")},
    format_summary=format_decontaminate_summary, pipeline_order=50,
    report_section=imported("webcurate.report.decontam_pii:decontaminate_section"))

"""The mix job: a Pile-style mixture of several sources by token share, with FineWeb-2
rehydration and a deterministic shuffle.

Each source (``sources.<name>``) is documents (Parquet / JSONL, or a committed webcurate
output prefix: its ``kept/``, under dedup's tag when it is a dedup output) or, with
``kind: text``, plain-text files, MediaWiki XML dumps (``.xml.bz2``) and archives cut into
documents as train-quality reads them (:mod:`webcurate.quality.corpus`, :mod:`.wikitext`).
It has ``epochs`` (the Pile's repetition per component) or a ``weight`` (a share of
``budget_tokens``); with ``duplicates`` (a dedup output), every survivor first counts for the
``rehydration`` schedule's repetitions of its cluster size. The arithmetic is in
:mod:`webcurate.mixing`, the Spark side in :mod:`webcurate.mixing.spark`. Token counts come
from a ``tokens`` column (a tokenize output) or are counted with ``tokenizer``.

Output: ``kept/`` (the mix: every copy a row, with ``source``, ``source_doc_id``, ``copy``,
``tokens``, ``cluster_size``; ``doc_id`` unique per copy), shuffled by ``xxhash64(seed,
doc_id)`` across ``output_files`` files; stats: per source tokens, documents, rate, share of
the mix's tokens (from the committed output).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from webcurate.config import ConfigError, option
from webcurate.io import storage as st
from webcurate.io.storage import StorageConfig
from webcurate.jobs.common import JobResult, commit_run, run_id_for
from webcurate.mixing import FINEWEB2_ITA_UP_TO_10, KEY_BUCKETS, MixError, parse_schedule
from webcurate.spark import SparkConfig
from webcurate.stages import Stage
from webcurate.tokens import DEFAULT_TOKENIZER

KEPT = "kept"
KINDS = ("documents", "text")
OUTPUT_COLUMNS = ("doc_id", "text", "url", "language", "tokens", "source", "source_doc_id",
                  "copy", "cluster_size")


@dataclass(frozen=True)
class MixSource:
    """One component of the mix."""

    input: list[str] = option(
        help="documents (Parquet / JSONL file, directory, glob, list) or a committed webcurate "
             "output prefix; kind: text: text files, .xml.bz2 wiki dumps, .zip archives")
    kind: str = option("documents", choices=KINDS, help="documents, or text files cut into "
                                                         "documents")
    weight: float | None = option(None, min=0.0, help="share of the budget (relative)")
    epochs: float | None = option(None, min=0.0, help="repetitions of the source (the Pile's)")
    duplicates: str | None = option(
        None, help="rehydrate: a dedup output prefix, or its duplicates/ dataset")
    text_doc_chars: int = option(20_000, min=100, help="kind: text: characters per document")


@dataclass(frozen=True)
class MixJobConfig:
    """``conf/mix.yaml`` / ``conf/recipes/pile.yaml``: sources in, one shuffled mix out."""

    sources: dict[str, MixSource] = option(help="name -> source settings")
    output: str = option(help="output prefix: kept/, stats.json")
    budget_tokens: int | None = option(
        None, min=1, help="tokens in the mix; null: epochs as given, or (weights) the largest "
                          "mix that repeats no document")
    tokenizer: str = option(DEFAULT_TOKENIZER,
                            help="counts tokens of sources without a tokens column")
    rehydration: dict[str, int] = option(
        {str(k): v for k, v in FINEWEB2_ITA_UP_TO_10.items()},
        help="min cluster size -> repetitions, for sources with duplicates (default: "
             "FineWeb-2's ita_Latn up-to-10 schedule)")
    seed: int = option(0, help="unit keys and the output order")
    output_files: int | None = option(None, min=1, help="files of the mix (default: 2 per core)")
    overwrite: bool = option(False, help="replace a committed run made with other settings")
    storage: StorageConfig = option(StorageConfig, help="object storage access")
    spark: SparkConfig = option(SparkConfig, help="Spark session settings")

    def __post_init__(self):
        if not self.sources:
            raise ValueError("config key 'sources': name at least one source")
        for name, source in self.sources.items():
            if (source.weight is None) == (source.epochs is None):
                raise ValueError(f"config key 'sources.{name}': give weight or epochs (one)")
        if len({s.weight is None for s in self.sources.values()}) > 1:
            raise ValueError("config key 'sources': give every source a weight or every "
                             "source epochs, not both")
        try:
            parse_schedule(self.rehydration)
        except MixError as err:
            raise ValueError(f"config key 'rehydration': {err}") from None


def _stats_of(prefix: str, storage: StorageConfig) -> dict | None:
    uri = st.join_uri(prefix, "stats.json")
    if not st.exists(uri, storage):
        return None
    try:
        return json.loads(st.read_bytes(uri, storage))
    except ValueError:
        return None


def _dataset_base(prefix: str, stats: dict) -> str:
    dataset = (stats.get("run") or {}).get("dataset")
    if isinstance(dataset, str) and dataset.strip("/"):
        return st.join_uri(prefix, dataset.rstrip("/").rsplit("/", 1)[-1])
    return prefix


def source_documents(spec: list[str], storage: StorageConfig) -> list[str]:
    """A webcurate output prefix means its kept/ (under dedup's tag); anything else as is."""
    out = []
    for item in spec:
        stats = _stats_of(item, storage)
        out.append(st.join_uri(_dataset_base(item, stats), KEPT) if stats is not None else item)
    return out


def duplicates_dataset(spec: str, storage: StorageConfig) -> str:
    stats = _stats_of(spec, storage)
    base = _dataset_base(spec, stats) if stats is not None else spec
    candidate = st.join_uri(base, "duplicates")
    return candidate if st.exists(candidate, storage) else spec


def preflight_mix(config: MixJobConfig) -> None:
    from webcurate.documents import require_document_files
    from webcurate.jobs.tokenize import check_tokenizer

    for name, source in config.sources.items():
        if source.kind == "documents":
            require_document_files(source_documents(list(source.input), config.storage),
                                   config.storage, key=f"sources.{name}.input")
        else:
            for item in source.input:
                if not st.exists(item, config.storage):
                    raise ConfigError(f"config key 'sources.{name}.input': not found: {item}")
        if source.duplicates and not st.exists(
                duplicates_dataset(source.duplicates, config.storage), config.storage):
            raise ConfigError(f"config key 'sources.{name}.duplicates': not found: "
                              f"{source.duplicates}")
    check_tokenizer(_TokenizerOnly(config.tokenizer))


@dataclass(frozen=True)
class _TokenizerOnly:
    tokenizer: str
    eos: Any = None


def _read_source(spark, name: str, source: MixSource, storage: StorageConfig):
    from pyspark.sql import functions as F

    if source.kind == "text":
        from webcurate.quality.spark.training import read_class_documents

        docs, _ = read_class_documents(spark, list(source.input), storage,
                                       source.text_doc_chars)
    else:
        from webcurate.documents import document_files, read_document_files, well_formed

        files = document_files(source_documents(list(source.input), storage), storage)
        docs = well_formed(read_document_files(spark, files, storage,
                                               described_as=list(source.input)))
    for column in ("url", "language"):
        if column not in docs.columns:
            docs = docs.withColumn(column, F.lit(None).cast("string"))
    return docs


def _with_tokens(docs, tokenizer: str):
    """``docs`` with ``tokens``: their own column, else counted (unencodable: left out)."""
    from pyspark.sql import functions as F

    from webcurate.tokens.spark import with_token_counts

    if "tokens" in docs.columns:
        return docs.where(F.col("tokens").isNotNull())
    return (with_token_counts(docs, tokenizer, None, "_route").where(F.col("_route") == 0)
            .drop("_route", "token_error"))


def run_mix(spark, config: MixJobConfig) -> JobResult:
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    from webcurate.io.datasets import read_parquet, write_dataset_files
    from webcurate.mixing import crossing, fractional_ranges, plan_rates
    from webcurate.mixing import spark as mixing_spark

    started = time.time()
    schedule = parse_schedule(config.rehydration)
    names = list(config.sources)
    settings = {"sources": {n: {**config.sources[n].__dict__, "input": list(
        config.sources[n].input)} for n in names}, "budget_tokens": config.budget_tokens,
        "tokenizer": config.tokenizer, "rehydration": config.rehydration, "seed": config.seed}
    run_id = run_id_for([], json.loads(json.dumps(settings, default=str)))

    def produce(file_prefix: str) -> dict:
        docs, units, counted, totals = {}, {}, {}, {}
        for name in names:
            source = config.sources[name]
            docs[name] = _read_source(spark, name, source, config.storage)
            units[name] = None
            if source.duplicates:
                dup = read_parquet(spark, duplicates_dataset(source.duplicates, config.storage),
                                   config.storage)
                units[name] = mixing_spark.cluster_units(dup, schedule)
            ids = _with_tokens(docs[name].select(
                "doc_id", *[c for c in ("text", "tokens") if c in docs[name].columns]),
                config.tokenizer).select("doc_id", "tokens")
            counted[name] = mixing_spark.with_units(ids, units[name]).persist(
                StorageLevel.MEMORY_AND_DISK)
            row = counted[name].agg(
                F.count("*").alias("documents"), F.sum("tokens").alias("tokens"),
                F.sum(F.col("tokens") * F.col("_units")).alias("unit_tokens"),
                F.count(F.when(F.col("_units") != 1, 1)).alias("rehydrated")).first()
            totals[name] = {k: int(row[k] or 0) for k in
                            ("documents", "tokens", "unit_tokens", "rehydrated")}
        try:
            plans = plan_rates({n: totals[n]["unit_tokens"] for n in names},
                               {n: config.sources[n].weight for n in names},
                               {n: config.sources[n].epochs for n in names},
                               config.budget_tokens)
        except MixError as err:
            raise ConfigError(str(err)) from None
        parts, thresholds = [], {}
        for name in names:
            plan = plans[name]
            wanted = plan.fractional_tokens
            ranges: list[tuple[float, float]] = []
            if wanted > 0:
                level1 = mixing_spark.bucket_totals(counted[name], config.seed, name)
                bucket, _ = crossing(level1, wanted)
                if bucket >= KEY_BUCKETS:
                    ranges = [(0.0, 1.0)]
                else:
                    level2 = mixing_spark.bucket_totals(counted[name], config.seed, name, bucket)
                    ranges, _ = fractional_ranges(level1, bucket, level2, wanted)
            thresholds[name] = ranges
            full = mixing_spark.with_units(_with_tokens(docs[name], config.tokenizer),
                                           units[name])
            copies = mixing_spark.mixed_copies(full, config.seed, name, plan.whole_copies,
                                               ranges)
            parts.append(copies.withColumnRenamed("_cluster_size", "cluster_size")
                         .select(*[F.col(c) for c in OUTPUT_COLUMNS]))
        mix = parts[0]
        for part in parts[1:]:
            mix = mix.unionByName(part)
        files = config.output_files or 2 * spark.sparkContext.defaultParallelism
        write_dataset_files(mixing_spark.shuffled(mix, config.seed, files),
                            st.join_uri(config.output, KEPT), file_prefix, config.storage)
        for frame in counted.values():
            frame.unpersist()
        return {**mix_stats(spark, config, totals, plans, thresholds), "seed": config.seed,
                "tokenizer": config.tokenizer}

    stats, reused = commit_run(config.output, config.storage, [KEPT], run_id, config.overwrite,
                               produce)
    run = {"run_id": run_id, "already_committed": reused,
           "seconds": round(time.time() - started, 3)}
    return JobResult(stats={**stats, "run": run})


def mix_stats(spark, config: MixJobConfig, totals: dict, plans: dict, thresholds: dict) -> dict:
    """Per source: what it had, its rate, and what the committed mix holds (groupBy)."""
    from pyspark.sql import functions as F

    from webcurate.io.datasets import read_parquet

    rows = (read_parquet(spark, st.join_uri(config.output, KEPT), config.storage)
            .groupBy("source").agg(F.count("*").alias("documents"),
                                    F.sum("tokens").alias("tokens"),
                                    F.countDistinct("source_doc_id").alias("distinct")).collect())
    got = {r["source"]: r for r in rows}
    mixed_tokens = sum(int(r["tokens"] or 0) for r in rows)
    sources = {}
    for name, plan in plans.items():
        row = got.get(name)
        tokens = int(row["tokens"] or 0) if row else 0
        sources[name] = {
            "documents_in": totals[name]["documents"], "tokens_in": totals[name]["tokens"],
            "tokens_rehydrated": totals[name]["unit_tokens"],
            "documents_rehydrated": totals[name]["rehydrated"],
            "rate": round(plan.rate, 6), "target_tokens": round(plan.target_tokens),
            "key_ranges": [list(r) for r in thresholds[name]],
            "documents": row["documents"] if row else 0,
            "distinct_documents": row["distinct"] if row else 0, "tokens": tokens,
            "share": round(tokens / mixed_tokens, 6) if mixed_tokens else None}
    return {"documents_in": sum(t["documents"] for t in totals.values()),
            "documents_out": sum(s["documents"] for s in sources.values()),
            "tokens": mixed_tokens, "budget_tokens": config.budget_tokens, "sources": sources}


def format_mix_summary(stats: dict, output: str) -> str:
    lines = [f"webcurate mix: done -> {output}",
             f"  {'source':<16}{'docs in':>10}{'tokens in':>14}{'rate':>9}{'docs out':>10}"
             f"{'tokens out':>14}{'share':>8}"]
    for name, s in (stats.get("sources") or {}).items():
        share = f"{100 * s['share']:.2f}%" if s.get("share") is not None else "-"
        lines.append(f"  {name:<16}{s['documents_in']:>10,}{s['tokens_in']:>14,}"
                     f"{s['rate']:>9.3f}{s['documents']:>10,}{s['tokens']:>14,}{share:>8}")
    lines.append(f"  mix: {stats.get('documents_out', 0):,} documents, "
                 f"{stats.get('tokens', 0):,} tokens (budget {stats.get('budget_tokens')})")
    run = stats.get("run", {})
    reused = " (already committed: nothing redone)" if run.get("already_committed") else ""
    lines.append(f"  run {run.get('run_id')}: {run.get('seconds')} s{reused}")
    return "\n".join(lines)


STAGE = Stage(
    "mix", "sources -> one Pile-style mixture by token weights or epochs, FineWeb-2 "
           "rehydration, deterministic shuffle", MixJobConfig, run_mix, preflight=preflight_mix,
    output_documents=lambda config: st.join_uri(config.output, KEPT),
    headline=lambda stats: {"documents_in": stats.get("documents_in"),
                            "documents_out": stats.get("documents_out"),
                            "tokens_out": stats.get("tokens")},
    format_summary=format_mix_summary)

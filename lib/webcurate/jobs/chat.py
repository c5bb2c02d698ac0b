"""The chat job: dialogue / instruction files in the common formats -> one schema, filtered,
prompts deduplicated, written as ``kept/`` and ``rejected/`` document datasets.

Formats (:mod:`webcurate.chat.formats`): Alpaca, Self-Instruct seed tasks, ShareGPT, OpenAI
``messages``, Dolly, HH-RLHF, detected per record (``format: auto``) or named. Filters
(:mod:`webcurate.chat.filters`): roles, turn count, empty and truncated turns, length, repeated
turns, language. Dedup (:mod:`webcurate.chat.spark`): exact, then MinHash near duplicates of
the prompt, with :mod:`webcurate.dedup`'s MinHash core and connected components.

Every row is a document: ``doc_id``, ``text`` (the dialogue rendered ``User: ...`` /
``Assistant: ...``), ``messages`` (the structured turns), ``source``, ``format``,
``generator``, ``metadata`` and signals; ``rejected/`` rows carry their ``reason``. So
``webcurate decontaminate`` (against benchmarks) and the other document jobs read ``kept/``
as they read any documents. Committed once per run (:func:`webcurate.jobs.common.commit_run`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from webcurate.chat.filters import DialogueFilterSettings
from webcurate.chat.formats import FORMATS
from webcurate.chat.settings import PromptDedupSettings
from webcurate.config import ConfigError, option, to_dict
from webcurate.io import storage as st
from webcurate.io.storage import StorageConfig
from webcurate.jobs.common import JobResult, commit_run, run_id_for
from webcurate.spark import SparkConfig
from webcurate.stages import Stage

KEPT = "kept"
REJECTED = "rejected"
ROUTE = "_route"


@dataclass(frozen=True)
class ChatJobConfig:
    """``conf/chat.yaml`` or a recipe's ``chat:`` section (``--recipe chat-clean``)."""

    input: list[str] = option(
        help="dialogue files: JSON lines (plain, .gz, .zst) or JSON arrays; file, directory, "
             "glob or list; local or s3://")
    output: str = option(help="output prefix: kept/, rejected/, stats.json, config.yaml")
    format: str = option("auto", choices=("auto", *FORMATS),
                         help="the records' format; auto: detected per record from its keys")
    filters: DialogueFilterSettings = option(DialogueFilterSettings, help="dialogue filters")
    dedup: PromptDedupSettings = option(PromptDedupSettings, help="exact and near prompt dedup")
    write_rejected: bool = option(True, help="write the removed dialogues to rejected/")
    overwrite: bool = option(False, help="replace a committed run made with other settings")
    storage: StorageConfig = option(StorageConfig, help="object storage access")
    spark: SparkConfig = option(SparkConfig, help="Spark session settings")


def chat_files(config: ChatJobConfig) -> list[str]:
    from webcurate.documents import document_files
    from webcurate.io.inputs import InputError

    try:
        files = document_files(list(config.input), config.storage, manifest_base="")
    except InputError as err:
        raise ConfigError(f"config key 'input': {err}") from None
    files = sorted(f for f in files
                   if f.lower().endswith((".jsonl", ".json", ".ndjson", ".gz", ".zst")))
    if not files:
        raise ConfigError(f"config key 'input': no dialogue files in {list(config.input)}")
    return files


def preflight_chat(config: ChatJobConfig) -> None:
    chat_files(config)


def count_output(spark, config: ChatJobConfig) -> dict:
    from pyspark.sql import functions as F

    from webcurate.io.datasets import read_parquet

    kept = read_parquet(spark, st.join_uri(config.output, KEPT), config.storage)
    by_source = {r["source"]: r["n"] for r in kept.groupBy("source").agg(
        F.count(F.lit(1)).alias("n")).collect()}
    turns = {int(r["turns"]): r["n"] for r in kept.groupBy("turns").agg(
        F.count(F.lit(1)).alias("n")).collect()}
    stats = {"dialogues_kept": sum(by_source.values()),
             "kept_by_source": dict(sorted(by_source.items())),
             "kept_turns_histogram": dict(sorted(turns.items()))}
    if config.write_rejected:
        rejected = read_parquet(spark, st.join_uri(config.output, REJECTED), config.storage)
        by_reason = {r["reason"]: r["n"] for r in rejected.groupBy("reason").agg(
            F.count(F.lit(1)).alias("n")).collect()}
        stats["removed_by_reason"] = dict(sorted(by_reason.items()))
    return stats


def run_chat(spark, config: ChatJobConfig) -> JobResult:
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    from webcurate.chat import spark as cspark
    from webcurate.io.routed import write_routed_datasets

    started = time.time()
    files = chat_files(config)
    settings = {"format": config.format, "filters": to_dict(config.filters),
                "dedup": to_dict(config.dedup), "write_rejected": config.write_rejected}
    run_id = run_id_for(files, settings)
    datasets = (KEPT, REJECTED) if config.write_rejected else (KEPT,)

    def produce(file_prefix: str) -> dict:
        rows = cspark.read_dialogues(spark, files, config.format, config.filters,
                                     config.dedup.prompt, config.storage)
        rows = rows.persist(StorageLevel.MEMORY_AND_DISK)  # read, filtered (lid) once
        malformed = rows.where(F.col("kind") == cspark.MALFORMED)
        bad = malformed.agg(F.count(F.lit(1)).alias("n"),
                            F.min(F.struct("source_file", "source_row", "detail")).alias("ex"))
        bad = bad.first()
        dialogues = cspark.with_dedup(rows.where(F.col("kind") == cspark.DIALOGUE), config.dedup)
        routed = dialogues.withColumn(ROUTE, F.when(F.col("reason").isNull(), 0).otherwise(1))
        if not config.write_rejected:
            routed = routed.where(F.col(ROUTE) == 0)
        routes = {i: st.join_uri(config.output, name) for i, name in enumerate(datasets)}
        write_routed_datasets(routed.select(*cspark.OUTPUT_COLUMNS, ROUTE), ROUTE, routes,
                              file_prefix, config.storage)
        read = rows.where(F.col("kind") == cspark.DIALOGUE).count()
        rows.unpersist()
        return {"files": len(files), "dialogues_read": read,
                "malformed_records": int(bad["n"]),
                "malformed_example": bad["ex"].asDict() if bad["ex"] else None,
                **count_output(spark, config)}

    stats, reused = commit_run(config.output, config.storage, datasets, run_id,
                               config.overwrite, produce)
    run = {"run_id": run_id, "inputs": len(files), "already_committed": reused,
           "seconds": round(time.time() - started, 3)}
    return JobResult(stats={**stats, "run": run})


def format_chat_summary(stats: dict, output: str) -> str:
    lines = [f"webcurate chat: done -> {output}",
             f"  {'dialogues read':<40}{stats['dialogues_read']:>10}",
             f"  {'malformed records':<40}{stats['malformed_records']:>10}",
             f"  {'kept':<40}{stats['dialogues_kept']:>10}"]
    lines += [f"  removed {k:<32}{n:>10}" for k, n in stats.get("removed_by_reason", {}).items()]
    return "\n".join(lines)


STAGE = Stage(
    "chat", "dialogue / instruction files (Alpaca, ShareGPT, OpenAI, Dolly, HH-RLHF) -> one "
            "schema, dialogue filters, exact and near prompt dedup",
    ChatJobConfig, run_chat, preflight=preflight_chat,
    output_documents=lambda config: st.join_uri(config.output, KEPT),
    headline=lambda stats: {"documents_in": stats.get("dialogues_read"),
                            "documents_out": stats.get("dialogues_kept")},
    input_label="dialogues", format_summary=format_chat_summary, reads_documents=False)

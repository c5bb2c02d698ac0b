"""The instructions job: SNI / Flan-style task files -> prompt / completion (and chat) records.

Each task's Definition, Positive Examples and Instances become records through a template set
(:mod:`webcurate.instructions.template_sets`; YAML with Jinja2): zero-shot, few-shot (k
exemplars drawn by hash from the task's own examples, never the instance itself) and
chain-of-thought variants where the task has rationales, with per-task caps and mixing weights
(:mod:`webcurate.instructions.render`). After Wang et al. 2022 (Super-NaturalInstructions) and
Longpre et al. 2023 (The Flan Collection).

Output ``<output>/records/``: one row per record, ``doc_id``, ``task``, ``variant``,
``template``, ``prompt``, ``completion``, ``messages`` (user / assistant, optionally a system
turn) and ``text`` (prompt, blank line, completion), so decontaminate and the other document
jobs read it as documents. Committed once per run (:func:`webcurate.jobs.common.commit_run`);
a rerun with the same files and settings returns the committed stats.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from webcurate.config import ConfigError, option, to_dict
from webcurate.instructions.settings import RenderSettings
from webcurate.instructions.template_sets import TemplateError, check_template_set
from webcurate.io import storage as st
from webcurate.io.storage import StorageConfig
from webcurate.jobs.common import JobResult, commit_run, run_id_for
from webcurate.spark import SparkConfig
from webcurate.stages import Stage

RECORDS = "records"
TASK_SUFFIX = ".json"


@dataclass(frozen=True)
class InstructionsJobConfig:
    """``conf/instructions.yaml``, or a recipe's ``instructions:`` section (``sni-flan``)."""

    input: list[str] = option(
        help="SNI-style task files (*.json): file, directory, glob or list; local or s3://")
    output: str = option(help="output prefix: records/, stats.json, config.yaml")
    render: RenderSettings = option(RenderSettings, help="templates, variants, exemplars, mixing")
    partitions: int | None = option(
        None, min=1, help="Spark tasks the task files are spread over (default: 2 per core)")
    overwrite: bool = option(False, help="replace a committed run made with other settings")
    storage: StorageConfig = option(StorageConfig, help="object storage access")
    spark: SparkConfig = option(SparkConfig, help="Spark session settings")


def task_files(config: InstructionsJobConfig) -> list[str]:
    from webcurate.documents import document_files
    from webcurate.io.inputs import InputError

    try:
        files = document_files(list(config.input), config.storage, manifest_base="")
    except InputError as err:
        raise ConfigError(f"config key 'input': {err}") from None
    files = sorted(f for f in files if f.lower().endswith(TASK_SUFFIX))
    if not files:
        raise ConfigError(f"config key 'input': no task files (*.json) in {list(config.input)}")
    return files


def check_templates(config: InstructionsJobConfig) -> None:
    try:
        check_template_set(config.render.templates, tuple(config.render.variants))
    except TemplateError as err:
        raise ConfigError(f"config key 'render.templates': {err}") from None


def preflight_instructions(config: InstructionsJobConfig) -> None:
    check_templates(config)
    task_files(config)


def run_instructions(spark, config: InstructionsJobConfig) -> JobResult:
    from webcurate.instructions import spark as ispark
    from webcurate.io.datasets import read_parquet, write_dataset_files

    started = time.time()
    check_templates(config)
    files = task_files(config)
    partitions = config.partitions or 2 * spark.sparkContext.defaultParallelism
    run_id = run_id_for(files, {"render": to_dict(config.render)})

    def produce(file_prefix: str) -> dict:
        rows = ispark.rendered_rows(spark, files, config.render, config.storage, partitions)
        target = st.join_uri(config.output, RECORDS)
        write_dataset_files(ispark.records(rows), target, file_prefix, config.storage)
        written = read_parquet(spark, target, config.storage)
        by_variant = ispark.counted(written, "variant")
        return {"task_files": len(files), "records": sum(by_variant.values()),
                "records_by_variant": by_variant,
                "records_by_task_variant": ispark.counted(written, "task", "variant"),
                "records_by_template": ispark.counted(written, "variant", "template"),
                **ispark.side_stats(rows)}

    stats, reused = commit_run(config.output, config.storage, (RECORDS,), run_id,
                               config.overwrite, produce)
    run = {"run_id": run_id, "inputs": len(files), "already_committed": reused,
           "seconds": round(time.time() - started, 3)}
    return JobResult(stats={**stats, "run": run})


def format_instructions_summary(stats: dict, output: str) -> str:
    lines = [f"webcurate instructions: done -> {output}",
             f"  {'task files':<40}{stats['task_files']:>10}",
             f"  {'malformed task files':<40}{stats['malformed_tasks']:>10}",
             f"  {'records':<40}{stats['records']:>10}"]
    lines += [f"    {v:<38}{n:>10}" for v, n in stats["records_by_variant"].items()]
    lines += [f"  skipped {k:<32}{n:>10}" for k, n in stats["skipped"].items()]
    return "\n".join(lines)


STAGE = Stage(
    "instructions", "SNI / Flan task files -> prompt/completion and chat records (templates, "
                    "zero-shot, few-shot, chain of thought, caps and weights)",
    InstructionsJobConfig, run_instructions, preflight=preflight_instructions,
    output_documents=lambda config: st.join_uri(config.output, RECORDS),
    headline=lambda stats: {"documents_in": stats.get("task_files"),
                            "documents_out": stats.get("records")},
    input_label="task files", format_summary=format_instructions_summary,
    documents_dir=RECORDS, reads_documents=False)

"""The pipeline: extract -> filter -> dedup -> quality, each stage's committed output the next's
input, then the report.

``webcurate pipeline --recipe fineweb --set input=... --set output=OUT`` runs the stages a
recipe describes (its ``extract:``, ``filter:``, ``dedup:``, ``quality:`` sections, or
``pipeline: {stages: [...]}``) under ``OUT/<stage>/``, each exactly as its own job would run it:
same config class (so the same validation, naming keys as ``filter.settings...``), same commit
protocol, same lease on its output. A stage whose output is already committed returns at once,
so a rerun after a failure resumes at the first unfinished stage. Every stage config is built
and checked before any Spark work.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

from webcurate.config import ConfigError, build, option, to_dict
from webcurate.io import storage as st
from webcurate.io.storage import StorageConfig
from webcurate.jobs.common import JobResult
from webcurate.recipes import recipe_pipeline
from webcurate.spark import SparkConfig
from webcurate.stages import Stage, get_stage, pipeline_stages


@dataclass(frozen=True)
class PipelineConfig:
    """``webcurate pipeline``: the stages in order, each with its own job settings."""

    input: list[str] = option(
        help="WARC/WET/ARC inputs when extract runs first, else documents for the first stage")
    output: str = option(help="output prefix, local or s3://: <stage>/ for each stage, report/")
    stages: list[str] = option(
        ["extract", "filter", "dedup"],
        help="stages to run, in pipeline order (a recipe sets them): registered pipeline "
             "stages (extract, filter, dedup, quality)")
    extract: dict[str, Any] = option(
        {}, help="extract job settings (webcurate extract --help-config)")
    filter: dict[str, Any] = option({}, help="filter job settings (webcurate filter --help-config)")
    dedup: dict[str, Any] = option({}, help="dedup job settings (webcurate dedup --help-config)")
    substring: dict[str, Any] = option(
        {}, help="exact-substring dedup settings (webcurate substring --help-config)")
    quality: dict[str, Any] = option({}, help="quality job settings; needs quality.model")
    perplexity: dict[str, Any] = option(
        {}, help="CCNet perplexity job settings; needs perplexity.models (train-lm)")
    gpt3: dict[str, Any] = option(
        {}, help="GPT-3 MLlib classifier + dedup settings; needs gpt3.model (train-gpt3)")
    decontaminate: dict[str, Any] = option(
        {}, help="decontaminate job settings; needs decontaminate.benchmarks")
    pii: dict[str, Any] = option({}, help="pii job settings (webcurate pii --help-config)")
    tokenize: dict[str, Any] = option(
        {}, help="tokenize job settings, the last stage (webcurate tokenize --help-config)")
    report: bool = option(True, help="write report/index.html under the output at the end")
    storage: StorageConfig = option(StorageConfig, help="object storage access, every stage")
    spark: SparkConfig = option(SparkConfig, help="Spark session settings, every stage")

    def __post_init__(self):
        known = pipeline_stages()
        unknown = [s for s in self.stages if s not in known]
        if unknown:
            raise ValueError(f"config key 'stages': must be among {', '.join(known)}, got "
                             f"{unknown[0]!r}")
        order = [s for s in known if s in self.stages]
        if order != list(self.stages):
            raise ValueError(f"config key 'stages': run them in pipeline order ({order})")
        stage_configs(self)  # every stage's keys, types and ranges, checked now


def _nested(section: dict) -> dict:
    """``{"settings.c4.min_sentences": v}`` (from ``--set filter.settings.c4...``) -> nested."""
    nested: dict = {}
    for key, value in section.items():
        node = nested
        parts = str(key).split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        if isinstance(value, dict) and isinstance(node.get(parts[-1]), dict):
            node[parts[-1]].update(_nested(value))
        else:
            node[parts[-1]] = _nested(value) if isinstance(value, dict) else value
    return nested


def stage_configs(config: PipelineConfig) -> list[tuple[str, object]]:
    """Each stage's job config, inputs chained: built now, so any key error fails at start."""
    configs, previous = [], None
    for stage in config.stages:
        config_class = get_stage(stage).config_class
        raw = _nested(getattr(config, stage))
        for key in ("input", "output", "storage", "spark"):
            if key in raw:
                raise ConfigError(f"config key '{stage}.{key}': set by the pipeline, not per stage")
        raw["input"] = list(config.input) if previous is None else [previous]
        raw["output"] = st.join_uri(config.output, stage)
        raw["storage"], raw["spark"] = to_dict(config.storage), to_dict(config.spark)
        stage_config = build(config_class, raw, prefix=f"{stage}.")
        configs.append((stage, stage_config))
        try:
            previous = get_stage(stage).output_documents(stage_config)
        except ConfigError as err:
            raise ConfigError(stage_key_message(str(err), stage)) from None
    return configs


def preflight_pipeline(config: PipelineConfig) -> None:
    """Every stage's own checks, before Spark: the first stage's whole preflight, the later
    stages' checks that need no upstream output (lists, models)."""
    for position, (stage, stage_config) in enumerate(stage_configs(config)):
        registered = get_stage(stage)
        check = registered.check_before_input if position else registered.preflight
        try:
            check(stage_config)
        except ConfigError as err:
            raise ConfigError(stage_key_message(str(err), stage)) from None


def stage_key_message(message: str, stage: str) -> str:
    """A stage's one-line config error with its keys named as the pipeline spells them:
    ``config key 'settings.x': ...`` -> ``config key 'filter.settings.x': ...``."""
    head, colon, rest = message.partition(":")
    head = re.sub(r"'(?=[A-Za-z_][\w.]*')", f"'{stage}.", head)
    return head + colon + rest


def run_pipeline(spark, config: PipelineConfig) -> JobResult:
    from webcurate.running import run_stage

    started = time.time()
    configs = stage_configs(config)
    stats: dict = {"stages": {}}
    failed = False
    for number, (stage, stage_config) in enumerate(configs, start=1):
        print(f"[pipeline] stage {number}/{len(configs)} {stage}: "
              f"{', '.join(stage_config.input)} -> {stage_config.output}", flush=True)
        stage_started = time.time()
        registered = get_stage(stage)
        code, result = run_stage(registered, stage_config, spark)
        stats["stages"][stage] = {"exit_code": code, "output": stage_config.output,
                                  "documents": registered.output_documents(stage_config),
                                  "seconds": round(time.time() - stage_started, 3),
                                  **registered.headline(result.stats if result else {})}
        print(f"[pipeline] stage {number}/{len(configs)} {stage}: exit {code}, "
              f"{stats['stages'][stage]}", flush=True)
        if code != 0:
            failed = True
            break
    if config.report and not failed:
        stats["report"] = _write_report(spark, config, configs)
    stats["seconds"] = round(time.time() - started, 3)
    return JobResult(stats=stats, failed=failed)


def _write_report(spark, config: PipelineConfig, configs) -> str:
    """``OUTPUT/report/index.html`` from every stage that ran (see :mod:`webcurate.report`)."""
    from webcurate.report import build_report, load_stages

    stages = load_stages({stage: stage_config.output for stage, stage_config in configs},
                         config.storage)
    return build_report(stages, config.output, config.storage, spark=spark)


def format_pipeline_summary(stats: dict, output: str) -> str:
    """The funnel: documents into and out of each stage, and its time."""
    lines = [f"webcurate pipeline: done -> {output}",
             f"  {'stage':<10}{'exit':>5}{'docs in':>12}{'docs out':>12}{'seconds':>10}  output"]
    for stage, row in stats.get("stages", {}).items():
        lines.append(f"  {stage:<10}{row['exit_code']:>5}{row.get('documents_in')!s:>12}"
                     f"{row.get('documents_out')!s:>12}{row['seconds']:>10}  {row['documents']}")
    if stats.get("report"):
        lines.append(f"  report: {stats['report']}")
    lines.append(f"  {stats.get('seconds')} s in all")
    return "\n".join(lines)


STAGE = Stage(
    "pipeline", "extract -> filter -> dedup -> quality as a recipe describes, resumable, with "
                "a report", PipelineConfig, run_pipeline, preflight=preflight_pipeline,
    format_summary=format_pipeline_summary,
    from_recipe=lambda recipe: recipe_pipeline(recipe, pipeline_stages()))

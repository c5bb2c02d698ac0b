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
from webcurate.spark import SparkConfig

STAGES = ("extract", "filter", "dedup", "quality")


@dataclass(frozen=True)
class PipelineConfig:
    """``webcurate pipeline``: the stages in order, each with its own job settings."""

    input: list[str] = option(
        help="WARC/WET/ARC inputs when extract runs first, else documents for the first stage")
    output: str = option(help="output prefix, local or s3://: <stage>/ for each stage, report/")
    stages: list[str] = option(
        ["extract", "filter", "dedup"], choices=STAGES,
        help="stages to run, in pipeline order (a recipe sets them)")
    extract: dict[str, Any] = option(
        {}, help="extract job settings (webcurate extract --help-config)")
    filter: dict[str, Any] = option({}, help="filter job settings (webcurate filter --help-config)")
    dedup: dict[str, Any] = option({}, help="dedup job settings (webcurate dedup --help-config)")
    quality: dict[str, Any] = option({}, help="quality job settings; needs quality.model")
    report: bool = option(True, help="write report/index.html under the output at the end")
    storage: StorageConfig = option(StorageConfig, help="object storage access, every stage")
    spark: SparkConfig = option(SparkConfig, help="Spark session settings, every stage")

    def __post_init__(self):
        order = [s for s in STAGES if s in self.stages]
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
    from webcurate.cli import JOBS, _load_job

    configs, previous = [], None
    for stage in config.stages:
        config_class, _, _ = _load_job(stage)
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
            previous = stage_output_documents(stage, stage_config)
        except ConfigError as err:
            raise ConfigError(stage_key_message(str(err), stage)) from None
        assert stage in JOBS
    return configs


def stage_output_documents(stage: str, config) -> str:
    """Where a stage's documents for the next stage are (dedup's under its parameter tag)."""
    if stage == "extract":
        return st.join_uri(config.output, "docs")
    if stage == "dedup":
        from webcurate.jobs.dedup import plan_dedup

        return st.join_uri(config.output, plan_dedup(config).tag, "kept")
    return st.join_uri(config.output, "kept")


def preflight_pipeline(config: PipelineConfig) -> None:
    """Every stage's own checks that need no upstream output (lists, models), before Spark."""
    from webcurate.cli import _load_job
    from webcurate.jobs.filter import check_filter_lists

    for position, (stage, stage_config) in enumerate(stage_configs(config)):
        _, _, preflight = _load_job(stage)
        check = check_filter_lists if stage == "filter" and position else preflight
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
    from webcurate.cli import run_stage

    started = time.time()
    configs = stage_configs(config)
    stats: dict = {"stages": {}}
    failed = False
    for number, (stage, stage_config) in enumerate(configs, start=1):
        print(f"[pipeline] stage {number}/{len(configs)} {stage}: "
              f"{', '.join(stage_config.input)} -> {stage_config.output}", flush=True)
        stage_started = time.time()
        code, result = run_stage(stage, stage_config, spark)
        stats["stages"][stage] = {"exit_code": code, "output": stage_config.output,
                                  "documents": stage_output_documents(stage, stage_config),
                                  "seconds": round(time.time() - stage_started, 3),
                                  **_headline(stage, result.stats if result else {})}
        print(f"[pipeline] stage {number}/{len(configs)} {stage}: exit {code}, "
              f"{stats['stages'][stage]}", flush=True)
        if code != 0:
            failed = True
            break
    if config.report and not failed:
        stats["report"] = _write_report(spark, config, configs)
    stats["seconds"] = round(time.time() - started, 3)
    return JobResult(stats=stats, failed=failed)


def _headline(stage: str, stats: dict) -> dict:
    """The counts a person wants per stage line: documents in and out."""
    keys = {"extract": ("files", "docs"), "filter": ("documents_in", "documents_kept"),
            "dedup": ("documents_in", "documents_kept"), "quality": ("docs", "docs_kept")}
    return {key: stats[key] for key in keys[stage] if key in stats}


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
        docs_in = row.get("documents_in", row.get("files", row.get("docs")))
        docs_out = row.get("documents_kept", row.get("docs_kept", row.get("docs")))
        in_text = f"{docs_in} files" if stage == "extract" and docs_in is not None else docs_in
        lines.append(f"  {stage:<10}{row['exit_code']:>5}{in_text!s:>12}{docs_out!s:>12}"
                     f"{row['seconds']:>10}  {row['documents']}")
    if stats.get("report"):
        lines.append(f"  report: {stats['report']}")
    lines.append(f"  {stats.get('seconds')} s in all")
    return "\n".join(lines)

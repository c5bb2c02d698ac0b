"""The filter job: documents -> ``kept/`` and ``rejected/filter=<name>/``, annotate-then-filter.

Every document goes through the chain once (:mod:`webcurate.filters.chain`, pure Python in a
``mapInArrow`` task over Arrow batches), gets one column per measured signal, and is routed in the
same pass to ``kept/`` or to the rejecting filter's ``rejected/filter=<name>/`` dataset
(:mod:`webcurate.io.routed`), each row with its ``filter`` and ``reason``. With
``annotated: true`` the input is an earlier run's output and only the decisions are re-run, from
the signal columns, with the thresholds now configured. Counts come from ``groupBy`` over the
committed output, never from accumulators.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from webcurate.config import ConfigError, option, to_dict
from webcurate.documents import (
    document_files,
    malformed_stats,
    read_document_files,
    require_document_files,
    well_formed,
)
from webcurate.filters import spark as filters_spark
from webcurate.filters.registry import REGISTRY, get_filter
from webcurate.filters.settings import FilterSettings
from webcurate.io import storage as st
from webcurate.io.datasets import read_parquet
from webcurate.io.routed import write_routed_datasets
from webcurate.io.storage import StorageConfig
from webcurate.jobs.common import JobResult, commit_run, run_id_for
from webcurate.resources.lists import check_list_paths
from webcurate.spark import SparkConfig, scan_at_least
from webcurate.stages import Stage, imported

KEPT = "kept"
REJECTED = "rejected"
ROUTE_COLUMN = "_route"


@dataclass(frozen=True)
class FilterJobConfig:
    """``conf/filter.yaml`` or a recipe's ``filter:`` section (``--recipe fineweb``)."""

    input: list[str] = option(
        help="documents: Parquet / JSONL(.gz) file, directory, glob or list, local or s3://; "
             "with annotated: true, an earlier filter run's output prefix")
    output: str = option(help="output prefix, local or s3://: kept/, rejected/, stats.json")
    filters: list[str] = option(
        help="the chain, in order: registered filter names", choices=tuple(REGISTRY))
    settings: FilterSettings = option(
        FilterSettings, help="per filter, its thresholds and lists (published defaults)")
    annotated: bool = option(
        False, help="re-decide from the signal columns of an earlier run's output (no text "
                    "recomputation); the input must hold the chain's signals")
    measure_after_reject: bool = option(
        False, help="measure every filter's signals even after an earlier filter rejected (about "
                    "2x the work), so that any threshold can be re-tuned with annotated: true; "
                    "false stops at the first rejection, as datatrove does")
    partitions: int | None = option(
        None, min=1, help="tasks the documents are spread over (default: 2 per core, or the "
                          "input's partitions if more)")
    overwrite: bool = option(
        False, help="replace an earlier committed run under the prefix (default: refuse)")
    storage: StorageConfig = option(StorageConfig, help="object storage access")
    spark: SparkConfig = option(SparkConfig, help="Spark session settings")

    def __post_init__(self):
        if not self.filters:
            raise ValueError("config key 'filters' is empty: name at least one filter")
        if len(set(self.filters)) != len(self.filters):
            raise ValueError(f"config key 'filters' names a filter twice: {self.filters}")
        seen: dict[str, str] = {}
        for name in self.filters:
            for signal, _ in get_filter(name).signals:
                if signal in seen:
                    raise ValueError(f"config key 'filters': {seen[signal]} and {name} both "
                                     f"write the signal column {signal}; run them separately")
                seen[signal] = name


def chain_plan(config: FilterJobConfig) -> list[tuple[str, dict]]:
    """The chain as plain data for executors: (filter name, its settings as a dict)."""
    return [(name, to_dict(getattr(config.settings, name))) for name in config.filters]


def preflight_filter(config: FilterJobConfig) -> None:
    """Inputs, lists and blocklists must exist before any Spark work."""
    require_document_files(input_specs(config), config.storage)
    if config.annotated:
        check_annotated_input(config)
    check_filter_lists(config)


def check_annotated_input(config: FilterJobConfig) -> None:
    """Re-deciding needs every signal: an input filtered without ``measure_after_reject`` lacks
    the signals of the filters after each rejection, so it is refused (one line), not guessed."""
    import yaml

    for spec in config.input:
        saved = st.join_uri(spec, "config.yaml")
        if not st.exists(saved, config.storage):
            continue
        earlier = yaml.safe_load(st.read_bytes(saved, config.storage)) or {}
        if earlier.get("measure_after_reject") is False:
            raise ConfigError(
                f"config key 'annotated': {spec} was filtered with measure_after_reject: false, "
                f"so filters after a rejection measured nothing; filter it again with "
                f"measure_after_reject: true to re-tune thresholds from its signals")


def check_filter_lists(config: FilterJobConfig) -> None:
    """Every list the chain names exists (the part of preflight a pipeline can run before the
    stage that writes this job's input)."""
    for name in config.filters:
        check_list_paths(getattr(config.settings, name), config.storage, f"settings.{name}.")


def input_specs(config: FilterJobConfig) -> list[str]:
    """The inputs: a filter run's prefix (annotated) means its kept/ and rejected/."""
    specs = []
    for spec in config.input:
        kept = st.join_uri(spec, KEPT)
        if config.annotated and st.exists(kept, config.storage):
            specs += [kept, st.join_uri(spec, REJECTED)]
        else:
            specs.append(spec)
    return specs


def input_files(config: FilterJobConfig) -> list[str]:
    return document_files(input_specs(config), config.storage)


def routes_for(config: FilterJobConfig) -> dict[int, str]:
    """Route 0 is kept/; route i+1 the i-th filter's rejected/filter=<name>/."""
    routes = {0: st.join_uri(config.output, KEPT)}
    for i, name in enumerate(config.filters, start=1):
        routes[i] = st.join_uri(config.output, REJECTED, f"filter={name}")
    return routes


def dataset_names(config: FilterJobConfig) -> list[str]:
    """kept/, the chain's rejected/filter=<name>/, and any other rejected/ folder found (left
    by a killed run of another chain, or by the run ``overwrite`` replaces)."""
    names = [KEPT, *(f"{REJECTED}/filter={name}" for name in config.filters)]
    rejected = st.join_uri(config.output, REJECTED)
    for uri in st.list_files(rejected, config.storage):
        folder = uri[len(rejected):].strip("/").rsplit("/", 1)[0]
        if folder.startswith("filter=") and f"{REJECTED}/{folder}" not in names:
            names.append(f"{REJECTED}/{folder}")
    return names


def wanted_tasks(spark, config: FilterJobConfig) -> int:
    return config.partitions or 2 * spark.sparkContext.defaultParallelism


def _spread(df, wanted: int, config: FilterJobConfig):
    """Enough tasks for every core: few large input files would otherwise leave cores idle.
    Hash partitioning by doc_id keeps the split deterministic across reruns and retries."""
    if df.rdd.getNumPartitions() >= wanted and not config.partitions:
        return df
    return df.repartition(wanted, "doc_id")


def count_output(spark, config: FilterJobConfig) -> dict:
    """Exact counts from the committed datasets: kept, and removed per filter and reason."""
    from pyspark.sql import functions as F

    routes = routes_for(config)
    kept = read_parquet(spark, routes[0], config.storage).count()
    rejected = (read_parquet(spark, [routes[i] for i in range(1, len(routes))], config.storage)
                .groupBy("filter", "reason").agg(F.count("*").alias("documents"))
                .orderBy("filter", "reason").collect())
    by_filter = {name: 0 for name in config.filters}
    by_reason: dict[str, int] = {}
    reasons_by_filter: dict[str, dict[str, int]] = {name: {} for name in config.filters}
    for row in rejected:
        by_filter[row["filter"]] += row["documents"]
        by_reason[row["reason"]] = by_reason.get(row["reason"], 0) + row["documents"]
        reasons_by_filter[row["filter"]][row["reason"]] = row["documents"]
    removed = sum(by_filter.values())
    return {"documents_in": kept + removed, "documents_kept": kept, "documents_removed": removed,
            "kept_fraction": round(kept / (kept + removed), 6) if kept + removed else None,
            "removed_by_filter": by_filter, "removed_by_reason": by_reason,
            "reasons_by_filter": reasons_by_filter}


def format_filter_summary(stats: dict, output: str) -> str:
    """The printed table: documents in / kept / removed, then each filter and its reasons."""
    total = stats["documents_in"] or 1
    lines = [f"webcurate filter: done -> {output}",
             f"  {'documents in':<44}{stats['documents_in']:>10}",
             f"  {'kept':<44}{stats['documents_kept']:>10}  "
             f"{100 * stats['documents_kept'] / total:5.1f}%",
             f"  {'removed':<44}{stats['documents_removed']:>10}  "
             f"{100 * stats['documents_removed'] / total:5.1f}%",
             f"  {'removed by filter (in chain order) / reason':<44}{'documents':>10}  "
             f"{'of all':>6}"]
    for name, count in stats["removed_by_filter"].items():
        lines.append(f"  {name:<44}{count:>10}  {100 * count / total:5.1f}%")
        reasons = sorted(stats["reasons_by_filter"].get(name, {}).items(), key=lambda kv: -kv[1])
        lines += [f"    {reason:<42}{n:>10}  {100 * n / total:5.1f}%" for reason, n in reasons]
    run = stats.get("run", {})
    reused = " (already committed: nothing redone)" if run.get("already_committed") else ""
    lines.append(f"  run {run.get('run_id')}: {run.get('inputs')} input files, "
                 f"{run.get('seconds')} s{reused}")
    return "\n".join(lines)


def run_filter(spark, config: FilterJobConfig) -> JobResult:
    started = time.time()
    files = input_files(config)
    settings = {"filters": chain_plan(config), "annotated": config.annotated,
                "measure_after_reject": config.measure_after_reject}
    run_id = run_id_for(files, json.loads(json.dumps(settings, default=str)))

    def produce(file_prefix: str) -> dict:
        # One whole file or more per task when there are enough files: no shuffle of the text
        # (with 2 cores, 16 files of 19 MB took 248 s through a repartition, 186 s without).
        wanted = wanted_tasks(spark, config)
        with scan_at_least(spark, wanted if len(files) >= wanted else None):
            docs = read_document_files(spark, files, config.storage, described_as=config.input,
                                       keep_malformed=True)
            malformed = malformed_stats(docs)  # JSONL only: one parse pass, no chain work
            docs = well_formed(docs)
            if config.annotated:
                filters_spark.check_annotated(docs.columns, config.filters)
                routed = filters_spark.redecide_frame(_spread(docs, wanted, config),
                                                    chain_plan(config), ROUTE_COLUMN,
                                                    config.storage)
            else:
                routed = filters_spark.annotate_frame(_spread(docs, wanted, config),
                                                    chain_plan(config),
                                                    config.measure_after_reject, ROUTE_COLUMN,
                                                    config.storage)
            write_routed_datasets(routed, ROUTE_COLUMN, routes_for(config), file_prefix,
                                  config.storage)
        return {**count_output(spark, config), "filters": list(config.filters),
                "annotated": config.annotated, **malformed}

    stats, reused = commit_run(config.output, config.storage, dataset_names(config), run_id,
                               config.overwrite, produce)
    run = {"run_id": run_id, "inputs": len(files), "already_committed": reused,
           "seconds": round(time.time() - started, 3)}
    return JobResult(stats={**stats, "run": run})


STAGE = Stage(
    "filter", "documents -> kept/ and rejected/ (reason per document) by heuristic recipes",
    FilterJobConfig, run_filter, preflight=preflight_filter,
    preflight_before_input=check_filter_lists,
    output_documents=lambda config: st.join_uri(config.output, KEPT),
    headline=lambda stats: {"documents_in": stats.get("documents_in"),
                            "documents_out": stats.get("documents_kept")},
    format_summary=format_filter_summary, pipeline_order=20,
    report_section=imported("webcurate.report.sections:filter_section"),
    report_samples=imported("webcurate.report.samples:filter_samples"))

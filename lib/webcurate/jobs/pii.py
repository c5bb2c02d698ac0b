"""The pii job: documents -> ``kept/`` with e-mail addresses, public IP addresses and phone
numbers replaced (:mod:`webcurate.pii`), every document kept.

Each row gets ``pii_email``, ``pii_ipv4``, ``pii_ipv6`` and ``pii_phone``: the replacements
made in it. Stats (from the committed output, one aggregation): documents in and out,
documents changed, replacements and documents per kind. As a pipeline stage it runs last
(after dedup, quality and decontaminate), where FineWeb put its ``PIIFormatter``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from webcurate.config import option, to_dict
from webcurate.documents import (
    document_files,
    malformed_stats,
    read_document_files,
    require_document_files,
    well_formed,
)
from webcurate.io import storage as st
from webcurate.io.datasets import read_parquet, write_dataset_files
from webcurate.io.storage import StorageConfig
from webcurate.jobs.common import JobResult, commit_run, run_id_for
from webcurate.pii.settings import KINDS, PiiSettings
from webcurate.spark import SparkConfig, scan_at_least
from webcurate.stages import Stage, imported

KEPT = "kept"


@dataclass(frozen=True)
class PiiJobConfig:
    """``conf/pii.yaml`` or a recipe's ``pii:`` section."""

    input: list[str] = option(
        help="documents: Parquet / JSONL(.gz) file, directory, glob or list, local or s3://")
    output: str = option(help="output prefix, local or s3://: kept/, stats.json")
    settings: PiiSettings = option(PiiSettings, help="what is replaced and with what")
    partitions: int | None = option(
        None, min=1, help="tasks the documents are spread over (default: 2 per core, or the "
                          "input's partitions if more)")
    overwrite: bool = option(
        False, help="replace an earlier committed run under the prefix (default: refuse)")
    storage: StorageConfig = option(StorageConfig, help="object storage access")
    spark: SparkConfig = option(SparkConfig, help="Spark session settings")


def preflight_pii(config: PiiJobConfig) -> None:
    require_document_files(config.input, config.storage)


def count_output(spark, config: PiiJobConfig) -> dict:
    """Documents, documents changed, replacements and documents per kind: one aggregation."""
    from pyspark.sql import functions as F

    df = read_parquet(spark, st.join_uri(config.output, KEPT), config.storage)
    columns = [f"pii_{kind}" for kind in KINDS]
    total = F.lit(0)
    for column in columns:
        total = total + F.coalesce(F.col(column), F.lit(0))
    aggregates = [F.count(F.lit(1)).alias("documents"),
                  F.sum(F.when(total > 0, 1).otherwise(0)).alias("changed")]
    for column in columns:
        aggregates += [F.coalesce(F.sum(column), F.lit(0)).alias(f"{column}_n"),
                       F.sum(F.when(F.col(column) > 0, 1).otherwise(0)).alias(f"{column}_docs")]
    row = df.agg(*aggregates).first()
    return {"documents_in": row["documents"], "documents_out": row["documents"],
            "documents_changed": row["changed"] or 0,
            "replacements": {kind: int(row[f"pii_{kind}_n"] or 0) for kind in KINDS},
            "documents_by_kind": {kind: int(row[f"pii_{kind}_docs"] or 0) for kind in KINDS},
            "kinds": list(config.settings.kinds)}


def run_pii(spark, config: PiiJobConfig) -> JobResult:
    from webcurate.pii.spark import scrub_frame

    started = time.time()
    files = document_files(config.input, config.storage)
    settings = to_dict(config.settings)
    run_id = run_id_for(files, json.loads(json.dumps({"pii": settings})))

    def produce(file_prefix: str) -> dict:
        wanted = config.partitions or 2 * spark.sparkContext.defaultParallelism
        with scan_at_least(spark, wanted if len(files) >= wanted else None):
            docs = read_document_files(spark, files, config.storage, described_as=config.input,
                                       keep_malformed=True)
            malformed = malformed_stats(docs)
            docs = well_formed(docs)
            if docs.rdd.getNumPartitions() < wanted or config.partitions:
                docs = docs.repartition(wanted, "doc_id")
            write_dataset_files(scrub_frame(docs, settings), st.join_uri(config.output, KEPT),
                                file_prefix, config.storage)
        return {**count_output(spark, config), **malformed}

    stats, reused = commit_run(config.output, config.storage, [KEPT], run_id, config.overwrite,
                               produce)
    run = {"run_id": run_id, "inputs": len(files), "already_committed": reused,
           "seconds": round(time.time() - started, 3)}
    return JobResult(stats={**stats, "run": run})


def format_pii_summary(stats: dict, output: str) -> str:
    total = stats.get("documents_in") or 1
    lines = [f"webcurate pii: done -> {output}",
             f"  {'documents in (all kept)':<34}{stats.get('documents_in'):>10}",
             f"  {'documents changed':<34}{stats.get('documents_changed'):>10}  "
             f"{100 * (stats.get('documents_changed') or 0) / total:5.1f}%",
             f"  {'kind':<14}{'replacements':>14}{'documents':>12}"]
    for kind in KINDS:
        if kind in (stats.get("kinds") or KINDS):
            lines.append(f"  {kind:<14}{stats['replacements'].get(kind, 0):>14}"
                         f"{stats['documents_by_kind'].get(kind, 0):>12}")
    run = stats.get("run", {})
    reused = " (already committed: nothing redone)" if run.get("already_committed") else ""
    lines.append(f"  run {run.get('run_id')}: {run.get('inputs')} input files, "
                 f"{run.get('seconds')} s{reused}")
    return "\n".join(lines)


STAGE = Stage(
    "pii", "documents -> kept/ with e-mail addresses, public IPs and phone numbers replaced",
    PiiJobConfig, run_pii, preflight=preflight_pii,
    preflight_before_input=lambda config: None,
    output_documents=lambda config: st.join_uri(config.output, KEPT),
    headline=lambda stats: {"documents_in": stats.get("documents_in"),
                            "documents_out": stats.get("documents_out")},
    format_summary=format_pii_summary, pipeline_order=60,
    report_section=imported("webcurate.report.decontam_pii:pii_section"))

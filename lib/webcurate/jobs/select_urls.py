"""The select-urls job: WebText-style selection of documents by a scored URL table.

GPT-2's WebText (Radford et al. 2019) kept the pages of the outbound Reddit links whose post
had at least 3 karma. Here the table is any Parquet / CSV / JSONL with a URL column and a score
column (karma, clicks, a classifier's score); documents whose normalised URL is listed with
``score >= min_score`` go to ``kept/`` with their ``url_score``, the others to ``rejected/``
with a ``reason`` (``url_missing_or_invalid``, ``url_not_listed``, ``url_score_below_min``).

URLs are matched after :func:`webcurate.urls.normalize_url` (its docstring lists every rule:
case, default ports, fragments, trailing slash, ``www.``, http/https, tracking parameters,
query order), on a 64-bit key; the join is a broadcast of the reduced table or a sort-merge
join on the key (:mod:`webcurate.urls.spark`), with nothing collected to the driver. Counts
come from the committed output; the run is committed once like filter's.
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
from webcurate.urls import UrlNormalization

KEPT = "kept"
REJECTED = "rejected"
ROUTE_COLUMN = "_route"
REASON_COLUMN = "reason"
JOINS = ("auto", "broadcast", "shuffle")


@dataclass(frozen=True)
class UrlNormalizationSettings:
    """The optional URL normalisation rules (webcurate.urls lists them all)."""

    fold_scheme: bool = option(True, help="http and https URLs are the same URL")
    strip_www: bool = option(True, help="www.example.org is example.org")
    strip_trailing_slash: bool = option(True, help="/a/ is /a")
    drop_tracking: bool = option(True, help="drop utm_*, fbclid, gclid and other tracking "
                                            "query parameters")
    sort_query: bool = option(True, help="?b=2&a=1 is ?a=1&b=2")


@dataclass(frozen=True)
class SelectUrlsJobConfig:
    """``conf/select_urls.yaml``: documents and a scored URL table in, selected documents out."""

    input: list[str] = option(
        help="documents: Parquet / JSONL(.gz) file, directory, glob or list, local or s3://")
    output: str = option(help="output prefix: kept/, rejected/, stats.json")
    urls: list[str] = option(
        help="the scored URL table: Parquet, CSV (with a header) or JSONL files or directories")
    url_column: str = option("url", help="the table's URL column")
    score_column: str = option("score", help="the table's score column (e.g. Reddit karma)")
    document_url_column: str = option("url", help="the documents' URL column")
    min_score: float = option(3.0, help="keep documents whose URL scores at least this "
                                        "(WebText: 3 karma)")
    normalization: UrlNormalizationSettings = option(
        UrlNormalizationSettings, help="URL normalisation before matching")
    join: str = option("auto", choices=JOINS,
                       help="broadcast the reduced table, sort-merge join on the URL key, or "
                            "auto: broadcast up to broadcast_max_urls listed URLs")
    broadcast_max_urls: int = option(
        20_000_000, min=0, help="auto: the most distinct listed URLs that are broadcast")
    overwrite: bool = option(False, help="replace a committed run made with other settings")
    storage: StorageConfig = option(StorageConfig, help="object storage access")
    spark: SparkConfig = option(SparkConfig, help="Spark session settings")


def _table_files(config: SelectUrlsJobConfig) -> list[str]:
    from webcurate.io.inputs import InputError, resolve_inputs
    from webcurate.urls.spark import table_format

    try:
        files = [f for f in resolve_inputs(list(config.urls), config.storage)
                 if not f.rstrip("/").rsplit("/", 1)[-1].startswith(("_", "."))]
        for uri in files:
            table_format(uri)
    except (InputError, ValueError) as err:
        raise ConfigError(f"config key 'urls': {err}") from None
    if not files:
        raise ConfigError(f"config key 'urls': no URL table files in {list(config.urls)}")
    return files


def preflight_select_urls(config: SelectUrlsJobConfig) -> None:
    from webcurate.documents import require_document_files

    _table_files(config)
    require_document_files(list(config.input), config.storage)


def count_output(spark, config: SelectUrlsJobConfig) -> dict:
    from pyspark.sql import functions as F

    from webcurate.io.datasets import read_parquet

    kept = read_parquet(spark, st.join_uri(config.output, KEPT), config.storage).count()
    reasons = {r[REASON_COLUMN]: r["documents"] for r in (
        read_parquet(spark, st.join_uri(config.output, REJECTED), config.storage)
        .groupBy(REASON_COLUMN).agg(F.count("*").alias("documents")).collect())}
    removed = sum(reasons.values())
    return {"documents_in": kept + removed, "documents_kept": kept, "documents_removed": removed,
            "kept_fraction": round(kept / (kept + removed), 6) if kept + removed else None,
            "removed_by_reason": dict(sorted(reasons.items()))}


def run_select_urls(spark, config: SelectUrlsJobConfig) -> JobResult:
    from pyspark.sql import functions as F

    from webcurate.documents import (
        document_files,
        malformed_stats,
        read_document_files,
        well_formed,
    )
    from webcurate.io.routed import write_routed_datasets
    from webcurate.urls.spark import (
        URL_KEY,
        read_url_table,
        scored_keys,
        select_documents,
        with_url_key,
    )

    started = time.time()
    table_files = _table_files(config)
    files = document_files(list(config.input), config.storage)
    rules = UrlNormalization(**to_dict(config.normalization))
    settings = {"urls": table_files, "url_column": config.url_column,
                "score_column": config.score_column, "min_score": config.min_score,
                "document_url_column": config.document_url_column,
                "normalization": to_dict(config.normalization)}
    run_id = run_id_for(files, settings)
    routes = {0: st.join_uri(config.output, KEPT), 1: st.join_uri(config.output, REJECTED)}

    def produce(file_prefix: str) -> dict:
        try:
            table = read_url_table(spark, table_files, config.url_column, config.score_column,
                                   config.storage)
        except ValueError as err:
            raise ConfigError(f"config key 'url_column' / 'score_column': {err}") from None
        keyed, best = scored_keys(table, rules)
        counts = keyed.agg(
            F.count("*").alias("rows"),
            F.count(F.when(F.col(URL_KEY).isNull(), 1)).alias("invalid"),
            F.count(F.when(F.col("score").isNull(), 1)).alias("no_score")).first()
        listed = best.agg(F.count("*").alias("urls"), F.count(F.when(
            F.col("url_score") >= config.min_score, 1)).alias("selected")).first()
        broadcast = config.join == "broadcast" or (
            config.join == "auto" and listed["urls"] <= config.broadcast_max_urls)
        docs = read_document_files(spark, files, config.storage, described_as=config.input,
                                   keep_malformed=True)
        if config.document_url_column not in docs.columns:
            raise ConfigError(f"config key 'document_url_column': the documents have no "
                              f"{config.document_url_column!r} column")
        malformed = malformed_stats(docs)
        keyed_docs = with_url_key(well_formed(docs), config.document_url_column, rules)
        routed = select_documents(keyed_docs, best, config.min_score, broadcast, ROUTE_COLUMN,
                                  REASON_COLUMN)
        write_routed_datasets(routed, ROUTE_COLUMN, routes, file_prefix, config.storage)
        return {**count_output(spark, config), "min_score": config.min_score,
                "url_table": {"files": len(table_files), "rows": counts["rows"],
                              "rows_url_invalid": counts["invalid"],
                              "rows_without_score": counts["no_score"],
                              "distinct_urls": listed["urls"],
                              "urls_at_or_above_min_score": listed["selected"]},
                "join": "broadcast" if broadcast else "shuffle", **malformed}

    stats, reused = commit_run(config.output, config.storage, [KEPT, REJECTED], run_id,
                               config.overwrite, produce)
    run = {"run_id": run_id, "inputs": len(files), "already_committed": reused,
           "seconds": round(time.time() - started, 3)}
    return JobResult(stats={**stats, "run": run})


def format_select_urls_summary(stats: dict, output: str) -> str:
    table = stats.get("url_table", {})
    lines = [f"webcurate select-urls: done -> {output}",
             f"  URL table: {table.get('rows', 0):,} rows, {table.get('distinct_urls', 0):,} "
             f"distinct normalised URLs, {table.get('urls_at_or_above_min_score', 0):,} with "
             f"score >= {stats.get('min_score')} ({stats.get('join')} join)",
             f"  {'documents in':<28}{stats.get('documents_in', 0):>12,}",
             f"  {'kept':<28}{stats.get('documents_kept', 0):>12,}"]
    for reason, n in (stats.get("removed_by_reason") or {}).items():
        lines.append(f"  {reason:<28}{n:>12,}")
    run = stats.get("run", {})
    reused = " (already committed: nothing redone)" if run.get("already_committed") else ""
    lines.append(f"  run {run.get('run_id')}: {run.get('inputs')} input files, "
                 f"{run.get('seconds')} s{reused}")
    return "\n".join(lines)


STAGE = Stage(
    "select-urls", "documents -> kept/ where the normalised URL scores >= min_score in a URL "
                   "table (WebText: Reddit links with >= 3 karma)",
    SelectUrlsJobConfig, run_select_urls, preflight=preflight_select_urls,
    preflight_before_input=lambda config: _table_files(config) and None,
    output_documents=lambda config: st.join_uri(config.output, KEPT),
    headline=lambda stats: {"documents_in": stats.get("documents_in"),
                            "documents_out": stats.get("documents_kept")},
    format_summary=format_select_urls_summary)

"""The extract job: Common Crawl WARC / WET / ARC files -> ``docs/`` and ``errors/`` Parquet.

One Spark task per input file (the unit Common Crawl publishes, ~1 GB), streaming records through
:func:`webcurate.extract.records.iter_file_rows`, the pure per-record core. Each task yields
three kinds of rows in one Arrow stream: documents, errors, and one summary per file. The rows
are persisted once, then split into the two datasets and the batch marker, so extraction runs
once per file even though three things are written (no accumulators: counts come from the
per-file summaries, which are exact under task retries).
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pyarrow as pa

from webcurate.config import ConfigError, option
from webcurate.extract.settings import ExtractSettings
from webcurate.io import storage as st
from webcurate.io.datasets import write_dataset_files
from webcurate.io.inputs import resolve_inputs
from webcurate.io.storage import StorageConfig
from webcurate.jobs.common import JobResult, chunked
from webcurate.ledger import CommitLedger, batch_id_for, file_prefix_for
from webcurate.schema import DOCUMENT_ARROW_SCHEMA, ERROR_ARROW_SCHEMA
from webcurate.spark import SparkConfig
from webcurate.stats import merge_file_summaries

DATASETS = ("docs", "errors")
ROWS_PER_ARROW_BATCH = 256

_ERROR_ONLY = [f for f in ERROR_ARROW_SCHEMA if f.name not in DOCUMENT_ARROW_SCHEMA.names]
#: The stream a task yields: document columns, error columns, a row kind and a file summary.
ROW_ARROW_SCHEMA = pa.schema(
    [pa.field("row_kind", pa.string(), nullable=False)]
    + [f.with_nullable(True) for f in DOCUMENT_ARROW_SCHEMA]
    + [f.with_nullable(True) for f in _ERROR_ONLY]
    + [pa.field("summary_json", pa.string())]
)


@dataclass(frozen=True)
class ExtractJobConfig:
    """``conf/extract.yaml``: what to read, where to write, how to extract."""

    input: list[str] = option(
        help="WARC/WET/ARC inputs: file, directory, glob, manifest (warc.paths.gz) or a comma list")
    output: str = option(help="output prefix (local, s3://, hdfs://): docs/, errors/, stats.json")
    manifest_base: str = option(
        "s3://commoncrawl/", help="base for relative paths in a manifest (crawl-data/...)")
    max_inputs: int | None = option(
        None, min=1, help="process only the first N resolved inputs (samples, smoke runs)")
    files_per_commit: int = option(
        64, min=1, max=100_000, help="input files per committed batch: the unit of resume")
    overwrite: bool = option(
        False, help="delete earlier output under the prefix first (default: resume it)")
    extract: ExtractSettings = option(ExtractSettings, help="record-level extraction settings")
    storage: StorageConfig = option(StorageConfig, help="object storage access")
    spark: SparkConfig = option(SparkConfig, help="Spark session settings")



def _summary_row(summary: dict) -> dict:
    return {"row_kind": "file", "source_file": summary["source_file"],
            "summary_json": json.dumps(summary, sort_keys=True, ensure_ascii=False)}


def _file_error_rows(source_file: str, err: BaseException) -> list[dict]:
    """Rows for a file that could not even be opened (missing object, denied, bad URL)."""
    error = {"row_kind": "error", "source_file": source_file, "source_offset": None,
             "level": "file", "error_type": type(err).__name__, "error": str(err)[:2000]}
    summary = {"source_file": source_file, "records": 0, "records_by_type": {},
               "html_responses": 0, "docs": 0, "skipped_by_reason": {}, "record_errors": 0,
               "file_error": f"{type(err).__name__}: {err}"[:2000], "languages": {}}
    return [error, _summary_row(summary)]


def rows_for_file(source_file: str, settings: ExtractSettings,
                  storage: st.StorageConfig) -> Iterator[dict]:
    """Every output row of one input file, streaming; never raises for bad input."""
    from webcurate.extract.language import get_language_identifier
    from webcurate.extract.records import iter_file_rows

    identifier = get_language_identifier(
        settings.lid_model, fetch=functools.partial(st.local_copy, storage=storage))
    try:
        stream = st.open_input(source_file, storage)
    except Exception as err:  # any open failure is recorded in errors/; the job goes on
        yield from _file_error_rows(source_file, err)
        return
    with stream:
        for kind, row in iter_file_rows(stream, source_file, settings, identifier):
            yield _summary_row(row) if kind == "file" else {"row_kind": kind, **row}


def extract_partition(batches: Iterator[pa.RecordBatch], settings: ExtractSettings,
                      storage: st.StorageConfig) -> Iterator[pa.RecordBatch]:
    """mapInArrow body: input rows name files; output rows follow ROW_ARROW_SCHEMA exactly."""
    buffer: list[dict] = []
    for batch in batches:
        for source_file in batch.column("source_file").to_pylist():
            for row in rows_for_file(source_file, settings, storage):
                buffer.append(row)
                if len(buffer) >= ROWS_PER_ARROW_BATCH:
                    yield pa.RecordBatch.from_pylist(buffer, schema=ROW_ARROW_SCHEMA)
                    buffer = []
    if buffer:
        yield pa.RecordBatch.from_pylist(buffer, schema=ROW_ARROW_SCHEMA)


def extract_rows(spark, files: list[str], config: ExtractJobConfig):
    """A DataFrame of ROW_ARROW_SCHEMA rows for ``files``: one partition (task) per file."""
    from pyspark.sql.pandas.types import from_arrow_schema

    settings, storage = config.extract, config.storage
    names = spark.sparkContext.parallelize([(f,) for f in files], numSlices=max(1, len(files)))
    return spark.createDataFrame(names, "source_file string").mapInArrow(
        lambda batches: extract_partition(batches, settings, storage),
        from_arrow_schema(ROW_ARROW_SCHEMA),
    )


def _select(rows, kind: str, schema: pa.Schema):
    return rows.where(rows.row_kind == kind).select(*schema.names)


def commit_batch(spark, files: list[str], config: ExtractJobConfig, ledger: CommitLedger) -> dict:
    """Extract one batch of files, write its datasets, then its marker. Returns the marker."""
    from pyspark import StorageLevel

    batch_id = batch_id_for(files)
    prefix = file_prefix_for(batch_id)
    started = time.time()
    spark.sparkContext.setJobDescription(f"extract batch {batch_id} ({len(files)} files)")
    rows = extract_rows(spark, files, config).persist(StorageLevel.DISK_ONLY)
    try:
        docs = _select(rows, "doc", DOCUMENT_ARROW_SCHEMA)
        errors = _select(rows, "error", ERROR_ARROW_SCHEMA).coalesce(1)
        write_dataset_files(docs, st.join_uri(config.output, "docs"), prefix, config.storage)
        write_dataset_files(errors, st.join_uri(config.output, "errors"), prefix, config.storage)
        summaries = [json.loads(r.summary_json)
                     for r in rows.where(rows.row_kind == "file").select("summary_json").collect()]
    finally:
        rows.unpersist()
    summaries.sort(key=lambda s: s["source_file"])
    seconds = round(time.time() - started, 3)
    ledger.commit(batch_id, summaries, extra={"seconds": seconds})
    return {"batch_id": batch_id, "inputs": summaries, "seconds": seconds}


def preflight_extract(config: ExtractJobConfig) -> None:
    """Checks that need no Spark: a missing language-ID model fails the job at start."""
    check_lid_model(config.extract.lid_model, config.storage)


def check_lid_model(model: str | None, storage: st.StorageConfig) -> None:
    """A missing language-ID model fails the job at start, not in every task."""
    if model is None:
        from webcurate.extract.language import default_lid_model_path

        try:
            default_lid_model_path()
        except FileNotFoundError as err:
            raise ConfigError(f"config key 'extract.lid_model': {err}") from None
    elif not st.exists(model, storage):
        raise ConfigError(f"config key 'extract.lid_model': model not found: {model}")


def run_extract(spark, config: ExtractJobConfig) -> JobResult:
    """Resolve inputs, resume past committed batches, extract the rest, write stats."""
    started = time.time()
    check_lid_model(config.extract.lid_model, config.storage)
    files = resolve_inputs(list(config.input), config.storage, manifest_base=config.manifest_base)
    files = files[: config.max_inputs] if config.max_inputs else files
    ledger = CommitLedger(config.output, config.storage)
    if config.overwrite:
        ledger.reset(DATASETS)
    swept = ledger.sweep_uncommitted(DATASETS)
    done = ledger.committed_inputs()
    pending = [f for f in files if f not in done]
    run = {"inputs_resolved": len(files), "inputs_already_committed": len(files) - len(pending),
           "partial_files_removed": len(swept), "batches_committed": 0}
    for batch in chunked(pending, config.files_per_commit):
        commit_batch(spark, batch, config, ledger)
        run["batches_committed"] += 1
    markers = ledger.markers()
    wanted = set(files)
    summaries = [s for m in markers for s in m["inputs"] if s["source_file"] in wanted]
    stats = merge_file_summaries(summaries)
    run["seconds"] = round(time.time() - started, 3)
    return JobResult(stats={**stats, "run": run},
                     failed=stats["files"] > 0 and stats["files_failed"] == stats["files"])

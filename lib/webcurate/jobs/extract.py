"""The extract job: Common Crawl WARC / WET / ARC files -> ``docs/`` and ``errors/`` Parquet.

One Spark task per input file (the unit Common Crawl publishes, ~1 GB), streaming records through
:func:`webcurate.extract.records.iter_file_rows`, the pure per-record core. The tasks' output is
the document stream itself, written by Spark's Parquet writer (or the S3 data source) in the same
pass, so Parquet encoding overlaps extraction. Persisting a combined stream and splitting it was
measured first: on 5,000 pages it cost 3.5 s of 27 (DISK_ONLY serialises a whole partition before
the writer can start).

The driver stays off the data path and off the critical path (:mod:`webcurate.extract.sidecars`):
tasks write their inputs' error rows into ``errors/`` themselves and leave one small summary per
input (counts only, no accumulators: Spark may apply those twice), which the driver reads
concurrently. ``batches_in_flight`` batches run at once, each in its own driver thread: while a
batch waits for its slowest file and commits, the next one's tasks use the idle cores. Each
batch still commits exactly once, by its own marker after all its files (see
:mod:`webcurate.ledger`); batches may commit out of order, which resume does not mind (it skips
inputs named in any marker).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass

import pyarrow as pa

from webcurate.config import ConfigError, option
from webcurate.extract import sidecars
from webcurate.extract.settings import ExtractSettings
from webcurate.extract.tally import empty_file_summary, merge_error_counts
from webcurate.io import storage as st
from webcurate.io.datasets import write_dataset_files
from webcurate.io.inputs import resolve_inputs
from webcurate.io.s3_parquet import DEFAULT_COMPRESSION, final_name
from webcurate.io.storage import StorageConfig
from webcurate.jobs.common import JobResult, chunked
from webcurate.ledger import CommitLedger, batch_id_for, file_prefix_for
from webcurate.schema import DOCUMENT_ARROW_SCHEMA
from webcurate.spark import SparkConfig
from webcurate.stages import Stage, imported
from webcurate.stats import merge_file_summaries

DATASETS = ("docs", "errors")
ROWS_PER_ARROW_BATCH = 256
SIDECARS_DIR = sidecars.SIDECARS_DIR


@dataclass(frozen=True)
class ExtractJobConfig:
    """``conf/extract.yaml``: what to read, where to write, how to extract."""

    input: list[str] = option(
        help="WARC/WET/ARC inputs: file, directory, glob, manifest (warc.paths.gz) or a comma list")
    output: str = option(help="output prefix, local or s3://: docs/, errors/, stats.json")
    manifest_base: str = option(
        "s3://commoncrawl/", help="base for relative paths in a manifest (crawl-data/...)")
    max_inputs: int | None = option(
        None, min=1, help="process only the first N resolved inputs (samples, smoke runs)")
    files_per_commit: int = option(
        64, min=1, max=100_000, help="input files per committed batch: the unit of resume")
    batches_in_flight: int = option(
        2, min=1, max=64,
        help="batches extracted at once: the next batch's tasks use the cores the slowest "
             "files of the previous one leave idle while it commits; 1 = one after another")
    overwrite: bool = option(
        False, help="delete earlier output under the prefix first (default: resume it)")
    extract: ExtractSettings = option(ExtractSettings, help="record-level extraction settings")
    storage: StorageConfig = option(StorageConfig, help="object storage access")
    spark: SparkConfig = option(SparkConfig, help="Spark session settings")


def _opening_failure(source_file: str, err: BaseException) -> Iterator[tuple[str, dict]]:
    """Rows for a file that could not even be opened (missing object, denied, bad URL)."""
    message = f"{type(err).__name__}: {err}"[:2000]
    row = {"source_file": source_file, "source_offset": None, "warc_record_id": None,
           "level": "file", "error_type": type(err).__name__, "error": str(err)[:2000]}
    yield "error", row
    yield "file", empty_file_summary(source_file, file_error=message, error_rows=[row])


def rows_for_file(source_file: str, settings: ExtractSettings,
                  storage: st.StorageConfig) -> Iterator[tuple[str, dict]]:
    """``(kind, row)`` for one input file, streaming, summary last; never raises for bad input."""
    from webcurate.extract.html import start_input_file
    from webcurate.extract.language import get_language_identifier
    from webcurate.extract.records import iter_file_rows

    identifier = get_language_identifier(
        settings.lid_model, fetch=functools.partial(st.local_copy, storage=storage))
    try:
        stream = st.open_input(source_file, storage)
    except Exception as err:  # any open failure is recorded in errors/; the job goes on
        yield from _opening_failure(source_file, err)
        return
    start_input_file(settings)
    with stream:
        yield from iter_file_rows(stream, source_file, settings, identifier)


def error_file_uri(output: str, batch_id: str, index: int) -> str:
    """``errors/part-<batch>-<index>.parquet``: the name of input ``index``'s file in ``docs/``,
    so that the ledger commits or sweeps a batch's error files with its documents."""
    return st.join_uri(output, "errors", final_name(file_prefix_for(batch_id), index))


def extract_partition(batches: Iterator[pa.RecordBatch], settings: ExtractSettings,
                      storage: st.StorageConfig, output: str, batch_id: str,
                      positions: dict[str, int]) -> Iterator[pa.RecordBatch]:
    """mapInArrow body: input rows name files; output batches are documents, exactly typed.

    Error rows go to the input's own ``errors/`` file as they come (:class:`ErrorRowsFile`),
    and once a file's last document has been handed to Spark, its summary is left for the
    driver. A retried task rewrites the same objects with the same content, and the driver
    reads exactly one summary per input after the documents are written, so nothing is counted
    twice (unlike an accumulator) and the documents need no second pass.
    """
    buffer: list[dict] = []
    for batch in batches:
        for source_file in batch.column("source_file").to_pylist():
            index = positions[source_file]
            errors = sidecars.ErrorRowsFile(error_file_uri(output, batch_id, index), storage,
                                            DEFAULT_COMPRESSION, keep_empty=index == 0)
            summary = None
            for kind, row in rows_for_file(source_file, settings, storage):
                if kind == "doc":
                    buffer.append(row)
                    if len(buffer) >= ROWS_PER_ARROW_BATCH:
                        yield pa.RecordBatch.from_pylist(buffer, schema=DOCUMENT_ARROW_SCHEMA)
                        buffer = []
                elif kind == "error":
                    errors.add(row)
                else:
                    summary = row
            if buffer:
                yield pa.RecordBatch.from_pylist(buffer, schema=DOCUMENT_ARROW_SCHEMA)
                buffer = []
            errors.close()
            sidecars.write_summary(sidecars.summary_uri(output, batch_id, source_file), summary,
                                   storage)


def extract_documents(spark, files: list[str], config: ExtractJobConfig, batch_id: str):
    """A DataFrame of documents for ``files``, one partition (task) per file; as a side product
    each task writes its files' error rows and summaries (see :func:`extract_partition`)."""
    from pyspark.sql.pandas.types import from_arrow_schema

    settings, storage, output = config.extract, config.storage, config.output
    positions = {source_file: index for index, source_file in enumerate(files)}
    names = spark.sparkContext.parallelize([(f,) for f in files], numSlices=max(1, len(files)))
    return spark.createDataFrame(names, "source_file string").mapInArrow(
        lambda batches: extract_partition(batches, settings, storage, output, batch_id,
                                          positions),
        from_arrow_schema(DOCUMENT_ARROW_SCHEMA),
    )


def read_summaries(files: list[str], config: ExtractJobConfig, batch_id: str) -> list[dict]:
    """One summary per input of a batch whose Spark job succeeded, read concurrently."""
    uris = {f: sidecars.summary_uri(config.output, batch_id, f) for f in files}
    return sidecars.read_summaries(uris, config.storage)


def commit_batch(spark, files: list[str], config: ExtractJobConfig, ledger: CommitLedger) -> dict:
    """Extract one batch of files in one pass (documents and error files), then the marker."""
    batch_id = batch_id_for(files)
    started = time.time()
    sidecars_dir = sidecars.batch_sidecars_uri(config.output, batch_id)
    st.delete_prefix(sidecars_dir, config.storage)
    spark.sparkContext.setJobDescription(f"extract batch {batch_id} ({len(files)} files)")
    docs = extract_documents(spark, files, config, batch_id)
    write_dataset_files(docs, st.join_uri(config.output, "docs"), file_prefix_for(batch_id),
                        config.storage)
    summaries = sorted(read_summaries(files, config, batch_id),
                       key=lambda summary: summary["source_file"])
    seconds = round(time.time() - started, 3)
    ledger.commit(batch_id, summaries, extra={"seconds": seconds, "started_at": started})
    st.delete_prefix(sidecars_dir, config.storage)
    return {"batch_id": batch_id, "inputs": summaries, "seconds": seconds,
            "started_at": started}


def commit_batches(spark, batches: list[list[str]], config: ExtractJobConfig,
                   ledger: CommitLedger) -> list[dict]:
    """:func:`commit_batch` for every batch, ``batches_in_flight`` at a time, one driver thread
    each (Spark takes jobs from several threads; with FIFO scheduling the older batch's tasks go
    first and the newer one's fill the cores it leaves idle). On the first failure no further
    batch starts, those in flight finish (and commit: valid output), and the error is raised.
    """
    from pyspark import inheritable_thread_target

    work = inheritable_thread_target(spark)(
        lambda files: commit_batch(spark, files, config, ledger))
    waiting, running, results = iter(batches), set(), []
    with ThreadPoolExecutor(max_workers=config.batches_in_flight,
                            thread_name_prefix="extract-batch") as pool:
        while True:
            while len(running) < config.batches_in_flight:
                files = next(waiting, None)
                if files is None:
                    break
                running.add(pool.submit(work, files))
            if not running:
                return results
            done, running = wait(running, return_when=FIRST_COMPLETED)
            results += [future.result() for future in done]  # the first error stops the loop


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
    markers = ledger.markers()
    swept = ledger.sweep_uncommitted(DATASETS, markers)
    # Sidecars left by a killed run: its uncommitted batches are redone from scratch.
    st.delete_prefix(st.join_uri(config.output, SIDECARS_DIR), config.storage)
    done = ledger.committed_inputs(markers)
    pending = [f for f in files if f not in done]
    run = {"inputs_resolved": len(files), "inputs_already_committed": len(files) - len(pending),
           "partial_files_removed": len(swept), "batches_committed": 0}
    committed = commit_batches(spark, list(chunked(pending, config.files_per_commit)), config,
                               ledger)
    markers += committed
    run["batches_committed"] = len(committed)
    wanted = set(files)
    summaries = [s for m in markers for s in m["inputs"] if s["source_file"] in wanted]
    stats = {**merge_file_summaries(summaries), "error_rows": sum(
        s.get("error_rows", 0) for s in summaries),
        "error_rows_by_type": merge_error_counts(summaries)}
    run["seconds"] = round(time.time() - started, 3)
    return JobResult(stats={**stats, "run": run},
                     failed=stats["files"] > 0 and stats["files_failed"] == stats["files"])


def extract_headline(stats: dict) -> dict:
    """Documents in: HTML responses and WET conversion records (each may give a document);
    out: documents written."""
    conversions = (stats.get("records_by_type") or {}).get("conversion", 0)
    return {"documents_in": int(stats.get("html_responses") or 0) + int(conversions or 0),
            "documents_out": stats.get("docs"), "files": stats.get("files"),
            "languages": stats.get("languages")}


STAGE = Stage(
    "extract", "Common Crawl WARC/WET/ARC files -> documents (docs/, errors/)",
    ExtractJobConfig, run_extract, preflight=preflight_extract,
    output_documents=lambda config: st.join_uri(config.output, "docs"),
    headline=extract_headline, input_label="HTML pages and WET records read",
    pipeline_order=10, documents_dir="docs", reads_documents=False,
    report_section=imported("webcurate.report.sections:extract_section"))

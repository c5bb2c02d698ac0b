"""Parquet datasets with the commit protocol every job uses, and reading them back.

A dataset is a directory (or S3 prefix) of Parquet files named ``{file_prefix}-NNNNN.parquet``
directly under it, ``NNNNN`` being the Spark partition that wrote the file. A job writes one
batch of its output with :func:`write_dataset_files`:

- only files of *successful* task attempts are published, never a partial or duplicate one;
- names are deterministic, so re-writing a prefix replaces its files instead of adding to them,
  and :mod:`webcurate.ledger` can tell which batch a file belongs to;
- a write without any row publishes one empty ``{file_prefix}-00000.parquet`` that carries the
  schema (Spark's own behaviour), so every written dataset can be read back.

On ``s3://`` :mod:`.s3_parquet` does this. Everywhere else (local, ``file://``, ``hdfs://``,
``s3a://``) Spark's writer writes into ``{dataset}/_staging/{file_prefix}/``, where Hadoop's
output committer already admits one attempt per task, and the part files are then renamed to
their final names through the Hadoop FileSystem API, which serves every scheme Spark can write.
Readers never see ``_staging/``: Spark and :mod:`.s3_parquet` skip names starting with ``_``.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable, Iterator
from itertools import islice

import pyarrow as pa

from webcurate.io import s3_parquet
from webcurate.io import storage as st
from webcurate.io.inputs import InputError, iter_lines, resolve_inputs
from webcurate.io.s3_parquet import final_name, is_final_name_of, list_parquet_files

_SPARK_PART = re.compile(r"part-(\d+)-.*\.parquet")
JSONL_INFER_LINES = 1000
STRAGGLER_GRACE_S = 2.0
JSONL_BATCH_ROWS = 1024


def list_dataset_files(dataset_uri: str, storage: st.StorageConfig) -> list[str]:
    """Parquet files directly under the dataset (not ``_``/``.`` names, not ``_staging/``)."""
    return list_parquet_files(dataset_uri, storage)


def delete_files(uris: Iterable[str], storage: st.StorageConfig) -> None:
    """Delete data files; a local file's Hadoop checksum (``.name.crc``) goes with it, so that
    a later file of the same name is never checked against a stale checksum."""
    uris = list(uris)
    crcs = [st.join_uri(u.rsplit("/", 1)[0], f".{u.rsplit('/', 1)[-1]}.crc")
            for u in uris if st.is_local(u)]
    st.delete_objects(uris + crcs, storage)


def _name(uri: str) -> str:
    return uri.rstrip("/").rsplit("/", 1)[-1]


def write_dataset_files(df, dataset_uri: str, file_prefix: str,
                        storage: st.StorageConfig) -> list[str]:
    """Write ``df`` as ``{dataset_uri}/{file_prefix}-NNNNN.parquet``, replacing any earlier
    files of that prefix; returns the final URIs, sorted."""
    from webcurate.faults import with_faults

    dataset_uri = dataset_uri.rstrip("/")
    df = with_faults(df)
    if st.uses_spark_writer(dataset_uri):
        return _write_with_spark(df, dataset_uri, file_prefix)
    mine = [u for u in list_dataset_files(dataset_uri, storage)
            if is_final_name_of(_name(u), file_prefix)]
    delete_files(mine, storage)
    s3_parquet.register(df.sparkSession)
    try:
        (df.write.format(s3_parquet.NAME).mode("append")
         .option("path", dataset_uri).option("file_prefix", file_prefix)
         .options(**s3_parquet.storage_options(storage))
         .save())
    except Exception:
        # Spark runs abort() as soon as the job fails, while the tasks it is killing may still
        # finish an upload; once they are gone, sweep the staging prefix again.
        _wait_for_running_stages(df.sparkSession)
        s3_parquet.clear_staging(dataset_uri, file_prefix, storage)
        # A killed task's Python worker can finish an upload after the JVM has let its stage
        # go (seen on a loaded machine): sweep once more after it has had time to notice.
        time.sleep(STRAGGLER_GRACE_S)
        s3_parquet.clear_staging(dataset_uri, file_prefix, storage)
        raise
    return [u for u in list_dataset_files(dataset_uri, storage)
            if is_final_name_of(_name(u), file_prefix)]


class _HadoopFS:
    """The few Hadoop FileSystem calls the Spark-writer path needs, through py4j."""

    def __init__(self, spark, uri: str):
        self._jvm = spark.sparkContext._jvm
        conf = spark.sparkContext._jsc.hadoopConfiguration()
        self._fs = self._path(uri).getFileSystem(conf)

    def _path(self, uri: str):
        return self._jvm.org.apache.hadoop.fs.Path(uri)

    def file_names(self, uri: str) -> list[str]:
        """Names of the files directly under a directory ([] when it does not exist)."""
        if not self._fs.exists(self._path(uri)):
            return []
        return sorted(s.getPath().getName() for s in self._fs.listStatus(self._path(uri))
                      if s.isFile())

    def dir_names(self, uri: str) -> list[str]:
        """Names of the directories directly under a directory ([] when it does not exist)."""
        if not self._fs.exists(self._path(uri)):
            return []
        return sorted(s.getPath().getName() for s in self._fs.listStatus(self._path(uri))
                      if s.isDirectory())

    def rename(self, source: str, target: str) -> None:
        if not self._fs.rename(self._path(source), self._path(target)):
            raise OSError(f"could not rename {source} to {target}")

    def delete(self, uri: str, recursive: bool = False) -> None:
        self._fs.delete(self._path(uri), recursive)

    def delete_if_empty_dir(self, uri: str) -> None:
        """Remove a directory that is now empty; one another writer is using stays."""
        try:
            if self._fs.exists(self._path(uri)) and not self._fs.listStatus(self._path(uri)):
                self._fs.delete(self._path(uri), False)
        except Exception:  # py4j error: the directory was refilled meanwhile; leave it
            pass


def _wait_for_running_stages(spark, timeout_s: float = 60.0) -> None:
    """Block until no stage of this application runs (killed tasks have ended), or timeout."""
    tracker = spark.sparkContext.statusTracker()
    deadline = time.monotonic() + timeout_s
    while tracker.getActiveStageIds() and time.monotonic() < deadline:
        time.sleep(0.2)


def _write_with_spark(df, dataset_uri: str, file_prefix: str) -> list[str]:
    hadoop = _HadoopFS(df.sparkSession, dataset_uri)
    staging = s3_parquet.staging_dir(dataset_uri, file_prefix)
    for name in hadoop.file_names(dataset_uri):
        if is_final_name_of(name, file_prefix):
            hadoop.delete(st.join_uri(dataset_uri, name))
    try:
        # One file per task (maxRecordsPerFile 0), so a partition number names one file.
        (df.write.mode("overwrite").option("maxRecordsPerFile", 0)
         .option("compression", s3_parquet.DEFAULT_COMPRESSION).parquet(staging))
        moves = {}
        for name in hadoop.file_names(staging):
            match = _SPARK_PART.fullmatch(name)
            if match:
                target = final_name(file_prefix, int(match.group(1)))
                if target in moves.values():
                    raise RuntimeError(f"two part files for {target} in {staging}")
                moves[name] = target
        for name, target in moves.items():
            hadoop.rename(st.join_uri(staging, name), st.join_uri(dataset_uri, target))
    finally:
        hadoop.delete(staging, recursive=True)
        hadoop.delete_if_empty_dir(st.join_uri(dataset_uri, s3_parquet.STAGING_DIR))
    return sorted(st.join_uri(dataset_uri, target) for target in moves.values())


def read_parquet(spark, uri: str | list[str], storage: st.StorageConfig):
    """Datasets (directories) and/or ``.parquet`` files as one DataFrame. Each must hold at
    least one Parquet file (else InputError); ``s3://`` cannot be mixed with other schemes."""
    uris = [uri] if isinstance(uri, str) else list(uri)
    on_s3 = [not st.uses_spark_writer(u) for u in uris]
    if not uris or (any(on_s3) and not all(on_s3)):
        raise InputError(f"read_parquet needs one or more paths, all s3:// or none: {uris}")
    for one in uris:
        if not _holds_parquet(spark, one, storage):
            raise InputError(f"no Parquet files in {one}")
    if not all(on_s3):
        return spark.read.parquet(*uris)
    s3_parquet.register(spark)
    return (spark.read.format(s3_parquet.NAME).option("paths", json.dumps(uris))
            .options(**s3_parquet.storage_options(storage)).load())


def _holds_parquet(spark, uri: str, storage: st.StorageConfig) -> bool:
    if st.is_local(uri) or not st.uses_spark_writer(uri):
        return bool(list_dataset_files(uri, storage))
    hadoop = _HadoopFS(spark, uri)  # hdfs://, s3a://: only Hadoop can list them
    return any(s3_parquet.is_data_file(n) for n in hadoop.file_names(uri))


# --- JSONL -------------------------------------------------------------------------------------

def read_jsonl(spark, uri_or_files: str | list[str], storage: st.StorageConfig, schema=None):
    """JSON-lines documents (``.jsonl``/``.json``, gzipped or not) as a DataFrame.

    ``uri_or_files`` is any input spec (file, directory, glob, manifest, list). ``schema`` (a
    StructType or DDL string) skips inference; without it Spark infers types, from the first
    ``JSONL_INFER_LINES`` lines of the first file when the files are remote. Malformed lines,
    and lines whose values do not fit the schema, are dropped on both paths. Local files go
    through ``spark.read.json``; remote ones are streamed by one task per file (the pyspark
    wheel has no Hadoop S3 filesystem), which converts values with Arrow: read timestamps as
    strings there."""
    files = resolve_inputs(uri_or_files, storage)
    if all(st.is_local(f) for f in files):
        return spark.read.json(files, schema=schema, mode="DROPMALFORMED")
    schema = _as_struct(spark, schema) if schema is not None else infer_jsonl_schema(
        spark, files[0], storage)
    one_per_task = spark.sparkContext.parallelize([(f,) for f in files], numSlices=len(files))
    names = spark.createDataFrame(one_per_task, "source_file string")
    return names.mapInArrow(lambda batches: jsonl_batches(batches, schema, storage), schema)


def _as_struct(spark, schema):
    if isinstance(schema, str):
        return spark.createDataFrame([], schema).schema
    return schema


def infer_jsonl_schema(spark, uri: str, storage: st.StorageConfig):
    """Spark's own JSON inference over the first lines of one file (read on the driver)."""
    lines = [line for line in islice(iter_lines(uri, storage), JSONL_INFER_LINES) if line.strip()]
    if not lines:
        raise InputError(f"cannot infer a schema: no JSON lines at the start of {uri}")
    return spark.read.json(spark.sparkContext.parallelize(lines, 1), mode="DROPMALFORMED").schema


def jsonl_batches(batches: Iterator[pa.RecordBatch], schema,
                  storage: st.StorageConfig) -> Iterator[pa.RecordBatch]:
    """mapInArrow body: input rows name files; output batches have exactly ``schema``'s types."""
    from pyspark.sql.pandas.types import to_arrow_schema

    target = to_arrow_schema(schema, timezone="UTC")
    for batch in batches:
        for uri in batch.column("source_file").to_pylist():
            rows = []
            for line in iter_lines(uri, storage):
                row = _parse_line(line)
                if row is not None:
                    rows.append(row)
                if len(rows) >= JSONL_BATCH_ROWS:
                    yield rows_to_batch(rows, target)
                    rows = []
            if rows:
                yield rows_to_batch(rows, target)


def _parse_line(line: str) -> dict | None:
    if not line.strip():
        return None
    try:
        row = json.loads(line)
    except ValueError:
        return None
    return row if isinstance(row, dict) else None


def rows_to_batch(rows: list[dict], target: pa.Schema) -> pa.RecordBatch:
    """Rows as one batch of ``target``; rows whose values do not convert are dropped."""
    try:
        return pa.RecordBatch.from_pylist(rows, schema=target)
    except (pa.ArrowException, TypeError, ValueError, OverflowError):
        good = []
        for row in rows:
            try:
                pa.RecordBatch.from_pylist([row], schema=target)
            except (pa.ArrowException, TypeError, ValueError, OverflowError):
                continue
            good.append(row)
        return pa.RecordBatch.from_pylist(good, schema=target)

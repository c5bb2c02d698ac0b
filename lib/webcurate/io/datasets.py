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
from collections.abc import Iterable

from webcurate.io import s3_parquet
from webcurate.io import storage as st
from webcurate.io.inputs import InputError
from webcurate.io.s3_parquet import final_name, is_final_name_of, list_parquet_files

_SPARK_PART = re.compile(r"part-(\d+)-.*\.parquet")
STRAGGLER_GRACE_S = 2.0


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
    delete_files(_files_of(dataset_uri, file_prefix, storage), storage)
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
    return _files_of(dataset_uri, file_prefix, storage)


def _files_of(dataset_uri: str, file_prefix: str, storage: st.StorageConfig) -> list[str]:
    """The files of one ``file_prefix`` (one batch), listed by name prefix only."""
    return [u for u in st.list_names_starting(dataset_uri, f"{file_prefix}-", storage)
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

    def names_starting(self, uri: str, name_prefix: str) -> list[str]:
        """Names of the files directly under ``uri`` starting with ``name_prefix`` (a glob,
        which Hadoop's object-store file systems list by key prefix)."""
        found = self._fs.globStatus(self._path(st.join_uri(uri, f"{name_prefix}*")))
        return sorted(s.getPath().getName() for s in (found or []) if s.isFile())

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
    for name in hadoop.names_starting(dataset_uri, f"{file_prefix}-"):
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
    """JSON-lines documents with their positions and a ``_malformed`` marker: see
    :func:`webcurate.io.jsonl.read_jsonl` (kept here for the callers of this module)."""
    from webcurate.io import jsonl

    return jsonl.read_jsonl(spark, uri_or_files, storage, schema)

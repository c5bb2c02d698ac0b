"""Parquet datasets with the commit protocol every job uses, and reading them back.

A dataset is a directory (or S3 prefix) of Parquet files named ``{file_prefix}-NNNNN.parquet``
directly under it, ``NNNNN`` being the Spark partition that wrote the file. A job writes one
batch of its output with :func:`write_dataset_files`:

- only files of *successful* task attempts are published, never a partial or duplicate one;
- names are deterministic, so re-writing a prefix replaces its files instead of adding to them,
  and :mod:`webcurate.ledger` can tell which batch a file belongs to;
- a write without any row publishes one empty ``{file_prefix}-00000.parquet`` that carries the
  schema (Spark's own behaviour), so every written dataset can be read back.

Who writes is :func:`webcurate.io.storage.parquet_writer`'s choice. ``"python"`` (``s3://``
by default, ``gs://`` without Google's connector): :mod:`.s3_parquet` over the storage backend.
``"spark"`` (local, ``file://``, ``hdfs://``, ``s3a://``, and ``s3://`` with
``storage.s3_writer: spark``): Spark's writer writes into ``{dataset}/_staging/{file_prefix}/``,
where Hadoop's output committer already admits one attempt per task, and the part files are
then renamed to their final names through the Hadoop FileSystem API (:mod:`.hadoop`), which
serves every scheme Spark can write. Readers never see ``_staging/``: Spark and
:mod:`.s3_parquet` skip names starting with ``_``.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable

from webcurate.io import s3_parquet
from webcurate.io import storage as st
from webcurate.io.hadoop import HadoopFS
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
    if st.uses_spark_writer(dataset_uri, storage):
        return _write_with_spark(df, dataset_uri, file_prefix)
    delete_files(_files_of(dataset_uri, file_prefix, storage), storage)
    s3_parquet.register(df.sparkSession)
    try:
        (df.write.format(s3_parquet.NAME).mode("append")
         .option("path", dataset_uri).option("file_prefix", file_prefix)
         .options(**s3_parquet.storage_options(storage))
         .save())
    except Exception:
        sweep_after_failed_write(df.sparkSession, [dataset_uri], file_prefix, storage)
        raise
    return _files_of(dataset_uri, file_prefix, storage)


def sweep_after_failed_write(spark, dataset_uris: list[str], file_prefix: str,
                             storage: st.StorageConfig) -> None:
    """Clear the staging prefixes of a failed Python Data Source write, twice.

    Spark runs abort() as soon as the job fails, while the tasks it is killing may still finish
    an upload; once they are gone, sweep again. A killed task's Python worker can even finish
    an upload after the JVM has let its stage go (seen on a loaded machine, for the plain and
    the routed writer alike): sweep once more after it has had time to notice."""
    _wait_for_running_stages(spark)
    for uri in dataset_uris:
        s3_parquet.clear_staging(uri, file_prefix, storage)
    time.sleep(STRAGGLER_GRACE_S)
    for uri in dataset_uris:
        s3_parquet.clear_staging(uri, file_prefix, storage)


def _files_of(dataset_uri: str, file_prefix: str, storage: st.StorageConfig) -> list[str]:
    """The files of one ``file_prefix`` (one batch), listed by name prefix only."""
    return [u for u in st.list_names_starting(dataset_uri, f"{file_prefix}-", storage)
            if is_final_name_of(_name(u), file_prefix)]


#: The old private name, for callers outside io/ that have not moved to :mod:`.hadoop` yet.
_HadoopFS = HadoopFS


def _wait_for_running_stages(spark, timeout_s: float = 60.0) -> None:
    """Block until no stage of this application runs (killed tasks have ended), or timeout."""
    tracker = spark.sparkContext.statusTracker()
    deadline = time.monotonic() + timeout_s
    while tracker.getActiveStageIds() and time.monotonic() < deadline:
        time.sleep(0.2)


def _write_with_spark(df, dataset_uri: str, file_prefix: str) -> list[str]:
    hadoop = HadoopFS(df.sparkSession, dataset_uri)
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
    least one Parquet file (else InputError); paths read by the Python Data Source
    (:func:`~webcurate.io.storage.parquet_writer`) cannot be mixed with Spark-read ones."""
    uris = [uri] if isinstance(uri, str) else list(uri)
    by_python = [not st.uses_spark_writer(u, storage) for u in uris]
    if not uris or (any(by_python) and not all(by_python)):
        raise InputError(f"read_parquet needs one or more paths, all read by Spark or all by "
                         f"the Python Data Source (s3:// with storage.s3_writer: python): {uris}")
    for one in uris:
        if not list_dataset_files(one, storage):
            raise InputError(f"no Parquet files in {one}")
    if not all(by_python):
        return spark.read.parquet(*uris)
    s3_parquet.register(spark)
    return (spark.read.format(s3_parquet.NAME).option("paths", json.dumps(uris))
            .options(**s3_parquet.storage_options(storage)).load())


# --- JSONL -------------------------------------------------------------------------------------

def read_jsonl(spark, uri_or_files: str | list[str], storage: st.StorageConfig, schema=None):
    """JSON-lines documents with their positions and a ``_malformed`` marker: see
    :func:`webcurate.io.jsonl.read_jsonl` (kept here for the callers of this module)."""
    from webcurate.io import jsonl

    return jsonl.read_jsonl(spark, uri_or_files, storage, schema)

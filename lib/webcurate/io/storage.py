"""One small storage API over local paths, ``s3://``, ``gs://``, ``hdfs://`` and ``http(s)://``.

Every job reads and writes through these functions, so a path in a config can point anywhere.
Each function looks up the URI's backend (:mod:`.fs`: one class per store behind one protocol,
chosen by capability) and delegates to it; nothing here switches on a scheme, except
:func:`parquet_writer`, which picks who writes Parquet datasets (Spark, or webcurate's Python
Data Source over the backend, :mod:`.s3_parquet`).

Clients are created lazily, once per process and settings (:mod:`.clients`), never pickled:
executors receive the frozen :class:`StorageConfig` and build their own. No credential passes
through here; the libraries use their standard chains (AWS: environment, ``~/.aws``, role;
GCS: ``GOOGLE_APPLICATION_CREDENTIALS``, metadata server).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from typing import BinaryIO

from webcurate.config import option
from webcurate.io import fs, hadoop
from webcurate.io.clients import (  # noqa: F401 - re-exported: the storage API in one place
    PUBLIC_BUCKETS,
    arrow_s3_filesystem,
    botocore_config,
    is_anonymous,
    s3_client,
    transfer_config,
)
from webcurate.io.fs_arrow import gcs_backend, libhdfs_backend, local_backend
from webcurate.io.fs_http import http_backend
from webcurate.io.fs_s3 import DELETE_BATCH, LIST_PAGE_SIZE, s3_backend  # noqa: F401
from webcurate.io.streams import redact  # noqa: F401 - re-exported
from webcurate.io.uris import (  # noqa: F401 - re-exported
    HTTP_SCHEMES,
    S3_SCHEMES,
    UnsupportedURIError,
    is_local,
    is_remote_http,
    is_s3,
    join_uri,
    scheme_of,
    split_uri,
)

#: Schemes Spark's own Parquet writer always serves here or names itself (Hadoop's s3a/s3n).
SPARK_WRITER_SCHEMES = ("file", "hdfs", "s3a", "s3n")
WRITERS = ("python", "spark")


@dataclass(frozen=True)
class StorageConfig:
    """The ``storage:`` section of every job config: how to reach object storage (no secrets)."""

    endpoint_url: str | None = option(
        None, help="S3-compatible endpoint, e.g. http://minio:9000; null = AWS_ENDPOINT_URL or AWS")
    region: str | None = option(
        None, help="S3 region; null = AWS_REGION / AWS_DEFAULT_REGION / profile")
    anonymous: bool | None = option(
        None, help="unsigned S3 requests; null = unsigned only for public buckets (commoncrawl)")
    max_attempts: int = option(
        10, min=1, max=100, help="attempts per S3/HTTP request, first one included, with backoff")
    retry_mode: str = option(
        "adaptive", choices=("adaptive", "standard", "legacy"),
        help="botocore retry mode; adaptive also slows the client down on 503 SlowDown")
    connect_timeout_s: float = option(
        10.0, min=0.1, max=600.0, help="seconds to establish a connection")
    read_timeout_s: float = option(
        120.0, min=1.0, max=3600.0, help="seconds without data before a read is retried")
    multipart_chunk_mib: int = option(
        64, min=5, max=5120, help="part size of multipart uploads and copies (S3 minimum: 5)")
    s3_writer: str = option(
        "python", choices=("python", "spark"),
        help="Parquet on s3://: python = webcurate's Python Data Source (any Spark); spark = "
             "Spark's own reader and writer (clusters with EMRFS or s3a)")


for _scheme, _factory in [("file", local_backend), *((s, s3_backend) for s in S3_SCHEMES),
                          *((s, http_backend) for s in HTTP_SCHEMES), ("gs", gcs_backend),
                          ("hdfs", libhdfs_backend), (fs.ANY_SCHEME, hadoop.hadoop_backend)]:
    fs.register(_scheme, _factory)

_DEFAULT = StorageConfig()


def backend(uri: str, storage: StorageConfig | None = None) -> fs.Backend:
    """The backend that serves ``uri`` with these settings (see :mod:`.fs`)."""
    return fs.backend_for(uri, storage or _DEFAULT)


def parquet_writer(uri: str, storage: StorageConfig | None = None, spark=None) -> str:
    """Who writes (and reads) Parquet datasets at ``uri``: ``"spark"`` (Spark's own writer,
    staging + rename through Hadoop) or ``"python"`` (the Python Data Source over the storage
    backend, :mod:`.s3_parquet`). ``s3://`` follows ``storage.s3_writer``; local, ``hdfs://``,
    ``s3a://``/``s3n://`` and any scheme the running Spark's Hadoop has use Spark; others
    (``gs://`` without Google's connector) the Python Data Source."""
    scheme = scheme_of(uri)
    if scheme == "s3":
        return (storage or _DEFAULT).s3_writer
    if scheme in SPARK_WRITER_SCHEMES or hadoop.has_scheme(scheme, spark):
        return "spark"
    return "python"


def uses_spark_writer(uri: str, storage: StorageConfig | None = None) -> bool:
    """True when Spark's own Parquet writer and reader serve ``uri`` (:func:`parquet_writer`)."""
    return parquet_writer(uri, storage) == "spark"


def arrow_filesystem(uri: str, storage: StorageConfig):
    """``(pyarrow.fs.FileSystem, path)`` for ``uri``, e.g. for ``pyarrow.parquet``."""
    return backend(uri, storage).arrow(uri)


def open_input(uri: str, storage: StorageConfig) -> BinaryIO:
    """A streaming binary reader (never the whole object in memory); remote streams resume with
    a Range request when a connection drops. Decompression is the caller's (gzip, warcio)."""
    return backend(uri, storage).open_input(uri)


def read_bytes(uri: str, storage: StorageConfig) -> bytes:
    return backend(uri, storage).read_bytes(uri)


def write_bytes(uri: str, data: bytes, storage: StorageConfig) -> None:
    """Write a whole object atomically: readers see the old content or the new, never a part."""
    backend(uri, storage).write_bytes(uri, data)


def exists(uri: str, storage: StorageConfig) -> bool:
    """True for an existing file or object, or a directory (on object stores: a non-empty
    prefix)."""
    return backend(uri, storage).exists(uri)


def file_size(uri: str, storage: StorageConfig) -> int:
    return backend(uri, storage).file_size(uri)


def file_version(uri: str, storage: StorageConfig) -> str:
    """A tag that changes when the file does (S3: ETag and size; files: size and mtime)."""
    return backend(uri, storage).version(uri)


def makedirs(uri: str, storage: StorageConfig | None = None) -> None:
    """Create a directory (and parents); object stores have no directories: no-op."""
    backend(uri, storage).makedirs(uri)


def list_files(uri_prefix: str, storage: StorageConfig, recursive: bool = True) -> list[str]:
    """Sorted URIs of the files under a directory/prefix, in the form given (a file lists
    itself; a missing directory lists nothing). Directory markers (keys ending in / ) are
    skipped."""
    return backend(uri_prefix, storage).list_files(uri_prefix, recursive)


def list_names_starting(directory: str, name_prefix: str, storage: StorageConfig) -> list[str]:
    """Sorted URIs of the files directly under ``directory`` whose names start with
    ``name_prefix``: on S3 one listing of just those keys (Hadoop: a glob), so a writer that
    looks up its own batch's files costs requests in proportion to that batch, not to the
    whole dataset."""
    return backend(directory, storage).list_names_starting(directory, name_prefix)


def delete(uri: str, storage: StorageConfig) -> None:
    """Delete one file or object; deleting what does not exist is not an error."""
    backend(uri, storage).delete(uri)


def delete_prefix(uri: str, storage: StorageConfig) -> None:
    """Delete a directory/prefix and everything under it (a whole bucket is refused)."""
    if not split_uri(uri)[2].strip("/"):
        raise ValueError(f"refusing to delete everything under {uri}")
    backend(uri, storage).delete_prefix(uri)


def delete_objects(uris: list[str], storage: StorageConfig) -> None:
    """Delete many files; each backend batches them as it can (S3: 1,000 keys per call)."""
    by_store: dict[tuple[str, str], list[str]] = {}
    for uri in uris:
        scheme, netloc, _ = split_uri(uri)
        by_store.setdefault((scheme, netloc), []).append(uri)
    for group in by_store.values():
        backend(group[0], storage).delete_many(group)


def copy(source: str, target: str, storage: StorageConfig) -> None:
    """Copy one object within a store (server-side where the store can)."""
    backend(target, storage).copy(source, target)


def clear_uploads(prefix: str, storage: StorageConfig) -> None:
    """Abort unfinished multipart uploads under ``prefix`` (S3; nothing elsewhere)."""
    backend(prefix, storage).clear_uploads(prefix)


def lease_store(uri: str, storage: StorageConfig) -> fs.LeaseStore | None:
    """Conditional create and replace for :mod:`webcurate.lock`, or None where the store has
    none (then the output has no lease and relies on Spark's committer only)."""
    return backend(uri, storage).lease


def local_copy(uri: str, storage: StorageConfig, cache_dir: str | None = None) -> str:
    """A local path holding ``uri``'s bytes: the path itself when local, else a cached download.

    For models and lists that a library must open by path (fastText). Downloaded once per
    machine and object version (streamed to a temp file, then renamed, so concurrent workers
    never see a partial file). The version is the backend's (S3: ETag and size), so an object
    rewritten under the same key (a retrained model) is fetched again.
    """
    if is_local(uri):
        return split_uri(uri)[2]
    cache_dir = cache_dir or os.path.join(tempfile.gettempdir(), "webcurate-cache")
    os.makedirs(cache_dir, exist_ok=True)
    name = uri.rstrip("/").rsplit("/", 1)[-1]
    version = uri if is_remote_http(uri) else f"{uri}\n{file_version(uri, storage)}"
    target = os.path.join(cache_dir, f"{hashlib.sha1(version.encode()).hexdigest()[:16]}-{name}")
    if os.path.isfile(target):
        return target
    fd, partial = tempfile.mkstemp(dir=cache_dir, prefix=".partial-")
    try:
        with os.fdopen(fd, "wb") as out, open_input(uri, storage) as stream:
            shutil.copyfileobj(stream, out, length=1 << 20)
        os.replace(partial, target)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
    return target

"""Spark's Hadoop FileSystem, reached through py4j: the one module that touches the JVM.

Two users: the Spark-writer path of :mod:`.datasets` and :mod:`.routed` (renaming part files out
of a staging directory, in whatever file system Spark wrote), and :class:`HadoopBackend`, the
storage interface on any scheme the running Spark's Hadoop serves (``hdfs://`` where pyarrow has
no libhdfs, ``abfs://``, ``viewfs://``, ``gs://`` on Dataproc...). It works on the driver only:
Python workers have no JVM handle, so what executors read must be on a backend of their own
(local, ``s3://``, ``http(s)://``, ``gs://``, ``hdfs://`` with libhdfs).
"""

from __future__ import annotations

import io
import uuid
from typing import TYPE_CHECKING, BinaryIO

from webcurate.io.uris import join_uri, name_of, split_uri

if TYPE_CHECKING:
    from webcurate.io.storage import StorageConfig


def active_session():
    """The driver's SparkSession, or None (no Spark here, or a Python worker)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        return None
    return SparkSession.getActiveSession() or SparkSession._instantiatedSession


def has_scheme(scheme: str, spark=None) -> bool:
    """Whether Spark's Hadoop configuration has a FileSystem class for ``scheme``."""
    spark = spark or active_session()
    if spark is None:
        return False
    context = spark.sparkContext
    try:
        context._jvm.org.apache.hadoop.fs.FileSystem.getFileSystemClass(
            scheme, context._jsc.hadoopConfiguration())
        return True
    except Exception:  # py4j error wrapping UnsupportedFileSystemException
        return False


class HadoopFS:
    """The few Hadoop FileSystem calls webcurate needs, for the file system serving ``uri``."""

    def __init__(self, spark, uri: str):
        self._jvm = spark.sparkContext._jvm
        conf = spark.sparkContext._jsc.hadoopConfiguration()
        self._fs = self._path(uri).getFileSystem(conf)

    def _path(self, uri: str):
        return self._jvm.org.apache.hadoop.fs.Path(uri)

    def exists(self, uri: str) -> bool:
        return bool(self._fs.exists(self._path(uri)))

    def status(self, uri: str):
        """Hadoop's FileStatus, or None when nothing is there."""
        return self._fs.getFileStatus(self._path(uri)) if self.exists(uri) else None

    def file_names(self, uri: str) -> list[str]:
        """Names of the files directly under a directory ([] when it does not exist)."""
        if not self.exists(uri):
            return []
        return sorted(s.getPath().getName() for s in self._fs.listStatus(self._path(uri))
                      if s.isFile())

    def files_under(self, uri: str) -> list[str]:
        """Relative paths of every file below a directory, recursively."""
        if not self.exists(uri):
            return []
        base = self._fs.getFileStatus(self._path(uri)).getPath().toString().rstrip("/")
        found, listing = [], self._fs.listFiles(self._path(uri), True)
        while listing.hasNext():
            found.append(listing.next().getPath().toString()[len(base):].lstrip("/"))
        return sorted(found)

    def names_starting(self, uri: str, name_prefix: str) -> list[str]:
        """Names of the files directly under ``uri`` starting with ``name_prefix`` (a glob,
        which Hadoop's object-store file systems list by key prefix)."""
        found = self._fs.globStatus(self._path(join_uri(uri, f"{name_prefix}*")))
        return sorted(s.getPath().getName() for s in (found or []) if s.isFile())

    def dir_names(self, uri: str) -> list[str]:
        """Names of the directories directly under a directory ([] when it does not exist)."""
        if not self.exists(uri):
            return []
        return sorted(s.getPath().getName() for s in self._fs.listStatus(self._path(uri))
                      if s.isDirectory())

    def read(self, uri: str) -> bytes:
        stream = self._fs.open(self._path(uri))
        try:
            return bytes(self._jvm.org.apache.commons.io.IOUtils.toByteArray(stream))
        finally:
            stream.close()

    def write(self, uri: str, data: bytes) -> None:
        """Write a temporary sibling, then rename it into place (readers never see a part)."""
        partial = join_uri(uri.rsplit("/", 1)[0], f".{name_of(uri)}.{uuid.uuid4().hex}")
        out = self._fs.create(self._path(partial), True)
        try:
            out.write(bytearray(data))
        finally:
            out.close()
        self.delete(uri)
        self.rename(partial, uri)

    def rename(self, source: str, target: str) -> None:
        if not self._fs.rename(self._path(source), self._path(target)):
            raise OSError(f"could not rename {source} to {target}")

    def copy(self, source: str, target: str) -> None:
        conf = self._fs.getConf()
        util = self._jvm.org.apache.hadoop.fs.FileUtil
        if not util.copy(self._fs, self._path(source), self._fs, self._path(target), False, conf):
            raise OSError(f"could not copy {source} to {target}")

    def mkdirs(self, uri: str) -> None:
        self._fs.mkdirs(self._path(uri))

    def delete(self, uri: str, recursive: bool = False) -> None:
        self._fs.delete(self._path(uri), recursive)

    def delete_if_empty_dir(self, uri: str) -> None:
        """Remove a directory that is now empty; one another writer is using stays."""
        try:
            if self._fs.exists(self._path(uri)) and not self._fs.listStatus(self._path(uri)):
                self._fs.delete(self._path(uri), False)
        except Exception:  # py4j error: the directory was refilled; leave it
            pass


class HadoopBackend:
    """The storage interface through the driver's Spark (see the module docstring)."""

    name = "hadoop"
    lease = None  # no conditional create here: such outputs rely on Spark's committer only
    cacheable = False  # bound to one SparkSession, which may be stopped and replaced

    def __init__(self, spark, uri: str):
        self._hadoop = HadoopFS(spark, uri)

    def open_input(self, uri: str) -> BinaryIO:
        return io.BufferedReader(io.BytesIO(self._hadoop.read(uri)))

    def read_bytes(self, uri: str) -> bytes:
        return self._hadoop.read(uri)

    def write_bytes(self, uri: str, data: bytes) -> None:
        self._hadoop.write(uri, data)

    def exists(self, uri: str) -> bool:
        return self._hadoop.exists(uri)

    def file_size(self, uri: str) -> int:
        status = self._hadoop.status(uri)
        if status is None or not status.isFile():
            raise FileNotFoundError(f"no such file: {uri}")
        return int(status.getLen())

    def version(self, uri: str) -> str:
        status = self._hadoop.status(uri)
        if status is None:
            raise FileNotFoundError(f"no such file: {uri}")
        return f"{status.getLen()}-{status.getModificationTime()}"

    def list_files(self, uri: str, recursive: bool = True) -> list[str]:
        status = self._hadoop.status(uri)
        if status is None:
            return []
        if status.isFile():
            return [uri]
        names = (self._hadoop.files_under(uri) if recursive else self._hadoop.file_names(uri))
        return sorted(join_uri(uri, name) for name in names)

    def list_names_starting(self, directory: str, name_prefix: str) -> list[str]:
        return [join_uri(directory, n) for n in self._hadoop.names_starting(directory, name_prefix)]

    def delete(self, uri: str) -> None:
        self._hadoop.delete(uri)

    def delete_many(self, uris: list[str]) -> None:
        for uri in uris:
            self._hadoop.delete(uri)

    def delete_prefix(self, uri: str) -> None:
        self._hadoop.delete(uri, recursive=True)

    def makedirs(self, uri: str) -> None:
        self._hadoop.mkdirs(uri)

    def copy(self, source: str, target: str) -> None:
        self._hadoop.copy(source, target)

    def arrow(self, uri: str):
        from webcurate.io.uris import UnsupportedURIError

        raise UnsupportedURIError(f"no Arrow filesystem for {split_uri(uri)[0]}:// here (pyarrow "
                                  f"needs libhdfs for hdfs://); Spark's Parquet reader and "
                                  f"writer serve it")

    def clear_uploads(self, prefix: str) -> None:
        """Hadoop's committers clean up after themselves."""


def hadoop_backend(scheme: str, netloc: str, storage: StorageConfig) -> HadoopBackend | None:
    """Spark's Hadoop FileSystem for ``scheme``, when this process is a driver whose Spark has
    one (None otherwise, so that a URI no backend serves fails with one line)."""
    spark = active_session()
    if spark is None or not has_scheme(scheme, spark):
        return None
    return HadoopBackend(spark, f"{scheme}://{netloc}/")

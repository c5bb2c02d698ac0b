"""Backends over a ``pyarrow.fs.FileSystem``: local disks, ``gs://``, and ``hdfs://`` via libhdfs.

:class:`ArrowBackend` implements the storage interface on any pyarrow filesystem, so a new store
pyarrow reaches is one factory. Paths inside the filesystem are ``bucket/key`` for object stores
(GCS) and ``/path`` for file systems with a host (HDFS: the filesystem is connected to the
namenode in the netloc).
"""

from __future__ import annotations

import io
import os
import tempfile
import threading
import uuid
from typing import TYPE_CHECKING, BinaryIO

from webcurate.io.fs import Lease
from webcurate.io.uris import join_uri, name_of, split_uri

if TYPE_CHECKING:
    from webcurate.io.storage import StorageConfig


class ArrowBackend:
    """The storage interface on one pyarrow filesystem. ``object_store``: no directories (a
    prefix exists while an object is under it; makedirs does nothing) and whole-object writes
    that are atomic by themselves; otherwise writes go to a temporary name and are renamed."""

    lease = None

    def __init__(self, filesystem, name: str, object_store: bool):
        self.fs, self.name, self.object_store = filesystem, name, object_store

    def path(self, uri: str) -> str:
        _, netloc, key = split_uri(uri)
        if self.object_store:
            return f"{netloc}/{key}".rstrip("/")
        return "/" + key.rstrip("/")

    def _info(self, uri: str):
        return self.fs.get_file_info(self.path(uri))

    def open_input(self, uri: str) -> BinaryIO:
        # compression=None: pyarrow would otherwise decompress by extension (.gz), and callers
        # decompress themselves (gzip, warcio)
        stream = self.fs.open_input_stream(self.path(uri), compression=None)
        return io.BufferedReader(stream, 1 << 20)

    def read_bytes(self, uri: str) -> bytes:
        with self.open_input(uri) as stream:
            return stream.read()

    def write_bytes(self, uri: str, data: bytes) -> None:
        path = self.path(uri)
        if self.object_store:
            with self.fs.open_output_stream(path, compression=None) as out:
                out.write(data)
            return
        self.makedirs(uri.rsplit("/", 1)[0])
        partial = f"{path.rsplit('/', 1)[0]}/.{name_of(path)}.{uuid.uuid4().hex}"
        try:
            with self.fs.open_output_stream(partial, compression=None) as out:
                out.write(data)
            self.fs.move(partial, path)
        finally:
            self._delete_path(partial)

    def exists(self, uri: str) -> bool:
        from pyarrow.fs import FileType

        return self._info(uri).type != FileType.NotFound

    def file_size(self, uri: str) -> int:
        from pyarrow.fs import FileType

        info = self._info(uri)
        if info.type != FileType.File:
            raise FileNotFoundError(f"no such file: {uri}")
        return int(info.size)

    def version(self, uri: str) -> str:
        """Changes when the file does: its size and modification time."""
        info = self._info(uri)
        return f"{info.size}-{info.mtime_ns}"

    def list_files(self, uri: str, recursive: bool = True) -> list[str]:
        from pyarrow.fs import FileSelector, FileType

        path = self.path(uri)
        if self.fs.get_file_info(path).type == FileType.File:
            return [uri]
        base = path.rstrip("/")
        infos = self.fs.get_file_info(
            FileSelector(base or "/", recursive=recursive, allow_not_found=True))
        return sorted(join_uri(uri, info.path[len(base):]) for info in infos
                      if info.type == FileType.File and not info.path.endswith("/"))

    def list_names_starting(self, directory: str, name_prefix: str) -> list[str]:
        """One non-recursive listing, filtered by name (pyarrow lists no key prefix)."""
        return [u for u in self.list_files(directory, recursive=False)
                if u != directory and name_of(u).startswith(name_prefix)]

    def _delete_path(self, path: str) -> None:
        try:
            self.fs.delete_file(path)
        except FileNotFoundError:
            pass

    def delete(self, uri: str) -> None:
        self._delete_path(self.path(uri))

    def delete_many(self, uris: list[str]) -> None:
        for uri in uris:
            self.delete(uri)

    def delete_prefix(self, uri: str) -> None:
        from pyarrow.fs import FileType

        kind = self._info(uri).type
        if kind == FileType.Directory:
            self.fs.delete_dir(self.path(uri))
        elif kind == FileType.File:
            self.delete(uri)

    def makedirs(self, uri: str) -> None:
        if not self.object_store:
            self.fs.create_dir(self.path(uri), recursive=True)

    def copy(self, source: str, target: str) -> None:
        self.fs.copy_file(self.path(source), self.path(target))

    def arrow(self, uri: str):
        return self.fs, self.path(uri)

    def clear_uploads(self, prefix: str) -> None:
        """Nothing to do: pyarrow aborts its own unfinished uploads."""


class LocalBackend(ArrowBackend):
    """Local disks: writes are fsynced and renamed into place; leases are hard links."""

    def __init__(self):
        from pyarrow.fs import LocalFileSystem

        super().__init__(LocalFileSystem(), "local", object_store=False)
        self.lease = LocalLease()

    def path(self, uri: str) -> str:
        return os.path.abspath(split_uri(uri)[2])

    def write_bytes(self, uri: str, data: bytes) -> None:
        """Readers see the old content or the new, never a part, even after a crash."""
        path = self.path(uri)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=f".{os.path.basename(path)}.")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.remove(tmp)
            raise

    def makedirs(self, uri: str) -> None:
        os.makedirs(self.path(uri), exist_ok=True)

    def delete_prefix(self, uri: str) -> None:
        if self.path(uri) == "/":
            raise ValueError(f"refusing to delete everything under {uri}")
        super().delete_prefix(uri)


class LocalLease:
    """Exclusive create by hard link: a link appears whole or not at all, so no reader sees a
    half-written lease. Local files have no version token (None)."""

    def _partial(self, path: str, data: bytes) -> str:
        partial = f"{path}.{os.getpid()}-{threading.get_ident()}-{uuid.uuid4().hex[:8]}"
        with open(partial, "wb") as f:
            f.write(data)
        return partial

    def create(self, uri: str, data: bytes) -> str | None:
        path = os.path.abspath(split_uri(uri)[2])
        os.makedirs(os.path.dirname(path), exist_ok=True)
        partial = self._partial(path, data)
        try:
            os.link(partial, path)
        except FileExistsError:
            return None
        finally:
            os.unlink(partial)
        return ""

    def read(self, uri: str) -> Lease | None:
        path = os.path.abspath(split_uri(uri)[2])
        try:
            with open(path, "rb") as f:
                body = f.read()
            return Lease(body, None, os.stat(path).st_mtime)
        except FileNotFoundError:
            return None

    def replace(self, uri: str, data: bytes, token: str | None) -> str | None:
        path = os.path.abspath(split_uri(uri)[2])
        os.replace(self._partial(path, data), path)
        return ""

    def delete(self, uri: str) -> None:
        try:
            os.unlink(os.path.abspath(split_uri(uri)[2]))
        except FileNotFoundError:
            pass


# --- factories ---------------------------------------------------------------------------------

_LOCAL: list[LocalBackend] = []
_HDFS_FAILED: dict[str, str] = {}


def local_backend(scheme: str, netloc: str, storage: StorageConfig) -> LocalBackend:
    if not _LOCAL:
        _LOCAL.append(LocalBackend())
    return _LOCAL[0]


def gcs_backend(scheme: str, netloc: str, storage: StorageConfig) -> ArrowBackend | None:
    """pyarrow's GcsFileSystem with Google's default credentials (GOOGLE_APPLICATION_CREDENTIALS,
    the metadata server); ``storage.anonymous: true`` reads public buckets unsigned. pyarrow's
    GCS client retries transient errors itself, within a time budget: ``max_attempts`` read
    timeouts."""
    from datetime import timedelta

    from pyarrow import fs as pafs

    if not hasattr(pafs, "GcsFileSystem"):
        return None
    filesystem = pafs.GcsFileSystem(
        anonymous=bool(storage.anonymous),
        retry_time_limit=timedelta(seconds=storage.read_timeout_s * storage.max_attempts))
    return ArrowBackend(filesystem, "gcs", object_store=True)


def libhdfs_backend(scheme: str, netloc: str, storage: StorageConfig) -> ArrowBackend | None:
    """pyarrow's HadoopFileSystem, where libhdfs and a JVM load (``ARROW_LIBHDFS_DIR``,
    ``HADOOP_HOME``, ``JAVA_HOME``, ``CLASSPATH``); None elsewhere, and the failure is
    remembered so that the next factory (Spark's Hadoop) serves without retrying."""
    from pyarrow import fs as pafs

    if netloc in _HDFS_FAILED or not hasattr(pafs, "HadoopFileSystem"):
        return None
    host, _, port = netloc.partition(":")
    try:
        filesystem = pafs.HadoopFileSystem(host or "default", int(port or 0))
    except (OSError, ValueError) as err:
        _HDFS_FAILED[netloc] = str(err).splitlines()[0] if str(err) else type(err).__name__
        return None
    return ArrowBackend(filesystem, "libhdfs", object_store=False)

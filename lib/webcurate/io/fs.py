"""The storage interface: one protocol every backend implements, and the registry that picks one.

:mod:`webcurate.io.storage`'s public functions (``exists``, ``list_files``, ``read_bytes``, ...)
look the URI's backend up here and delegate; they never switch on a scheme themselves. A backend
serves one scheme and netloc (bucket, namenode) with one :class:`StorageConfig`:

========================  =====================================================================
``file``                  :class:`~.fs_arrow.LocalBackend` (pyarrow LocalFileSystem; atomic
                          writes, hard-link leases)
``s3`` ``s3a`` ``s3n``    :class:`~.fs_s3.S3Backend` (boto3 control calls with adaptive retries,
                          pyarrow S3FileSystem streams, conditional-put leases, Common Crawl's
                          HTTPS mirror)
``http`` ``https``        :class:`~.fs_http.HttpBackend` (read-only)
``gs``                    pyarrow GcsFileSystem
``hdfs``                  pyarrow HadoopFileSystem where libhdfs loads, else Spark's Hadoop
                          FileSystem (:mod:`.hadoop`, driver only)
any other                 Spark's Hadoop FileSystem, when the running Spark has one for it
========================  =====================================================================

Backends are chosen by capability: each scheme has factories in order of preference, and a
factory that cannot serve (no libhdfs, no Spark session) returns None so the next one is tried.
:func:`register` adds a factory (a test registers a local double for ``gs://`` this way).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO, Protocol

from webcurate.io.uris import UnsupportedURIError, split_uri

if TYPE_CHECKING:
    from webcurate.io.storage import StorageConfig

#: A factory gets (scheme, netloc, storage) and returns a backend, or None when it cannot serve.
Factory = Callable[[str, str, "StorageConfig"], "Backend | None"]
ANY_SCHEME = "*"


@dataclass(frozen=True)
class Lease:
    """A lease object as read: its bytes, the token a conditional replace needs (S3's ETag),
    and its modification time (seconds since the epoch)."""

    body: bytes
    token: str | None
    modified: float


class LeaseStore(Protocol):
    """Exclusive create and compare-and-swap of one small object, for :mod:`webcurate.lock`."""

    def create(self, uri: str, data: bytes) -> str | None:
        """Create ``uri`` only if absent: its token, or None when it exists."""

    def read(self, uri: str) -> Lease | None: ...

    def replace(self, uri: str, data: bytes, token: str | None) -> str | None:
        """Overwrite ``uri`` only if it is still at ``token``: the new token, or None."""

    def delete(self, uri: str) -> None: ...


class Backend(Protocol):
    """What every storage backend does. URIs passed in are full URIs of its scheme; listings
    return URIs in the form the caller gave (a local path stays a path)."""

    name: str
    #: Conditional create for leases, or None when the store has none (the lease is skipped).
    lease: LeaseStore | None

    def open_input(self, uri: str) -> BinaryIO: ...
    def read_bytes(self, uri: str) -> bytes: ...
    def write_bytes(self, uri: str, data: bytes) -> None: ...
    def exists(self, uri: str) -> bool: ...
    def file_size(self, uri: str) -> int: ...
    def version(self, uri: str) -> str: ...
    def list_files(self, uri: str, recursive: bool = True) -> list[str]: ...
    def list_names_starting(self, directory: str, name_prefix: str) -> list[str]: ...
    def delete(self, uri: str) -> None: ...
    def delete_many(self, uris: list[str]) -> None: ...
    def delete_prefix(self, uri: str) -> None: ...
    def makedirs(self, uri: str) -> None: ...
    def copy(self, source: str, target: str) -> None: ...
    def arrow(self, uri: str) -> tuple[object, str]: ...
    def clear_uploads(self, prefix: str) -> None: ...


_FACTORIES: dict[str, list[Factory]] = {}
_INSTANCES: dict[tuple, Backend] = {}
_GUARD = threading.Lock()


def register(scheme: str, factory: Factory, first: bool = False) -> None:
    """Add a backend factory for ``scheme`` (``"*"``: any scheme without one that serves);
    ``first`` puts it before the existing ones."""
    with _GUARD:
        factories = _FACTORIES.setdefault(scheme.lower(), [])
        factories.insert(0, factory) if first else factories.append(factory)
        _INSTANCES.clear()


def unregister(scheme: str, factory: Factory) -> None:
    with _GUARD:
        _FACTORIES.get(scheme.lower(), []).remove(factory)
        _INSTANCES.clear()


def backend_for(uri: str, storage: StorageConfig) -> Backend:
    """The backend serving ``uri`` (cached per process, scheme, netloc and settings)."""
    scheme, netloc, _ = split_uri(uri)
    key = (os.getpid(), scheme, netloc, storage)
    with _GUARD:
        found = _INSTANCES.get(key)
        factories = [*_FACTORIES.get(scheme, ()), *_FACTORIES.get(ANY_SCHEME, ())]
    if found is not None:
        return found
    for factory in factories:
        backend = factory(scheme, netloc, storage)
        if backend is not None:
            if getattr(backend, "cacheable", True):  # not one bound to a Spark session
                with _GUARD:
                    _INSTANCES[key] = backend
            return backend
    raise UnsupportedURIError(f"no storage backend serves {scheme}:// here (local paths, s3://, "
                              f"http(s)://, gs://, hdfs:// and Spark's Hadoop file systems do)")


def read_only(uri: str, operation: str) -> UnsupportedURIError:
    """The error of an operation a read-only backend cannot do."""
    from webcurate.io.streams import redact

    return UnsupportedURIError(f"cannot {operation} {redact(uri)}: this storage is read-only")

"""Word lists and blocklists: read by path, loaded once per process (installed by
:mod:`webcurate.resources.fetch`).

A list path is local, ``s3://`` (through ``webcurate.io.storage``) or ``assets:REL``, which names
``REL`` under the assets folder: ``$WEBCURATE_ASSETS`` if set, else
``<sys.prefix>/share/webcurate/assets`` (inside the virtualenv, so a packed venv carries it). Config
defaults use ``assets:`` so a saved config.yaml stays portable. A file may be plain text, ``.gz``,
or a member of a tar archive named after ``#``: ``assets:fineweb/url_filterblacklistsv0_3_0.tar.gz#
domains``. Lines are UTF-8. On Spark, paths resolve on the executors; set
``spark.executorEnv.WEBCURATE_ASSETS`` when the assets are not in the executors' own venv.
"""

from __future__ import annotations

import functools
import gzip
import os
import sys
import tarfile
import threading
from collections.abc import Callable, Iterator

from webcurate.filters.wordsets import HashedSet
from webcurate.io.storage import StorageConfig, exists, open_input

ASSETS_ENV = "WEBCURATE_ASSETS"
ASSETS_PREFIX = "assets:"
MEMBER_SEPARATOR = "#"
_ARCHIVES = (".tar.gz", ".tgz", ".tar")
_CHUNK = 1 << 22


# --- paths --------------------------------------------------------------------------------------

def assets_dir() -> str:
    """``$WEBCURATE_ASSETS``, else ``<sys.prefix>/share/webcurate/assets``."""
    return os.environ.get(ASSETS_ENV) or os.path.join(sys.prefix, "share", "webcurate", "assets")


def resolve(path: str) -> str:
    """``assets:REL`` -> ``<assets dir>/REL``; any other path unchanged."""
    if path.startswith(ASSETS_PREFIX):
        return os.path.join(assets_dir(), path[len(ASSETS_PREFIX):].lstrip("/"))
    return path


def split_member(uri: str) -> tuple[str, str | None]:
    """``(archive, member)`` for ``archive.tar.gz#member``, else ``(uri, None)``."""
    head, sep, member = uri.rpartition(MEMBER_SEPARATOR)
    if sep and member and head.endswith(_ARCHIVES):
        return head, member
    return uri, None


def _missing(path: str, uri: str) -> FileNotFoundError:
    shown = path if path == uri else f"{path} -> {uri}"
    hint = (" (install the default lists: python -m webcurate.resources.fetch)"
            if path.startswith(ASSETS_PREFIX) or uri.startswith(assets_dir()) else "")
    return FileNotFoundError(f"list not found: {shown}{hint}")


# --- reading ------------------------------------------------------------------------------------

def _chunks(stream) -> Iterator[bytes]:
    while chunk := stream.read(_CHUNK):
        yield chunk


def iter_chunks(path: str, storage: StorageConfig) -> Iterator[bytes]:
    """The decompressed bytes of a list, streamed (a 124 MB tar member is never held whole)."""
    uri, member = split_member(resolve(path))
    if not exists(uri, storage):
        raise _missing(path, uri)
    with open_input(uri, storage) as raw:
        if member is None:
            stream = gzip.GzipFile(fileobj=raw) if uri.endswith(".gz") else raw
            yield from _chunks(stream)
            return
        with tarfile.open(fileobj=raw, mode="r|*") as tar:
            for info in tar:
                if info.name.removeprefix("./") == member:
                    yield from _chunks(tar.extractfile(info))
                    return
    raise FileNotFoundError(f"list not found: no member {member!r} in {uri}")


def iter_line_batches(path: str, storage: StorageConfig) -> Iterator[list[bytes]]:
    """The list's lines in batches, as bytes without their line ending (``\\n`` or ``\\r\\n``)."""
    rest = b""
    for chunk in iter_chunks(path, storage):
        data = rest + chunk
        cut = data.rfind(b"\n") + 1
        rest = data[cut:]
        yield [line.removesuffix(b"\r") for line in data[:cut].split(b"\n")[:-1]]
    if rest:
        yield [rest.removesuffix(b"\r")]


@functools.lru_cache(maxsize=64)
def _cached_lines(uri: str, storage: StorageConfig) -> tuple[str, ...]:
    return tuple(line.decode("utf-8") for batch in iter_line_batches(uri, storage)
                 for line in batch)


def read_lines(path: str, storage: StorageConfig) -> tuple[str, ...]:
    """Every line of a (small) list, decoded; read once per process and resolved path."""
    return _cached_lines(resolve(path), storage)


@functools.lru_cache(maxsize=8)
def _cached_hashed_set(uri: str, storage: StorageConfig) -> HashedSet:
    return HashedSet.from_lines(iter_line_batches(uri, storage))


def load_hashed_set(path: str, storage: StorageConfig) -> HashedSet:
    """The lines of a (large) list as a :class:`HashedSet`, once per process and resolved path."""
    return _cached_hashed_set(resolve(path), storage)


_RESOURCES: dict[tuple, object] = {}
_RESOURCES_LOCK = threading.Lock()


def per_process(loader: Callable) -> Callable:
    """Cache ``loader(config, storage)`` per process, config, storage and assets folder."""

    @functools.wraps(loader)
    def cached(config, storage: StorageConfig):
        key = (loader.__qualname__, config, storage, assets_dir())
        with _RESOURCES_LOCK:
            if key not in _RESOURCES:
                _RESOURCES[key] = loader(config, storage)
            return _RESOURCES[key]

    return cached


class StorageLists:
    """The :class:`~webcurate.filters.wordsets.ListSource` over storage (and ``assets:``) that
    the rule families read their lists through."""

    def __init__(self, storage: StorageConfig):
        self.storage = storage

    def lines(self, path: str) -> tuple[str, ...]:
        return read_lines(path, self.storage)

    def hashed_set(self, path: str) -> HashedSet:
        return load_hashed_set(path, self.storage)


def check_list_paths(config, storage: StorageConfig, prefix: str) -> None:
    """Raise ``ConfigError`` naming ``prefix.field`` for a list path that does not exist.

    Checks every non-null field declared with ``option(..., list_path=True)``; for preflights.
    """
    import dataclasses

    from webcurate.config import ConfigError

    for f in dataclasses.fields(config):
        path = getattr(config, f.name)
        if f.metadata.get("list_path") and path is not None:
            uri = split_member(resolve(path))[0]
            if not exists(uri, storage):
                raise ConfigError(f"config key '{prefix}{f.name}': {_missing(path, uri)}")

"""One small storage API over local paths (plain or ``file://``), ``s3://`` and ``http(s)://``.

Every job reads and writes through these functions, so a path in a config can point anywhere.

- S3 control calls (list, put, copy, delete) go through boto3, because botocore has *adaptive*
  retries: Common Crawl's bucket answers ``503 SlowDown`` under load, and a client that backs off
  and rate-limits itself keeps a thousand tasks from hammering it.
- Parquet streams go through pyarrow's S3FileSystem (:func:`arrow_filesystem`), which
  ``ParquetWriter``/``ParquetFile`` need.
- Clients are created lazily, once per process and settings (:mod:`.clients`), never pickled:
  executors receive the frozen :class:`StorageConfig` and build their own. No credential passes
  through here; both libraries use the standard AWS chain (environment, ``~/.aws``, role).
- Remote reads stream and resume after a dropped connection (:mod:`.streams`).
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
import urllib.parse
from dataclasses import dataclass
from typing import BinaryIO

from webcurate.config import option
from webcurate.io import clients, streams
from webcurate.io.clients import (  # noqa: F401 - re-exported: the storage API in one place
    PUBLIC_BUCKETS,
    arrow_s3_filesystem,
    botocore_config,
    is_anonymous,
    s3_client,
    transfer_config,
)
from webcurate.io.streams import redact

S3_SCHEMES = ("s3", "s3a", "s3n")
HTTP_SCHEMES = ("http", "https")
LIST_PAGE_SIZE = 1000  # S3's maximum keys per ListObjectsV2 page
DELETE_BATCH = 1000  # S3's maximum keys per DeleteObjects call


class UnsupportedURIError(ValueError):
    """A URI whose scheme this operation cannot serve (e.g. writing to https://)."""


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


# --- URIs ---------------------------------------------------------------------------------------

def split_uri(uri: str) -> tuple[str, str, str]:
    """``(scheme, netloc, path)``. Local paths give ``("file", "", path)``; for every other scheme
    ``path`` is what follows ``netloc/`` (an S3 key, or a URL path with its query string)."""
    scheme, sep, rest = uri.partition("://")
    if not sep:
        return "file", "", uri
    scheme = scheme.lower()
    if scheme == "file":
        return "file", "", urllib.parse.unquote(rest.removeprefix("localhost"))
    netloc, _, path = rest.partition("/")
    return scheme, netloc, path


def is_s3(uri: str) -> bool:
    """True for object-store URIs that boto3 serves (``s3://``, and Hadoop's ``s3a://``/``s3n://``
    names for the same objects)."""
    return split_uri(uri)[0] in S3_SCHEMES


def is_remote_http(uri: str) -> bool:
    return split_uri(uri)[0] in HTTP_SCHEMES


def is_local(uri: str) -> bool:
    return split_uri(uri)[0] == "file"


def uses_spark_writer(uri: str) -> bool:
    """False only for ``s3://``: the pyspark wheel has no Hadoop S3 filesystem, so Parquet goes
    through :mod:`webcurate.io.s3_parquet`; local, ``s3a://`` and ``hdfs://`` use Spark's writer."""
    return split_uri(uri)[0] != "s3"


def join_uri(base: str, *parts: str) -> str:
    """``join_uri("s3://b/out/", "docs", "x.parquet") == "s3://b/out/docs/x.parquet"``."""
    out = base.rstrip("/") or base
    for part in (p.strip("/") for p in parts):
        if part:
            out = f"{out.rstrip('/')}/{part}"
    return out


# --- Arrow -------------------------------------------------------------------------------------

def arrow_filesystem(uri: str, storage: StorageConfig):
    """``(pyarrow.fs.FileSystem, path)`` for a local or S3 URI, e.g. for ``pyarrow.parquet``."""
    from pyarrow import fs as pafs

    scheme, bucket, path = split_uri(uri)
    if scheme == "file":
        return pafs.LocalFileSystem(), os.path.abspath(path)
    if scheme in S3_SCHEMES:
        return arrow_s3_filesystem(storage, bucket), f"{bucket}/{path}"
    raise UnsupportedURIError(f"no Arrow filesystem for {redact(uri)}")


# --- file operations ----------------------------------------------------------------------------

def _check_s3(uri: str, operation: str) -> tuple[str, str]:
    scheme, bucket, key = split_uri(uri)
    if scheme not in S3_SCHEMES:
        raise UnsupportedURIError(f"cannot {operation} {redact(uri)}: use a local path or s3://")
    return bucket, key


def open_input(uri: str, storage: StorageConfig) -> BinaryIO:
    """A streaming binary reader (never the whole object in memory); remote streams resume with
    a Range request when a connection drops. Decompression is the caller's (gzip, warcio)."""
    scheme, netloc, path = split_uri(uri)
    if scheme == "file":
        return open(path, "rb")
    if scheme in S3_SCHEMES:
        mirror = clients.public_https_url(netloc, path, storage, clients.has_aws_credentials())
        if mirror:
            return streams.open_http(mirror, storage.max_attempts, storage.read_timeout_s)
        return streams.open_s3(s3_client(storage, netloc), netloc, path, storage.max_attempts)
    if scheme in HTTP_SCHEMES:
        return streams.open_http(uri, storage.max_attempts, storage.read_timeout_s)
    raise UnsupportedURIError(f"cannot read {redact(uri)}: use a local path, s3:// or https://")


def read_bytes(uri: str, storage: StorageConfig) -> bytes:
    with open_input(uri, storage) as stream:
        return stream.read()


def write_bytes(uri: str, data: bytes, storage: StorageConfig) -> None:
    """Write a whole object atomically: readers see the old content or the new, never a part."""
    if is_local(uri):
        path = os.path.abspath(split_uri(uri)[2])
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
        return
    bucket, key = _check_s3(uri, "write")
    s3_client(storage, bucket).upload_fileobj(
        io.BytesIO(data), bucket, key, Config=transfer_config(storage))


def _s3_head(uri: str, storage: StorageConfig) -> dict | None:
    from botocore.exceptions import ClientError

    bucket, key = _check_s3(uri, "inspect")
    try:
        return s3_client(storage, bucket).head_object(Bucket=bucket, Key=key)
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise


def _dir_prefix(key: str) -> str:
    return key.rstrip("/") + "/" if key.strip("/") else ""


def exists(uri: str, storage: StorageConfig) -> bool:
    """True for an existing file or object, or a directory (on S3: a non-empty prefix)."""
    scheme, bucket, key = split_uri(uri)
    if scheme == "file":
        return os.path.exists(key)
    if scheme in HTTP_SCHEMES:
        return streams.http_head(uri, storage.max_attempts, storage.read_timeout_s) is not None
    _check_s3(uri, "inspect")
    if key.strip("/") and _s3_head(uri, storage) is not None:
        return True
    listing = s3_client(storage, bucket).list_objects_v2(
        Bucket=bucket, Prefix=_dir_prefix(key), MaxKeys=1)
    return listing.get("KeyCount", 0) > 0


def file_size(uri: str, storage: StorageConfig) -> int:
    scheme, _, path = split_uri(uri)
    if scheme == "file":
        return os.path.getsize(path)
    if scheme in HTTP_SCHEMES:
        headers = streams.http_head(uri, storage.max_attempts, storage.read_timeout_s)
        if headers is None or headers.get("Content-Length") is None:
            raise FileNotFoundError(f"no size for {redact(uri)}")
        return int(headers["Content-Length"])
    head = _s3_head(uri, storage)
    if head is None:
        raise FileNotFoundError(f"no such object: {uri}")
    return int(head["ContentLength"])


def makedirs(uri: str) -> None:
    """Create a local directory (and parents); object stores have no directories: no-op."""
    if is_local(uri):
        os.makedirs(split_uri(uri)[2], exist_ok=True)


def list_files(uri_prefix: str, storage: StorageConfig, recursive: bool = True) -> list[str]:
    """Sorted URIs of the files under a directory/prefix, in the form given (a file lists
    itself; a missing directory lists nothing). S3 directory markers (keys ending in / ) are
    skipped."""
    scheme, bucket, key = split_uri(uri_prefix)
    if scheme == "file":
        return _list_local(uri_prefix, key, recursive)
    _check_s3(uri_prefix, "list")
    found = [f"{scheme}://{bucket}/{k}" for k in _s3_keys(storage, bucket, key, recursive)
             if not k.endswith("/")]
    if not found and key.strip("/") and _s3_head(uri_prefix, storage) is not None:
        found = [uri_prefix]
    return sorted(found)


def list_names_starting(directory: str, name_prefix: str, storage: StorageConfig) -> list[str]:
    """Sorted URIs of the files directly under ``directory`` whose names start with
    ``name_prefix``: on S3 one listing of just those keys, so a writer that looks up its own
    batch's files costs requests in proportion to that batch, not to the whole dataset."""
    scheme, bucket, key = split_uri(directory)
    if scheme == "file":
        path = key
        if not os.path.isdir(path):
            return []
        return sorted(join_uri(directory, e.name) for e in os.scandir(path)
                      if e.is_file() and e.name.startswith(name_prefix))
    _check_s3(directory, "list")
    paginator = s3_client(storage, bucket).get_paginator("list_objects_v2")
    pages = paginator.paginate(Bucket=bucket, Prefix=_dir_prefix(key) + name_prefix,
                               Delimiter="/", PaginationConfig={"PageSize": LIST_PAGE_SIZE})
    return sorted(f"{scheme}://{bucket}/{item['Key']}" for page in pages
                  for item in page.get("Contents", []) if not item["Key"].endswith("/"))


def _s3_keys(storage: StorageConfig, bucket: str, key: str, recursive: bool = True) -> list[str]:
    """Every key under the directory ``key`` (markers included), page by page."""
    paginator = s3_client(storage, bucket).get_paginator("list_objects_v2")
    pages = paginator.paginate(Bucket=bucket, Prefix=_dir_prefix(key),
                               Delimiter="" if recursive else "/",
                               PaginationConfig={"PageSize": LIST_PAGE_SIZE})
    return [item["Key"] for page in pages for item in page.get("Contents", [])]


def _list_local(uri_prefix: str, path: str, recursive: bool) -> list[str]:
    if os.path.isfile(path):
        return [uri_prefix]
    if not os.path.isdir(path):
        return []
    if not recursive:
        return sorted(join_uri(uri_prefix, e.name) for e in os.scandir(path) if e.is_file())
    found = []
    for root, _, names in os.walk(path):
        rel = os.path.relpath(root, path)
        found.extend(join_uri(uri_prefix, "" if rel == "." else rel, name) for name in names)
    return sorted(found)


def delete(uri: str, storage: StorageConfig) -> None:
    """Delete one file or object; deleting what does not exist is not an error."""
    if is_local(uri):
        try:
            os.remove(split_uri(uri)[2])
        except FileNotFoundError:
            pass
        return
    bucket, key = _check_s3(uri, "delete")
    s3_client(storage, bucket).delete_object(Bucket=bucket, Key=key)


def delete_prefix(uri: str, storage: StorageConfig) -> None:
    """Delete a directory/prefix and everything under it (a whole bucket is refused)."""
    scheme, _, key = split_uri(uri)
    if not key.strip("/") or (scheme == "file" and os.path.abspath(key) == "/"):
        raise ValueError(f"refusing to delete everything under {uri}")
    if scheme == "file":
        if os.path.isdir(key):
            shutil.rmtree(key)
        else:
            delete(uri, storage)
        return
    bucket, _ = _check_s3(uri, "delete")
    keys = [*_s3_keys(storage, bucket, key), key]  # and an object named like the prefix
    delete_objects([f"{scheme}://{bucket}/{k}" for k in keys], storage)


def delete_objects(uris: list[str], storage: StorageConfig) -> None:
    """Delete many S3 objects with batched DeleteObjects calls (local paths one by one)."""
    by_bucket: dict[str, list[str]] = {}
    for uri in uris:
        if is_local(uri):
            delete(uri, storage)
        else:
            bucket, key = _check_s3(uri, "delete")
            by_bucket.setdefault(bucket, []).append(key)
    for bucket, keys in by_bucket.items():
        client = s3_client(storage, bucket)
        for start in range(0, len(keys), DELETE_BATCH):
            batch = [{"Key": k} for k in keys[start:start + DELETE_BATCH]]
            response = client.delete_objects(
                Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
            if response.get("Errors"):
                first = response["Errors"][0]
                raise OSError(f"could not delete s3://{bucket}/{first.get('Key')}: "
                              f"{first.get('Code')} {first.get('Message')}")


def local_copy(uri: str, storage: StorageConfig, cache_dir: str | None = None) -> str:
    """A local path holding ``uri``'s bytes: the path itself when local, else a cached download.

    For models and lists that a library must open by path (fastText). Downloaded once per
    machine and object version (streamed to a temp file, then renamed, so concurrent workers
    never see a partial file). On ``s3://`` the version is the object's ETag and size, so an
    object rewritten under the same key (a retrained model) is fetched again.
    """
    import hashlib

    if is_local(uri):
        return split_uri(uri)[2]
    cache_dir = cache_dir or os.path.join(tempfile.gettempdir(), "webcurate-cache")
    os.makedirs(cache_dir, exist_ok=True)
    name = uri.rstrip("/").rsplit("/", 1)[-1]
    version = uri
    if is_s3(uri):
        head = _s3_head(uri, storage)
        if head is None:
            raise FileNotFoundError(f"no such object: {uri}")
        version = f"{uri}\n{head.get('ETag')}\n{head.get('ContentLength')}"
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

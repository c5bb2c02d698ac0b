"""URIs as every storage backend sees them: pure string functions, no I/O.

Local paths (plain or ``file://``) are ``("file", "", path)``; every other URI is
``scheme://netloc/path``, ``netloc`` being an S3/GCS bucket or an HDFS namenode.
"""

from __future__ import annotations

import urllib.parse

S3_SCHEMES = ("s3", "s3a", "s3n")
HTTP_SCHEMES = ("http", "https")


class UnsupportedURIError(ValueError):
    """A URI whose scheme this operation cannot serve (e.g. writing to https://)."""


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


def scheme_of(uri: str) -> str:
    return split_uri(uri)[0]


def is_s3(uri: str) -> bool:
    """True for object-store URIs that boto3 serves (``s3://``, and Hadoop's ``s3a://``/``s3n://``
    names for the same objects)."""
    return scheme_of(uri) in S3_SCHEMES


def is_remote_http(uri: str) -> bool:
    return scheme_of(uri) in HTTP_SCHEMES


def is_local(uri: str) -> bool:
    return scheme_of(uri) == "file"


def join_uri(base: str, *parts: str) -> str:
    """``join_uri("s3://b/out/", "docs", "x.parquet") == "s3://b/out/docs/x.parquet"``."""
    out = base.rstrip("/") or base
    for part in (p.strip("/") for p in parts):
        if part:
            out = f"{out.rstrip('/')}/{part}"
    return out


def dir_prefix(key: str) -> str:
    """An object-store key as a directory prefix (``a/b`` -> ``a/b/``; the root -> ``""``)."""
    return key.rstrip("/") + "/" if key.strip("/") else ""


def name_of(uri: str) -> str:
    return uri.rstrip("/").rsplit("/", 1)[-1]

"""S3 clients, built lazily once per process and settings (re-exported by :mod:`.storage`).

Executors receive the frozen ``StorageConfig`` and call these; a client is never pickled. Both
boto3 and pyarrow take credentials from the standard AWS chain (environment, ``~/.aws``, instance
role): no secret is ever passed, stored or logged here.
"""

from __future__ import annotations

import os
import threading
import urllib.parse
from typing import TYPE_CHECKING

from webcurate import __version__

if TYPE_CHECKING:
    from webcurate.io.storage import StorageConfig

#: Public buckets read with unsigned requests when ``anonymous`` is left on auto (null).
PUBLIC_BUCKETS = frozenset({"commoncrawl"})
#: Common Crawl serves the same keys over HTTPS; since 2022 its S3 API wants signed requests, so
#: a reader without AWS credentials goes through this endpoint instead.
PUBLIC_HTTPS_MIRRORS = {"commoncrawl": "https://data.commoncrawl.org/"}
USER_AGENT = f"webcurate/{__version__}"

_CLIENTS: dict[tuple, object] = {}
_CLIENTS_LOCK = threading.Lock()


def _cached(key: tuple, make):
    """Per-process cache; the pid is part of the key because connection pools do not survive a
    fork (pyspark forks its Python workers from a daemon)."""
    key = (os.getpid(), *key)
    with _CLIENTS_LOCK:
        if key not in _CLIENTS:
            _CLIENTS[key] = make()
        return _CLIENTS[key]


def is_anonymous(storage: StorageConfig, bucket: str | None) -> bool:
    """Explicit setting, else unsigned only for the known public buckets, and for them only
    without credentials (Common Crawl's S3 API serves signed requests only; a reader without
    credentials is sent to its HTTPS endpoint instead, see ``commoncrawl_https_base``)."""
    if storage.anonymous is not None:
        return storage.anonymous
    return bucket in PUBLIC_BUCKETS and not has_aws_credentials()


def has_aws_credentials() -> bool:
    """Whether the standard AWS chain finds credentials here (cached per process)."""
    def find():
        import boto3

        return boto3.session.Session().get_credentials() is not None

    return _cached(("has-credentials",), find)


def public_https_url(bucket: str, key: str, storage: StorageConfig,
                     have_credentials: bool) -> str | None:
    """The HTTPS URL to read a public bucket's object through, or None to use S3.

    Only on auto (``anonymous: null``), only for buckets with a known mirror, only without
    credentials, and never when an S3-compatible endpoint is configured.
    """
    if storage.anonymous is not None or resolved_endpoint(storage) or have_credentials:
        return None
    base = PUBLIC_HTTPS_MIRRORS.get(bucket)
    return f"{base}{key.lstrip('/')}" if base else None


def resolved_endpoint(storage: StorageConfig) -> str | None:
    """Configured endpoint, else the standard environment variables (pyarrow reads neither)."""
    return (storage.endpoint_url or os.environ.get("AWS_ENDPOINT_URL_S3")
            or os.environ.get("AWS_ENDPOINT_URL") or None)


def resolved_region(storage: StorageConfig, bucket: str | None = None) -> str | None:
    """Configured region, else the environment's; Common Crawl's bucket lives in us-east-1."""
    region = storage.region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    return region or ("us-east-1" if bucket in PUBLIC_BUCKETS else None)


def botocore_config(storage: StorageConfig, anonymous: bool):
    """Retries (adaptive by default: backs off *and* rate-limits on 503 SlowDown), timeouts,
    signing. botocore's own ``max_attempts`` key counts *retries*; ``total_max_attempts``
    counts the first call too, as ``StorageConfig.max_attempts`` does everywhere."""
    from botocore import UNSIGNED
    from botocore.config import Config

    return Config(
        retries={"mode": storage.retry_mode, "total_max_attempts": storage.max_attempts},
        connect_timeout=storage.connect_timeout_s,
        read_timeout=storage.read_timeout_s,
        signature_version=UNSIGNED if anonymous else None,
        # S3-compatible stores (MinIO, Ceph, moto) generally want path-style addressing.
        s3={"addressing_style": "path"} if resolved_endpoint(storage) else None,
        max_pool_connections=32,
        user_agent_extra=USER_AGENT,
    )


def s3_client(storage: StorageConfig, bucket: str | None = None):
    """The process's boto3 S3 client for these settings (unsigned if ``bucket`` is public)."""
    anonymous = is_anonymous(storage, bucket)
    region = resolved_region(storage, bucket)

    def make():
        import boto3

        return boto3.session.Session().client(
            "s3", endpoint_url=resolved_endpoint(storage), region_name=region,
            config=botocore_config(storage, anonymous))

    return _cached(("boto3", storage, anonymous, region), make)


def arrow_s3_filesystem(storage: StorageConfig, bucket: str):
    """The process's pyarrow S3FileSystem for ``bucket``'s settings. pyarrow has no adaptive
    mode: it gets the standard strategy with the same number of attempts."""
    from pyarrow import fs as pafs

    anonymous = is_anonymous(storage, bucket)
    endpoint = resolved_endpoint(storage)
    region = resolved_region(storage, bucket)

    def make():
        kwargs = {}
        if endpoint:
            parsed = urllib.parse.urlsplit(endpoint)
            kwargs = {"endpoint_override": parsed.netloc + parsed.path.rstrip("/"),
                      "scheme": parsed.scheme or "https"}
        return pafs.S3FileSystem(
            anonymous=anonymous, region=region or _bucket_region(bucket, endpoint),
            connect_timeout=storage.connect_timeout_s, request_timeout=storage.read_timeout_s,
            retry_strategy=pafs.AwsStandardS3RetryStrategy(max_attempts=storage.max_attempts),
            **kwargs)

    return _cached(("arrow", storage, anonymous, region or bucket), make)


def _bucket_region(bucket: str, endpoint: str | None) -> str | None:
    """On AWS without a configured region, ask S3 where the bucket is: pyarrow does not follow
    S3's cross-region redirects."""
    if endpoint:
        return None
    from pyarrow import fs as pafs

    try:
        return pafs.resolve_s3_region(bucket)
    except OSError:
        return None


def transfer_config(storage: StorageConfig):
    """boto3 managed-transfer settings: multipart above one chunk, for uploads and copies."""
    from boto3.s3.transfer import TransferConfig

    chunk = storage.multipart_chunk_mib << 20
    return TransferConfig(multipart_threshold=chunk, multipart_chunksize=chunk, max_concurrency=4)

"""Storage round trips on local disk, on a real S3 API (moto's server) and over HTTP."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import io
import os
import threading
import tracemalloc
from functools import partial

import pytest
from botocore import UNSIGNED

from webcurate.config import ConfigError, build
from webcurate.io import storage as st
from webcurate.io.streams import ResumableReader

MIB = 1 << 20


# --- URIs and config (pure) --------------------------------------------------------------------

@pytest.mark.parametrize("uri, expected", [
    ("/data/x.warc.gz", ("file", "", "/data/x.warc.gz")),
    ("rel/x", ("file", "", "rel/x")),
    ("file:///data/a%20b", ("file", "", "/data/a b")),
    ("s3://bucket/crawl-data/x?.gz", ("s3", "bucket", "crawl-data/x?.gz")),
    ("s3://bucket", ("s3", "bucket", "")),
    ("S3A://bucket/k", ("s3a", "bucket", "k")),
    ("https://data.commoncrawl.org/a/b?x=1", ("https", "data.commoncrawl.org", "a/b?x=1")),
])
def test_split_uri(uri, expected):
    assert st.split_uri(uri) == expected


def test_uri_predicates_and_join():
    assert st.is_s3("s3://b/k") and st.is_s3("s3a://b/k") and not st.is_s3("/b/k")
    assert st.is_remote_http("https://h/x") and not st.is_remote_http("s3://b/k")
    assert not st.uses_spark_writer("s3://b/out")
    assert all(st.uses_spark_writer(u) for u in ("/out", "file:///out", "s3a://b/o", "hdfs://n/o"))
    assert st.join_uri("s3://b/out/", "docs", "/x.parquet") == "s3://b/out/docs/x.parquet"
    assert st.join_uri("s3://b/", "k") == "s3://b/k"
    assert st.join_uri("/", "tmp") == "/tmp"
    assert st.redact("https://h/x?X-Amz-Signature=secret") == "https://h/x?..."


def test_storage_config_fields_carry_help_and_checks():
    import dataclasses

    for field in dataclasses.fields(st.StorageConfig):
        assert field.metadata.get("help"), field.name
    config = build(st.StorageConfig, {"endpoint_url": "http://minio:9000", "max_attempts": 3})
    assert config == st.StorageConfig(endpoint_url="http://minio:9000", max_attempts=3)
    with pytest.raises(ConfigError, match="retry_mode"):
        build(st.StorageConfig, {"retry_mode": "yolo"})
    with pytest.raises(ConfigError, match="multipart_chunk_mib"):
        build(st.StorageConfig, {"multipart_chunk_mib": 1})


def test_clients_are_adaptive_cached_and_unsigned_for_public_buckets(monkeypatch):
    from webcurate.io import clients

    storage = st.StorageConfig(region="us-east-1")
    private = st.s3_client(storage, "my-bucket")
    assert private is st.s3_client(storage, "my-bucket")
    assert private.meta.config.retries == {"mode": "adaptive", "total_max_attempts": 10}
    assert private.meta.config.signature_version is not UNSIGNED
    # Common Crawl's S3 API serves signed requests only: signed whenever credentials exist
    # (the tests' environment has some), unsigned only for a reader without any.
    assert clients.is_anonymous(storage, "commoncrawl") is False
    monkeypatch.setattr(clients, "has_aws_credentials", lambda: False)
    assert clients.is_anonymous(storage, "commoncrawl") is True
    assert clients.is_anonymous(storage, "my-bucket") is False
    forced = st.s3_client(st.StorageConfig(anonymous=True), "my-bucket")
    assert forced.meta.config.signature_version is UNSIGNED
    signed_cc = st.s3_client(st.StorageConfig(anonymous=False), "commoncrawl")
    assert signed_cc.meta.config.signature_version is not UNSIGNED


def test_arrow_filesystem_for_endpoint():
    from pyarrow import fs as pafs

    storage = st.StorageConfig(endpoint_url="http://127.0.0.1:9", anonymous=True)
    filesystem, path = st.arrow_filesystem("s3://bucket/a/b.parquet", storage)
    assert isinstance(filesystem, pafs.S3FileSystem) and path == "bucket/a/b.parquet"
    local, local_path = st.arrow_filesystem("file:///tmp/x.parquet", storage)
    assert isinstance(local, pafs.LocalFileSystem) and local_path == "/tmp/x.parquet"


# --- the resumable stream (a fake body stands in for a dropped connection) ---------------------

class _FlakyBody:
    """A body that breaks after ``fail_after`` bytes, as a reset connection does."""

    def __init__(self, data: bytes, offset: int, fail_after: int | None, error=ConnectionError):
        self._stream, self._left, self._error = io.BytesIO(data[offset:]), fail_after, error

    def read(self, n: int) -> bytes:
        if self._left is not None and self._left <= 0:
            raise self._error("connection reset by peer")
        if self._left is not None:
            n = min(n, self._left)
            self._left -= n
        return self._stream.read(n)

    def close(self):
        pass


def _reader(data: bytes, failures: list, max_attempts: int = 3) -> io.BufferedReader:
    opened = []

    def reopen(offset):
        opened.append(offset)
        return _FlakyBody(data, offset, failures.pop(0) if failures else None)

    raw = ResumableReader("s3://b/k", reopen(0), len(data), reopen, (ConnectionError,),
                          max_attempts, backoff=lambda attempt: 0.0)
    raw.opened = opened
    return io.BufferedReader(raw, buffer_size=1000)


def test_resumable_reader_resumes_at_the_offset_reached():
    data = os.urandom(10_000)
    stream = _reader(data, failures=[3000, 2500])
    assert stream.read() == data
    assert stream.raw.opened == [0, 3000, 5500]


def test_resumable_reader_gives_up_with_an_error_not_a_short_read():
    data = os.urandom(10_000)
    stream = _reader(data, failures=[100, 0, 0, 0, 0], max_attempts=3)
    with pytest.raises(OSError, match="failed at byte 100"):
        stream.read()


def test_resumable_reader_treats_an_early_end_as_a_drop():
    data = os.urandom(5000)
    first = io.BytesIO(data[:2000])  # the first response ends early, without an error

    def reopen(offset):
        return io.BytesIO(data[offset:])

    raw = ResumableReader("x", first, len(data), reopen, (ConnectionError,), 3,
                          backoff=lambda attempt: 0.0)
    assert io.BufferedReader(raw).read() == data


# --- local files -------------------------------------------------------------------------------

def test_local_round_trip(tmp_path):
    storage = st.StorageConfig()
    base = f"file://{tmp_path}/out"
    st.write_bytes(st.join_uri(base, "a/x.json"), b"one", storage)
    st.write_bytes(str(tmp_path / "out/a/x.json"), b"two", storage)  # replaces atomically
    st.write_bytes(str(tmp_path / "out/b.txt"), b"three", storage)
    assert st.read_bytes(str(tmp_path / "out/a/x.json"), storage) == b"two"
    assert sorted(os.listdir(tmp_path / "out/a")) == ["x.json"]  # no temp file left behind
    assert st.exists(base, storage) and st.exists(f"{base}/b.txt", storage)
    assert st.file_size(f"{base}/b.txt", storage) == 5
    assert st.list_files(base, storage) == [f"{base}/a/x.json", f"{base}/b.txt"]
    assert st.list_files(base, storage, recursive=False) == [f"{base}/b.txt"]
    assert st.list_files(f"{base}/b.txt", storage) == [f"{base}/b.txt"]
    assert st.list_files(f"{base}/missing", storage) == []
    st.delete(f"{base}/b.txt", storage)
    st.delete(f"{base}/b.txt", storage)  # already gone: fine
    st.delete_prefix(base, storage)
    assert not st.exists(base, storage)
    with pytest.raises(ValueError, match="refusing"):
        st.delete_prefix("/", storage)


def test_open_input_streams_local_gzip(shared_data):
    path = shared_data / "warc/cc/CC-MAIN-2016-50-sample.warc.wet.gz"
    with st.open_input(str(path), st.StorageConfig()) as raw, gzip.GzipFile(fileobj=raw) as text:
        assert text.read(8) == b"WARC/1.0"


# --- S3 (moto's server, a real S3 API over HTTP) -----------------------------------------------

def test_s3_round_trip(s3_server, s3_bucket):
    storage = s3_server.storage
    base = f"s3://{s3_bucket}/out"
    st.write_bytes(f"{base}/a/x.json", b"one", storage)
    st.write_bytes(f"{base}/a/x.json", b"two", storage)
    st.write_bytes(f"{base}/b.txt", b"three", storage)
    st.write_bytes(f"s3://{s3_bucket}/outside/c.txt", b"keep", storage)
    s3_server.client().put_object(Bucket=s3_bucket, Key="out/dir-marker/", Body=b"")
    assert st.read_bytes(f"{base}/a/x.json", storage) == b"two"
    assert st.exists(f"{base}/b.txt", storage) and st.exists(base, storage)
    assert st.exists(f"{base}/a", storage) and not st.exists(f"{base}/zzz", storage)
    assert st.file_size(f"{base}/b.txt", storage) == 5
    assert st.list_files(base, storage) == [f"{base}/a/x.json", f"{base}/b.txt"]
    assert st.list_files(base, storage, recursive=False) == [f"{base}/b.txt"]
    assert st.list_files(f"{base}/b.txt", storage) == [f"{base}/b.txt"]
    st.makedirs(base)  # no-op on S3
    st.delete(f"{base}/b.txt", storage)
    assert not st.exists(f"{base}/b.txt", storage)
    st.delete_prefix(base, storage)
    assert s3_server.keys(s3_bucket) == ["outside/c.txt"]
    with pytest.raises(ValueError, match="refusing"):
        st.delete_prefix(f"s3://{s3_bucket}/", storage)
    with pytest.raises(st.UnsupportedURIError):
        st.write_bytes("https://example.org/x", b"", storage)


def test_s3_listing_and_deleting_past_one_page(s3_server, s3_bucket):
    from concurrent.futures import ThreadPoolExecutor

    client, storage = s3_server.client(), s3_server.storage
    keys = [f"many/{i:05d}.txt" for i in range(1005)]
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda key: client.put_object(Bucket=s3_bucket, Key=key, Body=b""), keys))
    listed = st.list_files(f"s3://{s3_bucket}/many", storage)
    assert listed == [f"s3://{s3_bucket}/{key}" for key in keys]
    st.delete_prefix(f"s3://{s3_bucket}/many/", storage)
    assert s3_server.keys(s3_bucket) == []


def test_s3_open_input_streams_without_loading_the_object(s3_server, s3_bucket):
    storage = s3_server.storage
    data = os.urandom(24 * MIB)
    s3_server.client().put_object(Bucket=s3_bucket, Key="big.bin", Body=data)
    digest = hashlib.sha256()
    tracemalloc.start()
    with st.open_input(f"s3://{s3_bucket}/big.bin", storage) as stream:
        while chunk := stream.read(256 * 1024):
            digest.update(chunk)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert digest.digest() == hashlib.sha256(data).digest()
    assert peak < 8 * MIB, f"peak Python allocation {peak / MIB:.1f} MiB"


def test_s3_stream_resumes_after_the_connection_drops(s3_server, s3_bucket):
    storage = s3_server.storage
    data = os.urandom(6 * MIB)
    s3_server.client().put_object(Bucket=s3_bucket, Key="drop.bin", Body=data)
    with st.open_input(f"s3://{s3_bucket}/drop.bin", storage) as stream:
        resumed_at = []
        reopen = stream.raw._reopen
        stream.raw._reopen = lambda offset: resumed_at.append(offset) or reopen(offset)
        head = stream.read(MIB + 17)
        stream.raw._body._raw_stream.close()  # the connection goes away mid-object
        assert head + stream.read() == data
    assert len(resumed_at) == 1 and 0 < resumed_at[0] < len(data)


def test_s3_gzip_and_warc_reading_match_local(s3_server, s3_bucket, shared_data):
    from warcio.archiveiterator import ArchiveIterator

    path = shared_data / "warc/cc/CC-MAIN-2020-34-sample.warc.gz"
    uri = f"s3://{s3_bucket}/crawl/{path.name}"
    st.write_bytes(uri, path.read_bytes(), s3_server.storage)

    def record_types(stream):
        return [record.rec_type for record in ArchiveIterator(stream)]

    with st.open_input(uri, s3_server.storage) as remote, open(path, "rb") as local:
        assert record_types(remote) == record_types(local)
    assert len(record_types(open(path, "rb"))) == 50


def test_s3_missing_object_raises(s3_server, s3_bucket):
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError):
        st.open_input(f"s3://{s3_bucket}/nope.warc.gz", s3_server.storage)
    with pytest.raises(FileNotFoundError):
        st.file_size(f"s3://{s3_bucket}/nope.warc.gz", s3_server.storage)


# --- HTTP (a loopback server over a temporary directory) ---------------------------------------

@pytest.fixture
def http_dir(tmp_path):
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_http_reads(http_dir):
    root, url = http_dir
    data = os.urandom(3 * MIB)
    (root / "x.bin").write_bytes(data)
    storage = st.StorageConfig(max_attempts=2)
    with st.open_input(f"{url}/x.bin", storage) as stream:
        assert stream.read() == data
    assert st.read_bytes(f"{url}/x.bin", storage) == data
    assert st.exists(f"{url}/x.bin", storage) and not st.exists(f"{url}/nope", storage)
    assert st.file_size(f"{url}/x.bin", storage) == len(data)


def test_commoncrawl_without_credentials_reads_through_its_https_endpoint():
    from webcurate.io.clients import public_https_url

    auto = st.StorageConfig()
    key = "crawl-data/CC-MAIN-2024-22/warc.paths.gz"
    assert public_https_url("commoncrawl", key, auto, have_credentials=False) == (
        "https://data.commoncrawl.org/crawl-data/CC-MAIN-2024-22/warc.paths.gz")
    # Credentials, an explicit anonymity choice, a custom endpoint, or another bucket: S3.
    assert public_https_url("commoncrawl", key, auto, have_credentials=True) is None
    assert public_https_url("commoncrawl", key, st.StorageConfig(anonymous=True), False) is None
    assert public_https_url("commoncrawl", key, st.StorageConfig(endpoint_url="http://127.0.0.1:1"),
                            False) is None
    assert public_https_url("my-bucket", key, auto, have_credentials=False) is None


def test_local_copy_fetches_once_per_object_version(s3_server, tmp_path):
    bucket = s3_server.make_bucket()
    uri = f"s3://{bucket}/models/m.bin"
    st.write_bytes(uri, b"first model", s3_server.storage)
    cache = str(tmp_path / "cache")
    first = st.local_copy(uri, s3_server.storage, cache_dir=cache)
    assert open(first, "rb").read() == b"first model"
    assert st.local_copy(uri, s3_server.storage, cache_dir=cache) == first  # cached
    st.write_bytes(uri, b"retrained model", s3_server.storage)  # same key, new object
    second = st.local_copy(uri, s3_server.storage, cache_dir=cache)
    assert second != first and open(second, "rb").read() == b"retrained model"
    local = tmp_path / "local.bin"
    local.write_bytes(b"x")
    assert st.local_copy(str(local), s3_server.storage) == str(local)

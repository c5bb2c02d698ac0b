"""The storage interface's choices: which backend serves a URI, which Parquet writer and reader a
dataset gets (``storage.s3_writer``), the Hadoop adapter, and S3's lease and copy primitives.

The pyspark wheel here has no s3a/EMRFS filesystem, so ``storage.s3_writer: spark`` is tested
for its routing only (fakes record which writer or reader is called); Spark's writer path itself
runs on local paths in ``test_datasets.py``/``test_routed.py``. S3 primitives run on moto's
server; the Hadoop adapter runs for real against Spark's Hadoop LocalFileSystem (``file://``).
"""

from __future__ import annotations

import types

import pytest

from webcurate.config import ConfigError, build
from webcurate.io import datasets, fs, fs_arrow, hadoop, routed
from webcurate.io import storage as st

PYTHON = st.StorageConfig()
SPARK = st.StorageConfig(s3_writer="spark")


# --- which writer ------------------------------------------------------------------------------

@pytest.mark.parametrize("uri, default, with_spark", [
    ("s3://b/out", "python", "spark"),
    ("s3a://b/out", "spark", "spark"),
    ("s3n://b/out", "spark", "spark"),
    ("/local/out", "spark", "spark"),
    ("file:///local/out", "spark", "spark"),
    ("hdfs://nn:8020/out", "spark", "spark"),
    ("gs://b/out", "python", "python"),  # this Spark has no Google connector
])
def test_parquet_writer_by_uri_and_setting(uri, default, with_spark):
    assert st.parquet_writer(uri, PYTHON) == default
    assert st.parquet_writer(uri, SPARK) == with_spark
    assert st.uses_spark_writer(uri, SPARK) == (with_spark == "spark")
    assert st.uses_spark_writer(uri) == (default == "spark")  # no settings: the default


def test_s3_writer_is_checked_at_load():
    assert build(st.StorageConfig, {"s3_writer": "spark"}) == SPARK
    with pytest.raises(ConfigError, match="s3_writer") as err:
        build(st.StorageConfig, {"s3_writer": "emrfs"})
    assert "\n" not in str(err.value)


class _Recorder:
    """A stand-in for a DataFrame or SparkSession that records which path a write or read
    took; nothing here runs Spark."""

    def __init__(self):
        self.calls = []
        self.sparkSession = self
        self.conf = types.SimpleNamespace(get=lambda key, default=None: default)
        self.read = types.SimpleNamespace(
            parquet=lambda *uris: self.calls.append(("spark.read.parquet", uris)) or "frame")


@pytest.mark.parametrize("storage, expected", [(SPARK, "spark"), (PYTHON, "python")])
def test_write_dataset_files_routes_s3_by_setting(monkeypatch, storage, expected):
    df = _Recorder()
    monkeypatch.setattr(datasets, "_write_with_spark",
                        lambda d, uri, prefix: d.calls.append(("spark", uri)) or [uri])
    monkeypatch.setattr(datasets, "_files_of", lambda *a: [])
    monkeypatch.setattr(datasets.s3_parquet, "register",
                        lambda spark: spark.calls.append(("python", None)))
    if expected == "python":  # the Python Data Source path reaches df.write: stop it there
        monkeypatch.setattr(_Recorder, "write", property(lambda self: (_ for _ in ()).throw(
            RuntimeError("python writer"))), raising=False)
        monkeypatch.setattr(datasets, "_wait_for_running_stages", lambda spark: None)
        monkeypatch.setattr(datasets.s3_parquet, "clear_staging", lambda *a: None)
        monkeypatch.setattr(datasets, "STRAGGLER_GRACE_S", 0)
        with pytest.raises(RuntimeError, match="python writer"):
            datasets.write_dataset_files(df, "s3://b/out", "b1", storage)
    else:
        assert datasets.write_dataset_files(df, "s3://b/out/", "b1", storage) == ["s3://b/out"]
    assert df.calls[0][0] == expected


def test_read_parquet_uses_spark_reader_for_s3_with_spark_setting(monkeypatch):
    spark = _Recorder()
    monkeypatch.setattr(datasets, "list_dataset_files", lambda uri, storage: [f"{uri}/x.parquet"])
    assert datasets.read_parquet(spark, ["s3://b/a", "s3a://b/c"], SPARK) == "frame"
    assert spark.calls == [("spark.read.parquet", ("s3://b/a", "s3a://b/c"))]
    with pytest.raises(datasets.InputError, match="Python Data Source"):
        datasets.read_parquet(spark, ["s3://b/a", "s3a://b/c"], PYTHON)  # two readers: refused


def test_routed_write_routes_by_setting(monkeypatch):
    df = _Recorder()
    monkeypatch.setattr(routed, "_write_with_spark", lambda *a: "spark")
    monkeypatch.setattr(routed, "_write_s3", lambda *a: "python")
    routes = {0: "s3://b/kept", 1: "s3a://b/rejected"}
    assert routed.write_routed_datasets(df, "route", routes, "b1", SPARK) == "spark"
    assert routed.write_routed_datasets(df, "route", {0: "s3://b/k"}, "b1", PYTHON) == "python"
    with pytest.raises(ValueError, match="all written by Spark or all"):
        routed.write_routed_datasets(df, "route", routes, "b1", PYTHON)


# --- which backend -----------------------------------------------------------------------------

def test_backends_by_scheme(tmp_path):
    assert st.backend(str(tmp_path)).name == "local"
    assert st.backend("file:///tmp").name == "local"
    assert st.backend("s3://b/k", PYTHON).name == st.backend("s3a://b/k").name == "s3"
    assert st.backend("https://example.org/x").name == "http"
    assert st.backend("gs://b/k", st.StorageConfig(anonymous=True)).name == "gcs"
    with pytest.raises(st.UnsupportedURIError, match="read-only"):
        st.write_bytes("https://example.org/x", b"", PYTHON)


def test_hdfs_without_libhdfs_falls_back_to_spark_hadoop(spark):
    """No libhdfs here: pyarrow cannot reach hdfs://, so the driver's Spark serves it."""
    if fs_arrow.libhdfs_backend("hdfs", "localhost:1", PYTHON) is not None:
        pytest.skip("libhdfs loads on this machine")
    assert hadoop.has_scheme("hdfs", spark) and not hadoop.has_scheme("nosuchfs", spark)
    assert st.backend("hdfs://localhost:1/out", PYTHON).name == "hadoop"
    with pytest.raises(st.UnsupportedURIError, match="no storage backend serves nosuchfs"):
        st.exists("nosuchfs://x/y", PYTHON)


def test_a_registered_factory_comes_first_and_goes(tmp_path):
    marker = fs_arrow.LocalBackend()
    marker.name = "registered"

    def factory(scheme, netloc, storage):
        return marker

    fs.register("file", factory, first=True)
    try:
        assert st.backend(str(tmp_path)) is marker
    finally:
        fs.unregister("file", factory)
    assert st.backend(str(tmp_path)).name == "local"


def test_hadoop_backend_round_trip(spark, tmp_path):
    """The py4j adapter for real, on Spark's Hadoop LocalFileSystem."""
    backend = hadoop.HadoopBackend(spark, "file:///")
    base = f"file://{tmp_path}/out"
    backend.write_bytes(f"{base}/a/x.json", b"one")
    backend.write_bytes(f"{base}/a/x.json", b"two")
    backend.write_bytes(f"{base}/part-1", b"p1")
    assert backend.read_bytes(f"{base}/a/x.json") == b"two"
    assert backend.open_input(f"{base}/part-1").read() == b"p1"
    assert backend.exists(base) and not backend.exists(f"{base}/zzz")
    assert backend.file_size(f"{base}/part-1") == 2
    assert backend.list_files(base) == [f"{base}/a/x.json", f"{base}/part-1"]
    assert backend.list_files(base, recursive=False) == [f"{base}/part-1"]
    assert backend.list_files(f"{base}/zzz") == []
    assert backend.list_names_starting(base, "part-") == [f"{base}/part-1"]
    backend.copy(f"{base}/part-1", f"{base}/b/copy")
    assert backend.read_bytes(f"{base}/b/copy") == b"p1"
    backend.delete_many([f"{base}/part-1"])
    backend.delete_prefix(f"{base}/a")
    assert backend.list_files(base) == [f"{base}/b/copy"]
    assert backend.lease is None


# --- S3 primitives (moto) ----------------------------------------------------------------------

def test_s3_lease_is_a_conditional_put(s3_server, s3_bucket):
    storage = s3_server.storage
    uri = f"s3://{s3_bucket}/out/_lock.json"
    lease = st.lease_store(uri, storage)
    token = lease.create(uri, b"first")
    assert token and lease.create(uri, b"second") is None
    current = lease.read(uri)
    assert (current.body, current.token) == (b"first", token)
    assert lease.replace(uri, b"stale", '"not-the-etag"') is None
    renewed = lease.replace(uri, b"renewed", token)
    assert renewed and lease.read(uri).body == b"renewed"
    lease.delete(uri)
    assert lease.read(uri) is None


def test_s3_copy_and_clear_uploads(s3_server, s3_bucket):
    storage, client = s3_server.storage, s3_server.client()
    st.write_bytes(f"s3://{s3_bucket}/a/x", b"data", storage)
    st.copy(f"s3://{s3_bucket}/a/x", f"s3://{s3_bucket}/b/y", storage)
    assert st.read_bytes(f"s3://{s3_bucket}/b/y", storage) == b"data"
    client.create_multipart_upload(Bucket=s3_bucket, Key="out/_staging/b1/part-0")
    client.create_multipart_upload(Bucket=s3_bucket, Key="elsewhere/part-0")
    st.clear_uploads(f"s3://{s3_bucket}/out/_staging/b1", storage)
    left = client.list_multipart_uploads(Bucket=s3_bucket).get("Uploads", [])
    assert [u["Key"] for u in left] == ["elsewhere/part-0"]

"""``gs://`` through the storage interface, against a local double of Google Cloud Storage.

No GCS server (nor emulator) can run here, so these tests register, for the ``gs`` scheme, the
generic :class:`~webcurate.io.fs_arrow.ArrowBackend` over a *double*: a pyarrow ``PyFileSystem``
that keeps objects in a temporary directory (a ``SubTreeFileSystem`` over ``LocalFileSystem``)
and behaves like an object store where it matters (a write needs no parent directory, a prefix
disappears with its last object). What they prove is that every storage function, input
resolution and the Python Data Source's commit protocol work on a scheme served by an Arrow
filesystem with bucket-style paths; pyarrow's own ``GcsFileSystem`` (what ``gs://`` uses for
real) is only constructed, never talked to. The same code against real S3 runs on moto's
server in ``test_storage.py`` and ``test_datasets.py``.
"""

from __future__ import annotations

import gzip

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pyarrow import fs as pafs

from webcurate.io import fs, fs_arrow, s3_parquet
from webcurate.io import storage as st
from webcurate.io.inputs import resolve_inputs
from webcurate.lock import OutputLock

STORAGE = st.StorageConfig()


class ObjectStoreDouble(pafs.FileSystemHandler):
    """Objects as files under a local root; directories are implied by the keys under them."""

    def __init__(self, root: str):
        self.local = pafs.SubTreeFileSystem(root, pafs.LocalFileSystem())

    def _parent(self, path: str) -> None:
        if "/" in path.strip("/"):
            self.local.create_dir(path.rstrip("/").rsplit("/", 1)[0], recursive=True)

    def _prune(self, path: str) -> None:
        """Remove directories left empty, as an object store's prefix vanishes."""
        while "/" in path.strip("/"):
            path = path.rstrip("/").rsplit("/", 1)[0]
            if self.local.get_file_info(pafs.FileSelector(path, allow_not_found=True)):
                return
            self.local.delete_dir(path)

    def get_type_name(self):
        return "gcs-double"

    def normalize_path(self, path):
        return path

    def equals(self, other):
        return other is self

    def get_file_info(self, paths):
        return self.local.get_file_info(paths)

    def get_file_info_selector(self, selector):
        return self.local.get_file_info(selector)

    def create_dir(self, path, recursive):
        pass

    def delete_dir(self, path):
        self.local.delete_dir(path)
        self._prune(path)

    def delete_dir_contents(self, path, missing_dir_ok=False):
        self.local.delete_dir_contents(path, missing_dir_ok=missing_dir_ok)

    def delete_root_dir_contents(self):
        self.local.delete_dir_contents("", accept_root_dir=True)

    def delete_file(self, path):
        self.local.delete_file(path)
        self._prune(path)

    def move(self, src, dest):
        self._parent(dest)
        self.local.move(src, dest)
        self._prune(src)

    def copy_file(self, src, dest):
        self._parent(dest)
        self.local.copy_file(src, dest)

    def open_input_stream(self, path):
        return self.local.open_input_stream(path, compression=None)

    def open_input_file(self, path):
        return self.local.open_input_file(path)

    def open_output_stream(self, path, metadata):
        self._parent(path)
        return self.local.open_output_stream(path, compression=None)

    def open_append_stream(self, path, metadata):
        raise NotImplementedError("object stores do not append")


@pytest.fixture
def gcs_double(tmp_path):
    """Register the double for ``gs://`` (before pyarrow's GcsFileSystem) for one test."""
    filesystem = pafs.PyFileSystem(ObjectStoreDouble(str(tmp_path)))

    def factory(scheme, netloc, storage):
        return fs_arrow.ArrowBackend(filesystem, "gcs-double", object_store=True)

    fs.register("gs", factory, first=True)
    try:
        yield tmp_path
    finally:
        fs.unregister("gs", factory)


def test_gs_round_trip_through_every_storage_function(gcs_double, tmp_path):
    base = "gs://bucket/out"
    st.write_bytes(f"{base}/a/x.json", b"one", STORAGE)
    st.write_bytes(f"{base}/a/x.json", b"two", STORAGE)
    st.write_bytes(f"{base}/b.txt", b"three", STORAGE)
    st.write_bytes(f"{base}/part-1.json", b"p1", STORAGE)
    st.write_bytes(f"{base}/part-2.json", b"p2", STORAGE)
    st.write_bytes("gs://bucket/outside/c.txt", b"keep", STORAGE)
    assert (gcs_double / "bucket/out/a/x.json").read_bytes() == b"two"  # where the double keeps it
    assert st.read_bytes(f"{base}/a/x.json", STORAGE) == b"two"
    assert st.exists(f"{base}/b.txt", STORAGE) and st.exists(base, STORAGE)
    assert not st.exists(f"{base}/zzz", STORAGE)
    assert st.file_size(f"{base}/b.txt", STORAGE) == 5
    assert st.list_files(base, STORAGE) == [f"{base}/a/x.json", f"{base}/b.txt",
                                            f"{base}/part-1.json", f"{base}/part-2.json"]
    assert st.list_files(base, STORAGE, recursive=False) == [
        f"{base}/b.txt", f"{base}/part-1.json", f"{base}/part-2.json"]
    assert st.list_files(f"{base}/b.txt", STORAGE) == [f"{base}/b.txt"]
    assert st.list_files(f"{base}/missing", STORAGE) == []
    assert st.list_names_starting(base, "part-", STORAGE) == [f"{base}/part-1.json",
                                                             f"{base}/part-2.json"]
    assert st.list_names_starting(f"{base}/missing", "part-", STORAGE) == []
    st.copy(f"{base}/b.txt", f"{base}/copied/b.txt", STORAGE)
    assert st.read_bytes(f"{base}/copied/b.txt", STORAGE) == b"three"
    cached = st.local_copy(f"{base}/b.txt", STORAGE, cache_dir=str(tmp_path / "cache"))
    assert open(cached, "rb").read() == b"three"
    st.makedirs(f"{base}/nothing", STORAGE)  # no directories on an object store
    assert not st.exists(f"{base}/nothing", STORAGE)
    st.delete(f"{base}/b.txt", STORAGE)
    st.delete(f"{base}/b.txt", STORAGE)  # already gone: fine
    st.delete_objects([f"{base}/part-1.json", f"{base}/part-2.json"], STORAGE)
    st.delete_prefix(base, STORAGE)
    assert not st.exists(base, STORAGE)
    assert st.list_files("gs://bucket", STORAGE) == ["gs://bucket/outside/c.txt"]
    with pytest.raises(ValueError, match="refusing"):
        st.delete_prefix("gs://bucket/", STORAGE)


def test_gs_reads_stay_compressed_and_inputs_resolve(gcs_double):
    """A ``.gz`` object comes back as stored (the caller decompresses, as for S3); a directory,
    a glob and a manifest on gs:// resolve to the same file lists as elsewhere."""
    st.write_bytes("gs://crawl/wet/a.warc.wet.gz", gzip.compress(b"WARC/1.0 a"), STORAGE)
    st.write_bytes("gs://crawl/wet/b.warc.wet.gz", gzip.compress(b"WARC/1.0 b"), STORAGE)
    st.write_bytes("gs://crawl/wet/_staging/c.warc.wet.gz", b"hidden", STORAGE)
    st.write_bytes("gs://crawl/wet.paths", b"wet/a.warc.wet.gz\n", STORAGE)
    with st.open_input("gs://crawl/wet/a.warc.wet.gz", STORAGE) as raw:
        assert raw.peek(2)[:2] == b"\x1f\x8b"
        assert gzip.decompress(raw.read()) == b"WARC/1.0 a"
    both = ["gs://crawl/wet/a.warc.wet.gz", "gs://crawl/wet/b.warc.wet.gz"]
    assert resolve_inputs("gs://crawl/wet", STORAGE) == both
    assert resolve_inputs("gs://crawl/wet/*.gz", STORAGE) == both
    assert resolve_inputs("gs://crawl/wet.paths", STORAGE, manifest_base="gs://crawl/") == both[:1]


def test_python_writer_commit_protocol_on_gs(gcs_double):
    """What the Python Data Source's tasks and driver do, in one process: stream staging
    files through the backend's Arrow filesystem, commit (server-side copy to final names,
    stale files of the prefix removed, staging cleared), then read back."""
    dataset = "gs://bucket/docs"
    schema = pa.schema([pa.field("id", pa.int64()), pa.field("text", pa.string())])
    st.write_bytes(f"{dataset}/b1-00007.parquet", b"stale", STORAGE)
    st.write_bytes(f"{dataset}/b10-00000.parquet", b"another batch", STORAGE)
    staged = []
    for partition, rows in [(0, [1, 2]), (1, []), (2, [3])]:
        uri = st.join_uri(s3_parquet.staging_dir(dataset, "b1"), f"part-{partition:05d}-x.parquet")
        batch = pa.record_batch([pa.array(rows, pa.int64()), pa.array([f"t{r}" for r in rows])],
                                schema=schema)
        written = s3_parquet.write_parquet_stream(iter([batch]), uri, schema, STORAGE, "zstd")
        staged.append(s3_parquet.StagedFile(partition, uri if written else None,
                                            s3_parquet.final_name("b1", partition), written))
    finals = s3_parquet.commit_staged(dataset, "b1", staged, schema, STORAGE)
    assert finals == [f"{dataset}/b1-00000.parquet", f"{dataset}/b1-00002.parquet"]
    assert s3_parquet.list_parquet_files(dataset, STORAGE) == [*finals,
                                                               f"{dataset}/b10-00000.parquet"]
    assert not st.exists(st.join_uri(dataset, s3_parquet.STAGING_DIR), STORAGE)
    filesystem, path = st.arrow_filesystem(finals[0], STORAGE)
    assert pq.read_table(path, filesystem=filesystem).column("id").to_pylist() == [1, 2]
    empty = s3_parquet.commit_staged("gs://bucket/empty", "b1", [], schema, STORAGE)
    filesystem, path = st.arrow_filesystem(empty[0], STORAGE)
    assert pq.read_schema(path, filesystem=filesystem).names == ["id", "text"]


def test_gs_output_has_no_lease_and_goes_to_the_python_writer(gcs_double):
    """GCS has conditional writes, but pyarrow does not expose them: no lease on gs:// (the
    commit protocol alone guards it), and Parquet goes through the Python Data Source unless
    Spark has Google's connector (this pyspark wheel has none)."""
    assert st.lease_store("gs://bucket/out/_lock.json", STORAGE) is None
    with OutputLock("gs://bucket/out", STORAGE, job="test"):
        assert not st.exists("gs://bucket/out/_lock.json", STORAGE)
    assert st.parquet_writer("gs://bucket/out", STORAGE) == "python"


def test_real_gcs_factory_builds_pyarrow_gcs_filesystem():
    """Without the double, gs:// is pyarrow's GcsFileSystem (constructed only: no request)."""
    backend = fs_arrow.gcs_backend("gs", "bucket", st.StorageConfig(anonymous=True))
    assert backend.fs.type_name == "gcs"
    assert backend.arrow("gs://bucket/a/b.parquet")[1] == "bucket/a/b.parquet"
    assert backend.path("gs://bucket") == "bucket"

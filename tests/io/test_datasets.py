"""The dataset commit protocol with a real local Spark session, on local disk and on S3 (moto).

Every test runs against both back ends: Spark's writer + Hadoop renames (local) and the
``webcurate_s3_parquet`` data source (s3://). The session is ``local[2,4]``: failed tasks are
retried, which the retry tests rely on.
"""

from __future__ import annotations

import gzip
import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from webcurate.io import s3_parquet
from webcurate.io import storage as st
from webcurate.io.datasets import (
    delete_files,
    list_dataset_files,
    read_jsonl,
    read_parquet,
    write_dataset_files,
)
from webcurate.io.inputs import InputError

pytestmark = pytest.mark.spark

PREFIX = "part-0123456789abcdef"
ROWS = 200
PARTITIONS = 4


@dataclass
class Root:
    """Where a test writes, and a view of *everything* stored there (hidden files included)."""

    uri: str
    storage: st.StorageConfig
    listing: object

    def everything(self) -> list[str]:
        return self.listing()


@pytest.fixture(params=["local", "s3"])
def root(request, tmp_path) -> Root:
    if request.param == "local":
        base = tmp_path / "out"

        def local_listing():
            return sorted(str(p.relative_to(base)) for p in base.rglob("*"))

        return Root(str(base), st.StorageConfig(), local_listing)
    s3_server = request.getfixturevalue("s3_server")
    bucket = s3_server.make_bucket()
    return Root(f"s3://{bucket}/out", s3_server.storage,
                lambda: [k.removeprefix("out/") for k in s3_server.keys(bucket, "out/")])


def sample(spark, rows: int = ROWS, partitions: int = PARTITIONS):
    """Typed columns of the kinds the document schema has, with nulls and non-ASCII text."""
    return spark.range(0, rows, numPartitions=partitions).selectExpr(
        "id",
        "concat('doc ', cast(id as string), ' — ünïcödé') AS text",
        "IF(id % 7 = 0, NULL, id / 3.0) AS score",
        "CAST(id AS INT) AS http_status",
        "timestamp'2024-05-01 12:00:00' + make_interval(0, 0, 0, 0, 0, 0, id) AS warc_date",
        "array(cast(id as string), 'x') AS tags",
        "named_struct('url', concat('https://e.org/', id), 'bytes', id * 10) AS meta",
    )


def rows_of(df) -> list[tuple]:
    return sorted(tuple(row) for row in df.collect())


def names(uris: list[str]) -> list[str]:
    return [u.rsplit("/", 1)[-1] for u in uris]


def data_files(root: Root) -> list[str]:
    """Stored names that are not Hadoop checksums."""
    return [n for n in root.everything() if not n.endswith(".crc")]


def fail_partition(partition: int, marker: Path, every_attempt: bool = False):
    """A mapInArrow body that, for one partition, yields a batch and then fails (first attempt
    only, unless ``every_attempt``); it leaves ``marker`` behind to prove it failed."""

    def run(batches):
        from pyspark import TaskContext

        context = TaskContext.get()
        doomed = context.partitionId() == partition and (
            every_attempt or context.attemptNumber() == 0)
        for batch in batches:
            yield batch
            if doomed:
                marker.touch()
                raise RuntimeError("injected task failure")

    return run


def test_storage_settings_survive_the_trip_through_string_options():
    storage = st.StorageConfig(endpoint_url="http://minio:9000", anonymous=False, max_attempts=3,
                               read_timeout_s=5.5)
    options = s3_parquet.storage_options(storage)
    assert all(isinstance(v, str) for v in options.values()) and "region" not in options
    assert s3_parquet.storage_from_options(options) == storage


def test_final_names_belong_to_exactly_one_prefix():
    assert s3_parquet.final_name("part-ab", 3) == "part-ab-00003.parquet"
    assert s3_parquet.is_final_name_of("part-ab-00003.parquet", "part-ab")
    assert not s3_parquet.is_final_name_of("part-abc-00003.parquet", "part-ab")
    assert not s3_parquet.is_final_name_of("part-ab-00003.parquet", "part-abc")
    assert not s3_parquet.is_final_name_of(".part-ab-00003.parquet.crc", "part-ab")


def test_conform_batch_gives_spark_exactly_the_declared_types():
    import pyarrow as pa

    target = pa.schema([pa.field("id", pa.int64()), pa.field("ts", pa.timestamp("us", "UTC")),
                        pa.field("added_later", pa.string())])
    old = pa.record_batch({"ts": pa.array([0], pa.timestamp("us", "Etc/UTC")),
                           "id": pa.array([1], pa.int32())})
    conformed = s3_parquet.conform_batch(old, target)
    assert conformed.schema.equals(target)
    assert conformed.to_pylist()[0]["id"] == 1 and conformed.column(2).null_count == 1


def test_write_then_read_back(spark, root):
    df = sample(spark)
    written = write_dataset_files(df, root.uri, PREFIX, root.storage)
    assert names(written) == [f"{PREFIX}-{i:05d}.parquet" for i in range(PARTITIONS)]
    assert list_dataset_files(root.uri, root.storage) == written
    assert data_files(root) == names(written)  # no _staging/, no _SUCCESS left behind
    back = read_parquet(spark, root.uri, root.storage)
    assert back.schema.fieldNames() == df.schema.fieldNames()
    assert rows_of(back) == rows_of(df)


def test_rewriting_a_prefix_replaces_its_files_only(spark, root):
    other = write_dataset_files(sample(spark, 10, 1), root.uri, "part-ffffffffffffffff",
                                root.storage)
    write_dataset_files(sample(spark), root.uri, PREFIX, root.storage)
    again = write_dataset_files(sample(spark).coalesce(2), root.uri, PREFIX, root.storage)
    assert names(again) == [f"{PREFIX}-00000.parquet", f"{PREFIX}-00001.parquet"]
    assert list_dataset_files(root.uri, root.storage) == sorted(again + other)
    assert read_parquet(spark, root.uri, root.storage).count() == ROWS + 10


def seed_orphans(root: Root, request) -> None:
    """What a killed earlier attempt leaves in staging: a finished object, and on S3 also an
    unfinished multipart upload."""
    orphan = st.join_uri(root.uri, "_staging", PREFIX, "part-00001-0badc0de.parquet")
    st.write_bytes(orphan, b"not parquet", root.storage)
    if st.is_s3(root.uri):
        _, bucket, key = st.split_uri(orphan)
        request.getfixturevalue("s3_server").client().create_multipart_upload(
            Bucket=bucket, Key=key.replace("0badc0de", "0ddba11"))


def test_a_retried_task_commits_its_rows_once(spark, root, tmp_path, request):
    df = sample(spark)
    seed_orphans(root, request)
    marker = tmp_path / "failed-once"
    flaky = df.mapInArrow(fail_partition(1, marker), df.schema)
    written = write_dataset_files(flaky, root.uri, PREFIX, root.storage)
    assert marker.exists(), "the injected failure did not happen"
    assert names(written) == [f"{PREFIX}-{i:05d}.parquet" for i in range(PARTITIONS)]
    assert data_files(root) == names(written)  # the failed attempt's staging file is gone
    assert unfinished_uploads(root, request) == []
    assert rows_of(read_parquet(spark, root.uri, root.storage)) == rows_of(df)


def unfinished_uploads(root: Root, request) -> list[str]:
    if not st.is_s3(root.uri):
        return []
    bucket = st.split_uri(root.uri)[1]
    client = request.getfixturevalue("s3_server").client()
    return [u["Key"] for u in client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])]


def test_a_failed_job_commits_nothing(spark, root, tmp_path, request):
    df = sample(spark)
    seed_orphans(root, request)
    marker = tmp_path / "failed"
    broken = df.mapInArrow(fail_partition(1, marker, every_attempt=True), df.schema)
    with pytest.raises(Exception, match="injected task failure"):
        write_dataset_files(broken, root.uri, PREFIX, root.storage)
    assert marker.exists()
    assert list_dataset_files(root.uri, root.storage) == []
    assert data_files(root) == []  # staging objects of every attempt were removed
    assert unfinished_uploads(root, request) == []


def test_an_empty_write_keeps_the_schema(spark, root):
    empty = sample(spark).where("id < 0")
    written = write_dataset_files(empty, root.uri, PREFIX, root.storage)
    assert names(written) == [f"{PREFIX}-00000.parquet"]
    back = read_parquet(spark, root.uri, root.storage)
    assert back.count() == 0
    assert back.schema.fieldNames() == empty.schema.fieldNames()


def test_read_parquet_of_several_datasets_and_single_files(spark, root):
    first, second = st.join_uri(root.uri, "a"), st.join_uri(root.uri, "b")
    write_dataset_files(sample(spark, 30, 2), first, PREFIX, root.storage)
    one_file = write_dataset_files(sample(spark, 20, 1), second, PREFIX, root.storage)[0]
    assert read_parquet(spark, [first, second], root.storage).count() == 50
    assert read_parquet(spark, one_file, root.storage).count() == 20
    with pytest.raises(InputError, match="no Parquet files"):
        read_parquet(spark, [first, st.join_uri(root.uri, "empty")], root.storage)


def test_reading_a_dataset_without_files_is_an_input_error(spark, root):
    with pytest.raises(InputError, match="no Parquet files"):
        read_parquet(spark, st.join_uri(root.uri, "nothing"), root.storage)


def test_delete_files_takes_local_checksums_along(spark, tmp_path):
    written = write_dataset_files(sample(spark, 10, 2), str(tmp_path), PREFIX, st.StorageConfig())
    assert any(n.endswith(".crc") for n in os.listdir(tmp_path))
    delete_files(written, st.StorageConfig())
    assert os.listdir(tmp_path) == []


# --- JSONL -------------------------------------------------------------------------------------

def test_read_jsonl_local_and_s3_agree(spark, s3_server, s3_bucket, shared_data):
    path = shared_data / "text/cc/CC-MAIN-2019-30-697docs.jsonl.gz"
    uri = f"s3://{s3_bucket}/docs/{path.name}"
    st.write_bytes(uri, path.read_bytes(), s3_server.storage)
    local = read_jsonl(spark, str(path), st.StorageConfig())
    remote = read_jsonl(spark, f"s3://{s3_bucket}/docs/", s3_server.storage)
    assert remote.schema == local.schema
    assert remote.count() == local.count() == 697
    assert rows_of(remote.select("id", "text")) == rows_of(local.select("id", "text"))


def test_read_jsonl_marks_malformed_lines_on_both_paths(spark, s3_server, s3_bucket, tmp_path):
    """PERMISSIVE, never silent: an invalid line is one marked row, a value that does not fit
    is null in a kept, marked row, a key the schema lacks marks its row (kept)."""
    lines = ['{"id": 1, "text": "a"}', "{not json", '{"id": "x", "text": "b"}', "[1, 2]", "",
             '{"id": 3, "text": "c", "extra": true}']
    path = tmp_path / "docs.jsonl.gz"
    path.write_bytes(gzip.compress("\n".join(lines).encode()))
    uri = f"s3://{s3_bucket}/docs.jsonl.gz"
    st.write_bytes(uri, path.read_bytes(), s3_server.storage)
    schema = "id long, text string"
    expected = [(1, "a", 0, None), (None, None, 1, "invalid_json"), (None, "b", 2, "unfit_fields"),
                (None, None, 3, "invalid_json"), (3, "c", 5, "unfit_fields")]
    for df, source in ((read_jsonl(spark, str(path), st.StorageConfig(), schema=schema), str(path)),
                       (read_jsonl(spark, uri, s3_server.storage, schema), uri)):
        rows = df.select("id", "text", "_source_row", "_malformed.reason",
                         "_source_file").collect()
        assert sorted((tuple(r)[:4] for r in rows), key=lambda r: r[2]) == expected
        assert {r["_source_file"] for r in rows} == {source}


def test_read_jsonl_reads_zstd_locally_and_on_s3(spark, s3_server, s3_bucket, shared_data,
                                                 tmp_path):
    """``.jsonl.zst`` was accepted as a document file but unreadable (Spark has no zstd codec
    without Hadoop's native one; the remote reader only knew gzip)."""
    import zstandard

    path = shared_data / "text/cc/CC-MAIN-2019-30-697docs.jsonl.gz"
    packed = zstandard.ZstdCompressor().compress(gzip.decompress(path.read_bytes()))
    local = tmp_path / "docs.jsonl.zst"
    local.write_bytes(packed)
    uri = f"s3://{s3_bucket}/docs/docs.jsonl.zst"
    st.write_bytes(uri, packed, s3_server.storage)
    reference = rows_of(read_jsonl(spark, str(path), st.StorageConfig()).select("id", "text"))
    assert len(reference) == 697
    for df in (read_jsonl(spark, str(local), st.StorageConfig()),
               read_jsonl(spark, uri, s3_server.storage)):
        assert rows_of(df.select("id", "text")) == reference
        assert df.where("_malformed IS NOT NULL").count() == 0


def test_remote_jsonl_schema_comes_from_every_file_and_no_row_is_lost(spark, s3_server,
                                                                      s3_bucket):
    """The schema used to come from the first 1,000 lines of the first file, and rows of later
    files that did not fit it were dropped without a word."""
    from webcurate.documents import malformed_stats, read_documents, well_formed

    first = [{"text": f"doc {i}", "score": i} for i in range(1200)]
    second = [{"text": "late", "score": "high", "lang": "fr"},
              {"text": "later", "score": 2.5, "lang": "de"}]
    bucket = f"s3://{s3_bucket}/in"
    st.write_bytes(f"{bucket}/a.jsonl.gz", gzip.compress(
        "".join(json.dumps(r) + "\n" for r in first).encode()), s3_server.storage)
    st.write_bytes(f"{bucket}/b.jsonl", ("".join(json.dumps(r) + "\n" for r in second)
                                         + "{truncated json\n").encode(), s3_server.storage)
    docs = read_documents(spark, bucket, s3_server.storage)
    assert docs.count() == 1202
    assert {"lang", "score"} <= set(docs.columns) and "_malformed" not in docs.columns
    late = {r["text"]: (r["score"], r["lang"]) for r in docs.where("lang IS NOT NULL").collect()}
    assert late == {"late": ("high", "fr"), "later": ("2.5", "de")}
    assert docs.where("text = 'doc 7'").first()["score"] == "7"  # merged type: string

    marked = read_document_files_kept(spark, bucket, s3_server.storage)
    stats = malformed_stats(marked)
    assert stats["malformed_rows"] == 1 and stats["malformed_by_reason"] == {"invalid_json": 1}
    assert stats["malformed_examples"]["invalid_json"]["source_file"] == f"{bucket}/b.jsonl"
    assert stats["malformed_examples"]["invalid_json"]["source_row"] == 2
    assert well_formed(marked).count() == 1202


def read_document_files_kept(spark, spec, storage):
    from webcurate.documents import document_files, read_document_files

    return read_document_files(spark, document_files(spec, storage), storage,
                               keep_malformed=True)


def test_a_truncated_file_is_recorded_and_the_read_goes_on(spark, s3_server, s3_bucket,
                                                           shared_data):
    from webcurate.documents import malformed_stats

    path = shared_data / "text/cc/CC-MAIN-2019-30-697docs.jsonl.gz"
    whole = path.read_bytes()
    st.write_bytes(f"s3://{s3_bucket}/in/a.jsonl.gz", whole, s3_server.storage)
    st.write_bytes(f"s3://{s3_bucket}/in/b.jsonl.gz", whole[:len(whole) // 2], s3_server.storage)
    marked = read_document_files_kept(spark, f"s3://{s3_bucket}/in/", s3_server.storage)
    stats = malformed_stats(marked)
    assert stats["malformed_by_reason"] == {"unreadable_file": 1}
    example = stats["malformed_examples"]["unreadable_file"]
    assert example["source_file"] == f"s3://{s3_bucket}/in/b.jsonl.gz"
    assert "EOFError" in example["detail"]
    partial = marked.where("_malformed IS NULL").count()
    assert 697 < partial < 2 * 697  # all of a, the complete lines of b
    assert example["source_row"] == partial - 697


def test_a_batch_write_lists_only_its_own_files_on_s3(spark, s3_server):
    """Writing batch k must not list the files of batches 1..k-1 (quadratic over a dump)."""
    from webcurate.io import storage as st_module
    from webcurate.io.datasets import write_dataset_files

    dataset = f"s3://{s3_server.make_bucket()}/out/docs"
    df = spark.createDataFrame([(str(i), "text") for i in range(6)], "doc_id string, text string")
    write_dataset_files(df.repartition(2), dataset, "part-aaaaaaaaaaaaaaaa", s3_server.storage)
    calls = []
    real = st_module.list_files

    def counting(uri, *args, **kwargs):
        calls.append(uri)
        return real(uri, *args, **kwargs)

    st_module.list_files = counting
    try:
        files = write_dataset_files(df.repartition(3), dataset, "part-bbbbbbbbbbbbbbbb",
                                    s3_server.storage)
    finally:
        st_module.list_files = real
    assert [f.rsplit("/", 1)[-1] for f in files] == [
        f"part-bbbbbbbbbbbbbbbb-{i:05d}.parquet" for i in range(3)]
    assert not [u for u in calls if u.rstrip("/") == dataset]  # never the whole dataset
    everything = st_module.list_files(dataset, s3_server.storage)
    assert len([u for u in everything if u.endswith(".parquet")]) == 2 + 3 or len(
        [u for u in everything if "aaaa" in u]) >= 1

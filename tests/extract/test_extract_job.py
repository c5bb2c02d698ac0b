"""The extract job end to end: real WARCs, real local Spark, real S3 server on loopback."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pyarrow.dataset as ds
import pytest

from webcurate.cli import run_job
from webcurate.ledger import COMMITS_DIR
from webcurate.schema import DOCUMENT_ARROW_SCHEMA, ERROR_ARROW_SCHEMA

pytestmark = pytest.mark.spark

CC_2020 = "warc/cc/CC-MAIN-2020-34-sample.warc.gz"
SMALL_FILES = [
    "warc/cc/CC-2019-commoncrawl-org.warc.gz",
    "warc/cc/CC-MAIN-2022-05-zh-page.warc.gz",
    "warc/cc/CC-MAIN-2024-22-wikipedia-page.warc.gz",
]


def run_extract(spark, *overrides: str) -> int:
    return run_job("extract", ["--set", "files_per_commit=2", *[f"--set={o}" for o in overrides]],
                   spark=spark)


def read_local(prefix: Path, name: str):
    return ds.dataset(str(prefix / name), format="parquet").to_table()


def test_cc_2020_sample_gives_16_html_documents_with_their_languages(spark, shared_data, tmp_path):
    out = tmp_path / "out"
    assert run_extract(spark, f"input={shared_data / CC_2020}", f"output={out}") == 0

    docs = read_local(out, "docs")
    assert docs.schema.names == DOCUMENT_ARROW_SCHEMA.names
    assert docs.num_rows == 16
    # The pages' languages as Common Crawl's own CLD2 labels (in the file's metadata records)
    # give them, URL by URL: ../shared/data/README.md's "zh 6, en 6, ..., fr 1" is not what the
    # 16 pages contain (tests/extract/test_records.py checks every URL).
    languages = {"zh": 11, "de": 2, "en": 1, "nl": 1, "ru": 1}
    assert Counter(docs.column("language").to_pylist()) == languages
    assert len(set(docs.column("doc_id").to_pylist())) == 16
    assert all(t.strip() for t in docs.column("text").to_pylist())
    assert all(u.startswith("http") for u in docs.column("url").to_pylist())
    assert set(docs.column("content_type").to_pylist()) <= {"text/html"}

    import pyarrow.parquet as pq

    (part,) = (out / "docs").glob("part-*.parquet")
    assert pq.ParquetFile(part).metadata.row_group(0).column(0).compression == "ZSTD"

    stats = json.loads((out / "stats.json").read_text())
    assert stats["files"] == 1 and stats["docs"] == 16 and stats["html_responses"] == 16
    assert stats["records_by_type"] == {"warcinfo": 1, "request": 17, "response": 16,
                                        "metadata": 16}
    assert stats["languages"] == languages
    assert "output: " in (out / "config.yaml").read_text()


def test_doc_ids_are_the_same_on_every_run(spark, shared_data, tmp_path):
    files = ",".join(str(shared_data / f) for f in SMALL_FILES)
    assert run_extract(spark, f"input={files}", f"output={tmp_path / 'a'}") == 0
    assert run_extract(spark, f"input={files}", f"output={tmp_path / 'b'}",
                       "files_per_commit=1") == 0
    ids_a = sorted(read_local(tmp_path / "a", "docs").column("doc_id").to_pylist())
    ids_b = sorted(read_local(tmp_path / "b", "docs").column("doc_id").to_pylist())
    assert ids_a == ids_b and len(ids_a) == 3


def test_every_shared_warc_runs_and_bad_files_are_recorded(spark, shared_data, tmp_path):
    out = tmp_path / "out"
    inputs = ",".join(str(shared_data / "warc" / d) for d in ("cc", "other", "bad"))
    assert run_extract(spark, f"input={inputs}", f"output={out}", "files_per_commit=8") == 0

    stats = json.loads((out / "stats.json").read_text())
    assert stats["files"] == 17
    errors = read_local(out, "errors")
    assert errors.schema.names == ERROR_ARROW_SCHEMA.names
    errored_files = {Path(f).name for f in errors.column("source_file").to_pylist()}
    assert {"clipped-record.warc.gz", "crlf-stripped.warc.gz"} <= errored_files
    # clipped-record holds one truncated record and nothing else; crlf-stripped breaks at its
    # second record and is re-synchronised on record boundaries: its 6 pages are not lost.
    assert stats["files_failed"] == 1
    assert stats["records_recovered"] == 16
    docs = read_local(out, "docs")
    by_file = Counter(Path(f).name for f in docs.column("source_file").to_pylist())
    assert by_file["crlf-stripped.warc.gz"] == 6
    assert by_file["clueweb09-legacy-encodings.warc.gz"] >= 20
    # The same 2008 crawl as WARC 0.17 and as ARC: 140 HTML responses, 46 of them not 2xx, one
    # with no text -> 93 documents either way.
    assert by_file["archive-org-2008.warc.gz"] == by_file["archive-org-2008.arc.gz"] == 93
    assert by_file["CC-MAIN-2016-50-sample.warc.wet.gz"] == 68
    assert docs.num_rows == stats["docs"]
    assert len(set(docs.column("doc_id").to_pylist())) == docs.num_rows


def test_good_records_before_a_truncated_tail_are_kept(spark, shared_data, tmp_path):
    whole = (shared_data / CC_2020).read_bytes()
    tail = (shared_data / SMALL_FILES[2]).read_bytes()
    broken = tmp_path / "broken.warc.gz"
    broken.write_bytes(whole + tail[: len(tail) // 2])  # a download cut off mid-record
    out = tmp_path / "out"
    assert run_extract(spark, f"input={broken}", f"output={out}") == 0
    assert read_local(out, "docs").num_rows == 16
    errors = read_local(out, "errors").to_pylist()
    assert [e["level"] for e in errors] == ["file"]
    assert errors[0]["source_offset"] >= len(whole) - 1
    stats = json.loads((out / "stats.json").read_text())
    assert stats["files_with_errors"] == 1 and stats["files_failed"] == 0


def test_rerun_resumes_and_removes_partial_output_of_a_killed_run(spark, shared_data, tmp_path):
    files = ",".join(str(shared_data / f) for f in [CC_2020, *SMALL_FILES])
    clean, resumed = tmp_path / "clean", tmp_path / "resumed"
    assert run_extract(spark, f"input={files}", f"output={clean}", "files_per_commit=1") == 0
    assert run_extract(spark, f"input={files}", f"output={resumed}", "files_per_commit=1") == 0

    # Simulate a run killed after writing one batch's files but before its marker.
    markers = sorted((resumed / COMMITS_DIR).glob("*.json"))
    assert len(markers) == 4
    lost = json.loads(markers[0].read_text())
    markers[0].unlink()
    (resumed / "docs" / "part-0123456789abcdef-00000.parquet").write_bytes(b"partial")

    assert run_extract(spark, f"input={files}", f"output={resumed}", "files_per_commit=1") == 0
    stats = json.loads((resumed / "stats.json").read_text())
    assert stats["run"]["inputs_already_committed"] == 3
    assert stats["run"]["partial_files_removed"] >= 1
    assert stats["run"]["batches_committed"] == 1
    assert [i["source_file"] for i in lost["inputs"]] == [
        i["source_file"] for i in json.loads(markers[0].read_text())["inputs"]]

    def rows(prefix):
        table = read_local(prefix, "docs").select(["doc_id", "text"])
        return sorted(zip(*table.to_pydict().values(), strict=True))

    assert rows(resumed) == rows(clean)
    # A third run has nothing to do and changes nothing.
    assert run_extract(spark, f"input={files}", f"output={resumed}", "files_per_commit=1") == 0
    assert rows(resumed) == rows(clean)


def test_missing_file_in_manifest_is_recorded_and_the_job_goes_on(spark, shared_data, tmp_path):
    manifest = tmp_path / "warc.paths"
    manifest.write_text(f"{shared_data / SMALL_FILES[0]}\n{tmp_path / 'gone.warc.gz'}\n")
    out = tmp_path / "out"
    assert run_extract(spark, f"input={manifest}", f"output={out}") == 0
    errors = read_local(out, "errors").to_pylist()
    assert [e["level"] for e in errors] == ["file"]
    assert errors[0]["source_file"].endswith("gone.warc.gz")
    assert read_local(out, "docs").num_rows == 1


def test_job_fails_only_when_every_file_failed(spark, tmp_path):
    bad = tmp_path / "bad.warc.gz"
    bad.write_bytes(b"\x1f\x8b\x08\x00garbage" * 10)
    assert run_extract(spark, f"input={bad}", f"output={tmp_path / 'out'}") == 1
    stats = json.loads((tmp_path / "out" / "stats.json").read_text())
    assert stats["files_failed"] == 1 and stats["docs"] == 0


def test_s3_input_and_output_through_the_loopback_server(spark, shared_data, s3_server,
                                                         s3_bucket, tmp_path):
    client = s3_server.client()
    for rel in [CC_2020, *SMALL_FILES]:
        client.upload_file(str(shared_data / rel), s3_bucket, f"crawl/{Path(rel).name}")
    prefix = f"s3://{s3_bucket}/curated"
    endpoint = f"storage.endpoint_url={s3_server.endpoint_url}"
    assert run_extract(spark, f"input=s3://{s3_bucket}/crawl/*.warc.gz", f"output={prefix}",
                       endpoint) == 0
    local = tmp_path / "local"
    files = ",".join(str(shared_data / f) for f in [CC_2020, *SMALL_FILES])
    assert run_extract(spark, f"input={files}", f"output={local}") == 0

    from webcurate.io.datasets import read_parquet
    from webcurate.io.storage import StorageConfig

    storage = StorageConfig(endpoint_url=s3_server.endpoint_url)
    s3_docs = read_parquet(spark, f"{prefix}/docs", storage).select("doc_id", "language").collect()
    local_docs = read_local(local, "docs").select(["doc_id", "language"]).to_pylist()
    assert sorted(tuple(r) for r in s3_docs) == sorted(
        (r["doc_id"], r["language"]) for r in local_docs)
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=s3_bucket,
                                                     Prefix="curated/")["Contents"]]
    assert "curated/stats.json" in keys and "curated/config.yaml" in keys
    assert not [k for k in keys if "_staging" in k]
    stats = json.loads(client.get_object(Bucket=s3_bucket, Key="curated/stats.json")["Body"].read())
    assert stats["docs"] == 19


@pytest.fixture()
def http_server(shared_data):
    """A loopback HTTP server over ../shared/data (the https:// inputs take the same path)."""
    import functools
    import http.server
    import threading

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(shared_data))
    handler.log_message = lambda *args, **kwargs: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_url_inputs_and_a_url_manifest(spark, http_server, tmp_path):
    manifest = tmp_path / "warc.paths"
    manifest.write_text(f"{SMALL_FILES[0]}\n{SMALL_FILES[1]}\n")
    out = tmp_path / "out"
    assert run_extract(spark, f"input={manifest}", f"manifest_base={http_server}/",
                       f"output={out}") == 0
    docs = read_local(out, "docs")
    assert sorted(docs.column("language").to_pylist()) == ["en", "zh"]
    assert all(f.startswith(http_server) for f in docs.column("source_file").to_pylist())


def test_lid_model_from_s3_and_a_missing_model_fails_at_start(spark, shared_data, s3_server,
                                                              s3_bucket, tmp_path):
    from webcurate.extract.language import default_lid_model_path

    s3_server.client().upload_file(default_lid_model_path(), s3_bucket, "models/lid.176.ftz")
    endpoint = f"storage.endpoint_url={s3_server.endpoint_url}"
    out = tmp_path / "out"
    assert run_extract(spark, f"input={shared_data / SMALL_FILES[1]}", f"output={out}", endpoint,
                       f"extract.lid_model=s3://{s3_bucket}/models/lid.176.ftz") == 0
    assert read_local(out, "docs").column("language").to_pylist() == ["zh"]

    assert run_extract(spark, f"input={shared_data / SMALL_FILES[1]}", f"output={out}-2",
                       endpoint, f"extract.lid_model=s3://{s3_bucket}/models/none.bin") == 2
    assert not (tmp_path / "out-2" / "docs").exists()


def test_a_retried_task_commits_documents_and_summaries_exactly_once(spark, shared_data,
                                                                     tmp_path):
    from pyspark.sql.pandas.types import from_arrow_schema

    from webcurate.config import load_config
    from webcurate.io.datasets import write_dataset_files
    from webcurate.jobs.extract import ExtractJobConfig, extract_documents, read_summaries

    def fail_first_attempt_at_the_end(batches):
        """Pass documents through, then fail attempt 0 after the extractor left its sidecar.
        (Defined here so that it is shipped to the workers by value.)"""
        from pyspark import TaskContext

        yield from batches
        if TaskContext.get().attemptNumber() == 0:
            raise RuntimeError("injected failure after the last batch")

    files = [str(shared_data / CC_2020), str(shared_data / SMALL_FILES[1])]
    config = load_config(ExtractJobConfig, [], [f"input={files[0]}", f"output={tmp_path}"])
    docs = extract_documents(spark, files, config, "0123456789abcdef").mapInArrow(
        fail_first_attempt_at_the_end, from_arrow_schema(DOCUMENT_ARROW_SCHEMA))
    write_dataset_files(docs, str(tmp_path / "docs"), "part-0123456789abcdef", config.storage)

    written = read_local(tmp_path, "docs")
    assert written.num_rows == 17
    assert len(set(written.column("doc_id").to_pylist())) == 17
    summaries = read_summaries(files, config, "0123456789abcdef")
    assert sorted(s["docs"] for s in summaries) == [1, 16]
    # Error files are the tasks' own: input 0's (written even empty) and none for input 1.
    assert sorted(p.name for p in (tmp_path / "errors").iterdir()) == [
        "part-0123456789abcdef-00000.parquet"]

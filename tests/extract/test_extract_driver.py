"""The extract driver stays off the data path and off the critical path: error rows go to errors/
from the executors (the driver gets counts), summaries are read concurrently, batches overlap."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter

import pyarrow.dataset as ds
import pytest
from extract.test_records import page, record, warc

from webcurate.cli import run_job
from webcurate.io import storage as st

pytestmark = pytest.mark.spark

SMALL_FILES = [
    "warc/cc/CC-2019-commoncrawl-org.warc.gz",
    "warc/cc/CC-MAIN-2022-05-zh-page.warc.gz",
    "warc/cc/CC-MAIN-2024-22-wikipedia-page.warc.gz",
]
BAD_PAGES = 400


def hostile_warc(path) -> list[int]:
    """400 pages whose bytes are invalid in their declared charset (a warning row each) and one
    over the element cap the test sets (a skip row); returns that page's offset."""
    latin1 = "<html><body><p>caf\xe9 num\xe9ro {} \xe0 la cr\xe8me</p></body></html>"
    records = [warc(record(f"http://bad.example/{i}", latin1.format(i).encode("latin-1")))
               for i in range(BAD_PAGES)]
    big = warc(record("http://big.example/", page("<p>many</p>" * 2_000)))
    path.write_bytes(b"".join(records) + big)
    return [sum(len(r) for r in records)]


def test_error_rows_reach_errors_from_the_executors_and_the_driver_gets_counts(
        spark, shared_data, tmp_path, monkeypatch):
    bad = tmp_path / "hostile.warc.gz"
    (big_offset,) = hostile_warc(bad)
    driver_read = Counter()
    collected = []
    real_read_bytes = st.read_bytes

    def counting_read_bytes(uri, storage):
        data = real_read_bytes(uri, storage)
        driver_read["_extract_meta" in uri] += len(data)
        return data

    def counting_collect(real):
        def collect(self):
            rows = real(self)
            collected.append(len(rows))
            return rows
        return collect

    from pyspark import RDD
    from pyspark.sql import DataFrame

    monkeypatch.setattr(st, "read_bytes", counting_read_bytes)
    monkeypatch.setattr(DataFrame, "collect", counting_collect(DataFrame.collect))
    monkeypatch.setattr(RDD, "collect", counting_collect(RDD.collect))
    out = tmp_path / "out"
    inputs = ",".join([str(bad), *(str(shared_data / f) for f in SMALL_FILES)])
    assert run_job("extract", [f"--set=input={inputs}", f"--set=output={out}",
                               "--set=files_per_commit=2", "--set=extract.max_html_nodes=1000"],
                   spark=spark) == 0

    errors = ds.dataset(str(out / "errors"), format="parquet").to_table().to_pylist()
    by_type = Counter(f"{e['level']}:{e['error_type']}" for e in errors)
    assert by_type == {"warning:invalid_bytes": BAD_PAGES, "warning:extract_html_too_large": 1}
    (too_large,) = [e for e in errors if e["error_type"] == "extract_html_too_large"]
    assert too_large["source_offset"] == big_offset
    stats = json.loads((out / "stats.json").read_text())
    assert stats["error_rows"] == BAD_PAGES + 1 and stats["error_rows_by_type"] == by_type
    assert stats["skipped_by_reason"] == {"extract_html_too_large": 1}
    # The driver read one small summary per input (counts only), not the 401 rows (~60 KB),
    # and collected nothing from Spark.
    assert 0 < driver_read[True] < 4 * 2_000, driver_read
    assert sum(collected) == 0
    # Every batch has an errors/ file (its first input's, even empty), and the hostile input's
    # rows are in the file named like its documents. Which batch and position that is depends
    # on how the input paths sort (the temp dir may sort before or after the shared data).
    from webcurate.io.inputs import resolve_inputs
    from webcurate.jobs.common import chunked
    from webcurate.ledger import batch_id_for

    batches = list(chunked(resolve_inputs(inputs.split(","), st.StorageConfig()), 2))
    expected = {f"part-{batch_id_for(files)}-00000.parquet" for files in batches}
    ((hostile_batch, position),) = [(files, files.index(str(bad))) for files in batches
                                    if str(bad) in files]
    expected.add(f"part-{batch_id_for(hostile_batch)}-{position:05d}.parquet")
    assert {p.name for p in (out / "errors").glob("*.parquet")} == expected


def test_summaries_of_a_batch_are_read_concurrently(spark, tmp_path, monkeypatch):
    from webcurate.config import load_config
    from webcurate.extract import sidecars
    from webcurate.jobs.extract import ExtractJobConfig, read_summaries

    files = [f"/in/file-{i}.warc.gz" for i in range(16)]
    config = load_config(ExtractJobConfig, [], [f"input={files[0]}", f"output={tmp_path}"])
    for f in files:
        sidecars.write_summary(sidecars.summary_uri(str(tmp_path), "b" * 16, f),
                               {"source_file": f, "docs": 1}, config.storage)
    active, peak, lock = [0], [0], threading.Lock()
    real_read_bytes = st.read_bytes

    def slow_read_bytes(uri, storage):  # an object store's latency
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.2)
        with lock:
            active[0] -= 1
        return real_read_bytes(uri, storage)

    monkeypatch.setattr(st, "read_bytes", slow_read_bytes)
    started = time.monotonic()
    summaries = read_summaries(files, config, "b" * 16)
    assert [s["source_file"] for s in summaries] == files
    assert peak[0] >= 8 and time.monotonic() - started < 16 * 0.2 / 2


def test_the_next_batch_runs_while_the_previous_one_commits(spark, shared_data, tmp_path,
                                                            monkeypatch):
    from webcurate.ledger import CommitLedger

    commits = {}
    real_commit = CommitLedger.commit

    def slow_commit(self, batch_id, inputs, extra=None):
        entered = time.time()
        time.sleep(1.0)  # a slow object store, a big marker
        real_commit(self, batch_id, inputs, extra)
        commits[batch_id] = (entered, time.time())

    monkeypatch.setattr(CommitLedger, "commit", slow_commit)
    files = ",".join(str(shared_data / f) for f in SMALL_FILES)
    out = tmp_path / "out"
    assert run_job("extract", [f"--set=input={files}", f"--set=output={out}",
                               "--set=files_per_commit=1", "--set=batches_in_flight=2"],
                   spark=spark) == 0
    markers = sorted((json.loads(p.read_text()) for p in (out / "_commits").glob("*.json")),
                     key=lambda m: commits[m["batch_id"]][1])
    assert len(markers) == 3
    first_done = commits[markers[0]["batch_id"]][1]
    # Some other batch started extracting before the first commit had finished.
    assert min(m["started_at"] for m in markers[1:]) < first_done
    stats = json.loads((out / "stats.json").read_text())
    assert stats["docs"] == 3 and stats["run"]["batches_committed"] == 3


def test_a_failed_batch_stops_new_batches_and_in_flight_ones_still_commit(spark, tmp_path,
                                                                          monkeypatch):
    from webcurate.config import load_config
    from webcurate.jobs import extract as job

    started = []

    def fake_commit_batch(spark, files, config, ledger):
        started.append(files[0])
        if files[0] == "b":
            raise RuntimeError("batch b failed")
        time.sleep(0.5)
        return {"batch_id": files[0], "inputs": []}

    monkeypatch.setattr(job, "commit_batch", fake_commit_batch)
    config = load_config(job.ExtractJobConfig, [], ["input=x", f"output={tmp_path}",
                                                   "batches_in_flight=2"])
    with pytest.raises(RuntimeError, match="batch b failed"):
        job.commit_batches(spark, [["a"], ["b"], ["c"], ["d"]], config, ledger=None)
    assert sorted(started) in (["a", "b"], ["a", "b", "c"])  # "c" may start before "b" fails
    assert "d" not in started

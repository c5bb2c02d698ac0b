"""Readers see committed output only, and a run that lost its lease commits nothing.

A job killed between writing its part files and writing its commit marker leaves files that look
like output; the next job must not read them (issue "Proven at scale", defects 2 and 3).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from webcurate import ledger as ledger_module
from webcurate.cli import run_job
from webcurate.documents import document_files
from webcurate.io.inputs import InputError
from webcurate.io.storage import StorageConfig
from webcurate.ledger import CommitLedger, CommittedFiles
from webcurate.lock import LOCK_NAME, LeaseLost, OutputLock

CC_DOCS = "text/cc/CC-MAIN-2019-30-697docs.jsonl.gz"
LOCAL = StorageConfig()


class Killed(BaseException):
    """Stands for the driver being killed: nothing in the job catches it."""


def _part(directory: Path, batch_id: str, number: int = 0) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"part-{batch_id}-{number:05d}.parquet"
    pq.write_table(pa.table({"doc_id": [f"{batch_id}-{number}"], "text": ["some text"]}), path)
    return path


def test_part_files_of_batches_without_a_marker_are_not_read(tmp_path):
    committed, killed = "a" * 16, "b" * 16
    out = tmp_path / "out"
    good = _part(out / "docs", committed)
    _part(out / "docs", killed)
    routed = _part(out / "rejected" / "filter=c4", committed)
    _part(out / "rejected" / "filter=c4", killed, 1)
    foreign = tmp_path / "corpus" / "part-00000-foreign.parquet"
    foreign.parent.mkdir()
    pq.write_table(pa.table({"text": ["x"]}), foreign)
    CommitLedger(str(out), LOCAL).commit(committed, inputs=[])

    assert document_files(str(out / "docs"), LOCAL) == [str(good)]
    assert document_files(str(out / "rejected"), LOCAL) == [str(routed)]
    assert document_files(str(foreign.parent), LOCAL) == [str(foreign)]  # not webcurate's
    files = sorted(str(p) for p in out.rglob("*.parquet"))
    assert CommittedFiles(LOCAL).split(files)[1] == sorted(
        str(p) for p in out.rglob(f"part-{killed}-*.parquet"))


def test_an_output_holding_only_uncommitted_files_is_refused_in_one_line(tmp_path):
    _part(tmp_path / "out" / "kept", "c" * 16)
    with pytest.raises(InputError, match="only uncommitted files"):
        document_files(str(tmp_path / "out" / "kept"), LOCAL)


@pytest.mark.spark
def test_a_job_killed_before_its_marker_leaves_nothing_the_next_job_reads(
        spark, shared_data, tmp_path, monkeypatch, capsys):
    """The filter job is killed after writing kept/ and rejected/, before its marker: dedup on
    its kept/ refuses to start; killed again after a first committed run of another chain, the
    files of the killed run are invisible to dedup, which reads exactly the committed ones."""
    first = tmp_path / "filter-a"
    common = [f"--set=input={shared_data / CC_DOCS}", "--set=filters=length"]
    assert run_job("filter", [*common, f"--set=output={first}"], spark=spark) == 0
    committed_kept = ds.dataset(str(first / "kept"), format="parquet").count_rows()

    real_commit = CommitLedger.commit

    def killed_commit(self, batch_id, inputs, extra=None):
        raise Killed("driver killed between part files and marker")

    monkeypatch.setattr(CommitLedger, "commit", killed_commit)
    second = tmp_path / "filter-b"
    with pytest.raises(Killed):
        run_job("filter", [*common, "--set=measure_after_reject=true",  # another run id
                           f"--set=output={second}"], spark=spark)
    # The killed run's files are there, and its marker is not.
    assert list((second / "kept").glob("part-*.parquet"))
    assert not (second / "_commits").exists()
    monkeypatch.setattr(CommitLedger, "commit", real_commit)

    capsys.readouterr()
    code = run_job("dedup", [f"--set=input={second / 'kept'}",
                             f"--set=output={tmp_path / 'dedup-b'}", "--set=mode=exact"],
                   spark=spark)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "uncommitted" in err[0]

    # Both runs' files in one directory: the killed run's are left out, the committed read.
    mixed = tmp_path / "mixed"
    (mixed / "kept").mkdir(parents=True)
    for source in (first, second):
        for part in (source / "kept").glob("part-*.parquet"):
            (mixed / "kept" / part.name).write_bytes(part.read_bytes())
    (mixed / "_commits").mkdir()
    for marker in (first / "_commits").glob("*.json"):
        (mixed / "_commits" / marker.name).write_bytes(marker.read_bytes())
    assert run_job("dedup", [f"--set=input={mixed / 'kept'}", "--set=mode=exact",
                             f"--set=output={tmp_path / 'dedup-mixed'}"], spark=spark) == 0
    stats = json.loads((tmp_path / "dedup-mixed" / "stats.json").read_text())
    assert stats["documents_in"] == committed_kept


def test_a_lease_whose_heartbeat_keeps_failing_is_lost_and_blocks_the_commit(tmp_path,
                                                                           monkeypatch):
    out = tmp_path / "out"
    lock = OutputLock(str(out), LOCAL, job="filter", ttl_s=0.6, heartbeat_s=0.1).acquire()
    try:
        def unreachable(*args, **kwargs):
            raise OSError("store unreachable")

        monkeypatch.setattr(lock, "_replace", unreachable)  # the heartbeat thread survives this
        time.sleep(1.0)
        assert lock.lost and "not renewed" in lock.lost
        ledger = CommitLedger(str(out / "dedup-tag"), LOCAL)  # a prefix below the lease's
        with pytest.raises(LeaseLost, match="lost the lease"):
            ledger.commit("d" * 16, inputs=[])
        assert not (out / "dedup-tag" / "_commits").exists()
    finally:
        lock.release()


def test_a_lease_taken_over_is_noticed_and_the_job_stops_before_its_commit(
        spark, shared_data, tmp_path, monkeypatch, capsys):
    """Another run takes the lease over while the filter job writes (as after a stall longer
    than the ttl): the job ends with one line saying so, and commits nothing."""
    import webcurate.jobs.filter as filter_job
    import webcurate.lock as lock_module

    monkeypatch.setattr(lock_module, "DEFAULT_HEARTBEAT_S", 0.1)
    out = tmp_path / "out"
    real_count = filter_job.count_output

    def taken_over_while_counting(spark, config):
        (out / LOCK_NAME).write_text(json.dumps({"owner": "other:1:x", "job": "filter",
                                                 "heartbeat": time.time(), "ttl_s": 300}))
        time.sleep(0.5)  # a heartbeat or more
        return real_count(spark, config)

    monkeypatch.setattr(filter_job, "count_output", taken_over_while_counting)
    capsys.readouterr()
    code = run_job("filter", [f"--set=input={shared_data / CC_DOCS}", "--set=filters=length",
                              f"--set=output={out}"], spark=spark)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and "lost the lease" in err[0] and "other:1:x" in err[0]
    assert not (out / "_commits").exists()
    assert json.loads((out / LOCK_NAME).read_text())["owner"] == "other:1:x"  # left alone


def test_ledger_module_reads_committed_parquet_only(spark, tmp_path):
    out = tmp_path / "out"
    _part(out / "kept", "e" * 16)
    _part(out / "kept", "f" * 16)
    CommitLedger(str(out), LOCAL).commit("e" * 16, inputs=[])
    df = ledger_module.read_committed_parquet(spark, str(out / "kept"), LOCAL)
    assert [r["doc_id"] for r in df.collect()] == ["e" * 16 + "-0"]

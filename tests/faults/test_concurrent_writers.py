"""Two runs on one output prefix never interleave: the second fails clearly, or waits."""

from __future__ import annotations

import json
import os
import threading
import time

import pyarrow.dataset as ds
import pytest

from webcurate.cli import run_job
from webcurate.lock import LOCK_NAME, OutputLock, OutputLocked

pytestmark = pytest.mark.spark

CC_DOCS = "text/cc/CC-MAIN-2019-30-697docs.jsonl.gz"


@pytest.fixture(params=["local", "s3"])
def prefix(request, tmp_path):
    if request.param == "local":
        return str(tmp_path / "out"), []
    server = request.getfixturevalue("s3_server")
    return (f"s3://{server.make_bucket()}/out",
            [f"--set=storage.endpoint_url={server.endpoint_url}"])


def test_a_held_lease_refuses_a_second_holder_and_an_expired_one_is_taken_over(prefix,
                                                                               s3_server):
    uri, _ = prefix
    first = OutputLock(uri, s3_server.storage, job="filter", heartbeat_s=0.2).acquire()
    with pytest.raises(OutputLocked, match="being written by another run"):
        OutputLock(uri, s3_server.storage).acquire()
    time.sleep(0.5)  # renewals keep it alive past its heartbeat
    with pytest.raises(OutputLocked):
        OutputLock(uri, s3_server.storage, wait_s=0.3).acquire()
    first.release()
    with OutputLock(uri, s3_server.storage):  # released: free again
        pass

    dead = OutputLock(uri, s3_server.storage, ttl_s=0.5, heartbeat_s=3600).acquire()
    dead._stop.set()  # a killed run: it never renews nor releases
    time.sleep(0.8)
    taker = OutputLock(uri, s3_server.storage).acquire()
    taker.release()


def test_an_unreadable_local_lease_ages_from_its_file_time_not_from_zero(tmp_path, s3_server):
    """A lease caught mid-write (or half-written by a killed run) is live until its file is
    older than the ttl; reading it as expired let two runs hold one output."""
    out = tmp_path / "out"
    out.mkdir()
    (out / LOCK_NAME).write_bytes(b"")
    with pytest.raises(OutputLocked):
        OutputLock(str(out), s3_server.storage).acquire()
    old = time.time() - 2 * OutputLock(str(out), s3_server.storage).ttl_s
    os.utime(out / LOCK_NAME, (old, old))
    taker = OutputLock(str(out), s3_server.storage).acquire()
    assert json.loads((out / LOCK_NAME).read_text())["owner"] == taker.owner
    taker.release()
    assert not (out / LOCK_NAME).exists()


def test_a_second_job_on_a_busy_output_fails_with_one_line_and_touches_nothing(
        spark, shared_data, s3_server, prefix, capsys):
    uri, extra = prefix
    holder = OutputLock(uri, s3_server.storage, job="filter").acquire()
    try:
        code = run_job("filter", [f"--set=input={shared_data / CC_DOCS}", f"--set=output={uri}",
                                  "--set=filters=gopher_quality", *extra], spark=spark)
    finally:
        holder.release()
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "being written by another run" in err[0]


def test_two_concurrent_jobs_on_one_output_one_runs_and_the_other_waits(spark, shared_data,
                                                                       tmp_path):
    out = tmp_path / "out"
    args = [f"--set=input={shared_data / CC_DOCS}", f"--set=output={out}",
            "--set=filters=gopher_quality"]
    codes = {}

    def run(name: str, wait: str):
        codes[name] = run_job("filter", [*args, "--wait-for-output", wait], spark=spark)

    threads = [threading.Thread(target=run, args=(n, "120")) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert codes == {"a": 0, "b": 0}
    stats = json.loads((out / "stats.json").read_text())
    assert stats["run"]["already_committed"] is True  # the second found the first's commit
    ids = ds.dataset(str(out / "kept"), format="parquet").to_table().column("doc_id")
    assert len(set(ids.to_pylist())) == len(ids) == stats["documents_kept"]
    assert not (out / LOCK_NAME).exists()

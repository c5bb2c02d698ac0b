"""Every job, every fault: tasks killed mid-write (raise, or the Python worker exits), and a
job killed part-way then rerun. The committed output must equal the fault-free run exactly.

Default run: each job on local output with the raising fault, and the worker exit for two
jobs; ``make faults`` (``-m ""``) adds S3 outputs and the worker exit for every job.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow.dataset as ds
import pytest
from figures import record_figure

from webcurate.cli import run_job
from webcurate.faults import CONF_KEY

pytestmark = pytest.mark.spark

CC_DOCS = "text/cc/CC-MAIN-2019-30-697docs.jsonl.gz"
WARC = "warc/cc/CC-MAIN-2020-34-sample.warc.gz"


@pytest.fixture(scope="module")
def tiny_model(shared_data, tmp_path_factory) -> Path:
    from quality.test_quality_job import _train_tiny_model

    return _train_tiny_model(shared_data, tmp_path_factory.mktemp("model") / "tiny.bin",
                             ["lee_background.cor"], seed=0)


def job_args(job: str, shared_data: Path, model: Path) -> list[str]:
    docs = f"--set=input={shared_data / CC_DOCS}"
    return {
        "extract": [f"--set=input={shared_data / WARC}"],
        "filter": [docs, "--set=filters=gopher_repetition,gopher_quality",
                   "--set=partitions=4"],
        "dedup": ["--conf", "conf/dedup.yaml", docs],
        "quality": ["--conf", "conf/quality.yaml", docs, f"--set=model={model}",
                    "--set=decision.mode=top_percent", "--set=decision.top_percent=50",
                    "--set=write_rejected=true"],
    }[job]


def committed_rows(prefix: Path, job: str) -> list[tuple]:
    """(dataset, doc_id) of every committed row, wherever the job put its datasets."""
    rows = []
    for path in sorted(prefix.rglob("*.parquet")):
        if any(part.startswith(("_", ".")) for part in path.relative_to(prefix).parts):
            continue
        table = ds.dataset(str(path), format="parquet").to_table()
        key = "doc_id" if "doc_id" in table.schema.names else table.schema.names[0]
        dataset = str(path.parent.relative_to(prefix))
        rows += [(dataset, value) for value in table.column(key).to_pylist()]
    return sorted(rows, key=str)


def run_clean_and_faulty(spark, job: str, args: list[str], tmp_path: Path, mode: str,
                         output_of) -> int:
    """The job into ``output_of("clean")``, then with the injector on into
    ``output_of("faulty")``; returns the number of faults injected."""
    assert run_job(job, [*args, f"--set=output={output_of('clean')}"], spark=spark) == 0
    record = tmp_path / "injected"
    spark.conf.set(CONF_KEY, f"{mode}:after_rows=10;record={record}")
    try:
        assert run_job(job, [*args, f"--set=output={output_of('faulty')}"], spark=spark) == 0
    finally:
        spark.conf.unset(CONF_KEY)
    return len(list(record.iterdir())) if record.exists() else 0


def check_and_record(job: str, scenario: str, clean: list, faulty: list, injected: int):
    lost = len(set(clean) - set(faulty))
    duplicated = len(faulty) - len(set(faulty))
    record_figure(scenario=scenario, job=job, faults_injected=injected, finished="yes",
                  docs_lost=lost, docs_duplicated=duplicated)
    assert injected >= 1
    assert faulty == clean and lost == 0 and duplicated == 0


JOBS = ["extract", "filter", "dedup", "quality"]
CASES = [pytest.param(job, "raise", id=f"{job}-raise") for job in JOBS] + [
    pytest.param(job, "exit", id=f"{job}-exit",
                 marks=() if job in ("filter", "dedup") else pytest.mark.slow) for job in JOBS]


@pytest.mark.parametrize("job, mode", CASES)
def test_tasks_failing_mid_write_change_nothing(spark, shared_data, tiny_model, tmp_path, job,
                                               mode):
    args = job_args(job, shared_data, tiny_model)
    injected = run_clean_and_faulty(spark, job, args, tmp_path, mode, lambda name: tmp_path / name)
    check_and_record(job, f"task {mode} mid-write, local", committed_rows(tmp_path / "clean", job),
                     committed_rows(tmp_path / "faulty", job), injected)


@pytest.mark.slow
@pytest.mark.parametrize("job", JOBS)
def test_tasks_failing_mid_write_on_s3_change_nothing(spark, shared_data, tiny_model, s3_server,
                                                     tmp_path, job):
    bucket = s3_server.make_bucket()
    args = [*job_args(job, shared_data, tiny_model),
            f"--set=storage.endpoint_url={s3_server.endpoint_url}"]
    local_copy = tmp_path / "copies"

    def output_of(name: str) -> str:
        return f"s3://{bucket}/{name}"

    injected = run_clean_and_faulty(spark, job, args, tmp_path, "raise", output_of)
    client = s3_server.client()
    for name in ("clean", "faulty"):
        for key in s3_server.keys(bucket, f"{name}/"):
            target = local_copy / key
            target.parent.mkdir(parents=True, exist_ok=True)
            client.download_file(bucket, key, str(target))
    clean = committed_rows(local_copy / "clean", job)
    faulty = committed_rows(local_copy / "faulty", job)
    check_and_record(job, "task raise mid-write, s3", clean, faulty, injected)


@pytest.mark.parametrize("job", JOBS)
def test_a_killed_run_is_resumed_to_the_clean_result(spark, shared_data, tiny_model, tmp_path,
                                                     job):
    """A run killed after it wrote some files but before its commit: simulated by copying a
    clean run's data files (not its marker) into a fresh prefix, plus a stray staging file."""
    args = job_args(job, shared_data, tiny_model)
    clean, killed = tmp_path / "clean", tmp_path / "killed"
    assert run_job(job, [*args, f"--set=output={clean}"], spark=spark) == 0
    shutil.copytree(clean, killed, ignore=shutil.ignore_patterns("_commits", "stats.json"))
    for path in list(killed.rglob("*.parquet"))[:1]:  # one more, half-written, file
        path.with_name(path.name.replace("-00000", "-00099")).write_bytes(b"PAR1 broken")
    assert run_job(job, [*args, f"--set=output={killed}"], spark=spark) == 0
    resumed, expected = committed_rows(killed, job), committed_rows(clean, job)
    record_figure(scenario="job killed before commit, rerun", job=job, faults_injected=1,
                  finished="yes", docs_lost=len(set(expected) - set(resumed)),
                  docs_duplicated=len(resumed) - len(set(resumed)))
    assert resumed == expected
    assert json.loads((killed / "stats.json").read_text())

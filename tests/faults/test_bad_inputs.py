"""Bad input through the extract job: each file is recorded in errors/, memory stays bounded,
the job finishes, and the good records in the same files are not lost."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow.dataset as ds
import pytest
from bad_inputs import build_all
from figures import record_figure

from webcurate.cli import run_job

pytestmark = pytest.mark.spark

ROOT = Path(__file__).resolve().parents[2]
#: No input may make a worker hold more than this (the bomb alone is 512 MiB of page).
MAX_WORKER_RSS_MIB = 1024
#: Over what the same process needs for a small good file: a worker that held the bomb's page
#: would need at least 512 MiB more (the baseline itself varies with the machine, 80-450 MiB).
MAX_RSS_OVER_BASELINE_MIB = 256

_MEASURE = """
import json, resource, sys
from webcurate.extract.records import iter_file_rows
from webcurate.extract.settings import ExtractSettings
with open(sys.argv[1], "rb") as stream:
    docs = sum(kind == "doc" for kind, _ in iter_file_rows(stream, sys.argv[1], ExtractSettings()))
print(json.dumps({"docs": docs,
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}))
"""


@pytest.fixture(scope="module")
def bad_inputs(tmp_path_factory, shared_data):
    return build_all(tmp_path_factory.mktemp("bad"), shared_data)


def peak_memory(path: Path) -> dict:
    """The per-file core on one input in a fresh process: its documents and peak RSS (the lower
    of two runs when the first is high: noise only ever adds memory, the input's need stays)."""
    first = _peak_memory_once(path)
    if first["peak_mib"] < 200:
        return first
    second = _peak_memory_once(path)
    return min(first, second, key=lambda m: m["peak_mib"])


def _peak_memory_once(path: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", _MEASURE, str(path)], check=True, timeout=300,
                          capture_output=True, text=True, cwd=ROOT,
                          env={"PYTHONPATH": str(ROOT / "lib"), "PATH": "/usr/bin:/bin"})
    return json.loads(done.stdout)


def test_every_bad_input_is_recorded_and_good_records_survive(spark, bad_inputs, tmp_path):
    out = tmp_path / "out"
    inputs = ",".join(str(b.path) for b in bad_inputs)
    assert run_job("extract", [f"--set=input={inputs}", f"--set=output={out}"], spark=spark) == 0

    docs = ds.dataset(str(out / "docs"), format="parquet").to_table(
        columns=["source_file", "url"]).to_pylist()
    errors = ds.dataset(str(out / "errors"), format="parquet").to_table().to_pylist()
    stats = json.loads((out / "stats.json").read_text())
    assert stats["files"] == len(bad_inputs)
    baseline = peak_memory(next(b.path for b in bad_inputs if b.name == "good file"))["peak_mib"]
    for bad in bad_inputs:
        source = str(bad.path)
        mine = [d for d in docs if d["source_file"] == source]
        recorded = [e for e in errors if e["source_file"] == source]
        assert len(mine) >= bad.good_docs, bad.name
        if bad.name != "good file":
            assert recorded, f"{bad.name} left no trace in errors/"
        if bad.must_record_error:
            assert any(e["level"] in ("file", "record") for e in recorded), bad.name
        measured = peak_memory(bad.path)
        assert measured["docs"] == len(mine)  # the job lost nothing the core extracted
        assert measured["peak_mib"] < MAX_WORKER_RSS_MIB, (bad.name, measured)
        assert measured["peak_mib"] < baseline + MAX_RSS_OVER_BASELINE_MIB, (bad.name, measured,
                                                                            baseline)
        record_figure(scenario=f"bad input: {bad.name}", job="extract", faults_injected=1,
                      finished="yes", docs_lost=0, docs_duplicated=0,
                      peak_mib=measured["peak_mib"])
    assert len({d["url"] for d in docs}) == len(docs)

"""``make scale`` end to end at a tiny size: the corpus, the four pipeline runs on a
local-cluster and in local[2], the kills, the event logs, the table and the figures (slow:
several minutes, most of it Spark start-up and the per-stage fixed costs)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_harness_runs_every_check_and_reports_them(tmp_path, shared_data):
    out = tmp_path / "scale"
    proc = subprocess.run(
        [sys.executable, "-m", "tools.scale", "--records", "60", "--records-per-file", "20",
         "--factor", "2", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=3600, check=False)
    figures = json.loads((out / "figures.json").read_text())
    checks = {c["name"]: c["status"] for c in figures["checks"]}
    assert {"cluster-1x exits 0", "local-1x exits 0", "kills-1x exits 0", "cluster-2x exits 0",
            "cluster = local[2] (every stage)", "executor killed = clean (every stage)",
            "kills landed in filter and components", "driver_python peak RSS flat 1x -> 2x",
            "no one-task stage on data (cluster-2x)"} <= set(checks)
    assert set(checks.values()) <= {"PASS", "FAIL"}
    assert proc.returncode == (1 if "FAIL" in checks.values() else 0), proc.stdout[-3000:]
    assert "== checks ==" in proc.stdout and "shuffle B/doc" in proc.stdout
    # The pipeline itself ran on the cluster: two executors, every stage's output present.
    clean = figures["results"]["cluster-1x"]
    assert clean["exit_code"] == 0, proc.stdout[-3000:]
    assert clean["executors_seen"] >= 2 and clean["peak_mib"]["executor_jvm"] > 0
    assert clean["digests"]["dedup"]["kept"]["rows"] > 0
    assert any(stage["phase"] == "components" for stage in clean["stages"])

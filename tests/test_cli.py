"""The command line: bad config fails before Spark, and spark-submit runs the same job."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def webcurate(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "webcurate.cli", *args], capture_output=True,
                          text=True, timeout=timeout, cwd=ROOT, check=False)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--set", "input=x", "--set", "output=y", "--set", "extract.bogus=1"],
         "unknown config key 'extract.bogus'"),
        (["--set", "input=x", "--set", "output=y", "--set", "files_per_commit=0"],
         "config key 'files_per_commit': must be >= 1"),
        (["--set", "input=x", "--set", "output=y", "--set", "extract.extractor=regex"],
         "config key 'extract.extractor': must be one of"),
        (["--set", "input=x", "--set", "output=y", "--set", "storage.max_attempts=lots"],
         "config key 'storage.max_attempts': cannot read 'lots'"),
        (["--set", "output=y"], "missing required config key 'input'"),
        (["--conf", "conf/nope.yaml"], "config file not found: conf/nope.yaml"),
        (["--set", "input=x", "--set", "output=y", "--set", "extract.lid_model=/no/lid.bin"],
         "config key 'extract.lid_model': model not found: /no/lid.bin"),
    ],
)
def test_bad_config_fails_at_start_with_one_line(args, message):
    result = webcurate("extract", "--conf", "conf/extract.yaml", *args)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert message in result.stderr
    assert "SparkContext" not in result.stderr  # failed before any Spark work


def test_unwritable_output_fails_at_start(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = webcurate("extract", "--set", "input=x", "--set", f"output={blocker}/out")
    assert result.returncode == 2
    assert "cannot write to output" in result.stderr
    assert result.stderr.strip().count("\n") == 0


def test_missing_input_fails_with_one_line(tmp_path):
    result = webcurate("extract", "--set", f"input={tmp_path}/none-*.warc.gz",
                       "--set", f"output={tmp_path}/out", "--set", "spark.master=local[1]",
                       timeout=120)
    assert result.returncode == 2
    assert "none-*.warc.gz" in result.stderr.strip().splitlines()[-1]


def test_help_config_and_print_config_list_every_section():
    listed = webcurate("extract", "--help-config").stdout
    for key in ("input", "extract.extractor", "storage.endpoint_url", "spark.master"):
        assert any(line.split()[0] == key for line in listed.splitlines())
    printed = webcurate("extract", "--conf", "conf/extract.yaml", "--set", "input=a,b",
                        "--set", "output=o", "--print-config")
    assert printed.returncode == 0
    assert "input:\n- a\n- b\n" in printed.stdout


@pytest.mark.spark
def test_spark_submit_runs_the_job_entry_point(shared_data, tmp_path):
    spark_submit = Path(sys.executable).parent / "spark-submit"
    out = tmp_path / "out"
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable}
    result = subprocess.run(
        [str(spark_submit), "--master", "local[2]", "--conf", "spark.ui.enabled=false",
         "jobs/extract.py", "--conf", "conf/extract.yaml",
         "--set", f"input={shared_data / 'warc/cc/CC-MAIN-2022-05-zh-page.warc.gz'}",
         "--set", f"output={out}"],
        capture_output=True, text=True, timeout=300, cwd=ROOT, env=env, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    stats = json.loads((out / "stats.json").read_text())
    assert stats["docs"] == 1 and stats["languages"] == {"zh": 1}
    assert list((out / "docs").glob("part-*.parquet"))


def test_no_job_entry_point_shadows_a_standard_module():
    """``spark-submit jobs/X.py`` puts ``jobs/`` first on sys.path: a ``jobs/tokenize.py`` was
    imported as the standard ``tokenize`` (by linecache) and broke every entry point."""
    names = sorted(p.stem for p in (ROOT / "jobs").glob("*.py"))
    assert "extract" in names
    assert not [n for n in names if n in sys.stdlib_module_names]

"""The cluster examples in conf/cluster/ stay loadable as the config keys evolve."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from webcurate.cli import run_job

CLUSTER = Path(__file__).resolve().parents[2] / "conf" / "cluster"
JOB_FILES = sorted(CLUSTER.glob("*/*.yaml"))
DEFAULTS_FILES = sorted(CLUSTER.glob("*/spark-defaults.conf"))


def _properties(path: Path) -> dict[str, str]:
    """spark-defaults.conf as Spark reads it: ``key<whitespace>value`` lines, ``#`` comments."""
    entries: dict[str, str] = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, _, value = line.strip().partition(" ")
        assert key.startswith("spark.") and value.strip(), f"{path}:{number}: {line!r}"
        assert key not in entries, f"{path}:{number}: {key} set twice"
        entries[key] = value.strip()
    return entries


def test_there_is_an_example_per_cluster_manager():
    assert {p.parent.name for p in DEFAULTS_FILES} == {"yarn", "kubernetes", "standalone"}
    assert {p.parent.name for p in JOB_FILES} == {"yarn", "kubernetes", "standalone"}


@pytest.mark.parametrize("path", JOB_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_job_yaml_loads_and_retries_as_common_crawl_asks(path, capsys):
    job, recipe = path.name.split("-")[:2]  # extract-cc-main-..., pipeline-<recipe>-cc-main-...
    args = ["--conf", str(path), "--print-config"]
    args = ["--recipe", recipe, *args] if job == "pipeline" else args
    assert run_job(job, args) == 0, capsys.readouterr().err
    resolved = yaml.safe_load(capsys.readouterr().out)
    assert resolved["input"] == ["https://data.commoncrawl.org/crawl-data/CC-MAIN-2024-22/warc.paths.gz"
                                 if path.parent.name == "kubernetes" else
                                 "s3://commoncrawl/crawl-data/CC-MAIN-2024-22/warc.paths.gz"]
    assert resolved["storage"]["retry_mode"] == "adaptive"
    assert resolved["storage"]["max_attempts"] >= 10


@pytest.mark.parametrize("path", DEFAULTS_FILES, ids=lambda p: p.parent.name)
def test_spark_defaults_name_the_python_of_the_shipped_environment(path):
    entries = _properties(path)
    expected = ("/opt/webcurate/bin/python" if path.parent.name == "kubernetes"
                else "./environment/bin/python")
    assert entries["spark.pyspark.python"] == expected
    assert entries["spark.master"].split(":")[0] in ("yarn", "k8s", "spark")

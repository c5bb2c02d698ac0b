"""`make dist`'s artifacts under spark-submit, and nothing else: the cluster path on every run.

``tools/build_dist.sh`` (what ``make dist`` runs: a no-op when ``dist/`` is current, ~20 s when
only the sources changed, ~1.5 min the first time, when it creates the dependency venv in
``build/dist-venv`` from PyPI or pip's cache) builds the wheel and the packed virtualenv. The
jobs are then submitted as a cluster runs them: the archive through ``--archives
...#environment``; the executors' Python is
``./environment/bin/python`` in their own working directory, where Spark unpacked the archive;
the driver's Python is the archive unpacked once here. The dev venv is on no path (not
PYSPARK_PYTHON, PATH or PYTHONPATH). Spark itself (the JVM, ``bin/spark-submit``, and the
``pyspark.zip`` / py4j it puts on every Python worker's PYTHONPATH) plays the cluster's: a
SPARK_HOME made of links into the pyspark package, as the archive carries no pyspark.

The master is ``local-cluster[1,2,1024]``, not ``local[2]``: in local mode Python workers start in
the driver's working directory, where ``./environment`` does not exist (Spark unpacks archives
under its SparkFiles folder), so the path every real cluster uses cannot be exercised there.
``local-cluster`` runs a standalone master and worker inside the submit JVM and a separate
executor JVM whose working directory holds the unpacked archive, as on YARN, Kubernetes and
standalone.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pyarrow.parquet as pq
import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD_TIMEOUT_S = 1800  # the first build creates the dependency venv from PyPI
SUBMIT_TIMEOUT_S = 600
MASTER = "local-cluster[1,2,1024]"  # 1 worker, 2 cores, 1024 MiB
SAMPLE = "warc/cc/CC-MAIN-2020-34-sample.warc.gz"  # 16 HTML documents (tests/extract)
# Variables through which the dev venv could leak into the submitted jobs.
LEAKY_ENV = ("PYSPARK_PYTHON", "PYSPARK_DRIVER_PYTHON", "PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV",
             "SPARK_HOME", "WEBCURATE_ASSETS")


def _run(cmd: list[str], timeout: float, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=timeout,
                          **kwargs)


def _tail(proc: subprocess.CompletedProcess, lines: int = 40) -> str:
    return "\n".join((proc.stdout + proc.stderr).splitlines()[-lines:])


def _cluster_spark_home(target: Path) -> Path:
    """A SPARK_HOME of links into the pyspark package (its jars, bin/ and python/lib/*.zip), with
    its own folder for the workers' ``work/`` (by default inside SPARK_HOME)."""
    package = Path(importlib.util.find_spec("pyspark").origin).parent
    target.mkdir()
    for entry in package.iterdir():
        if entry.name != "work":
            (target / entry.name).symlink_to(entry)
    return target


def _clean_env(spark_home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in LEAKY_ENV}
    dev_bin = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep)
                                  if p and Path(p) != Path(dev_bin))
    env.update(SPARK_HOME=str(spark_home), SPARK_LOCAL_IP="127.0.0.1")
    return env


@pytest.fixture(scope="module")
def packed(tmp_path_factory, shared_data) -> Iterator[SimpleNamespace]:
    """The artifacts of ``make dist``, the archive unpacked for the driver, a cluster SPARK_HOME."""
    build = _run(["bash", str(ROOT / "tools" / "build_dist.sh")], BUILD_TIMEOUT_S, cwd=ROOT)
    assert build.returncode == 0, _tail(build)
    dist = ROOT / "dist"
    base = tmp_path_factory.mktemp("dist")
    # A copy: a concurrent build may replace dist/'s archive while Spark serves it to executors.
    archive = Path(shutil.copy2(dist / "webcurate-venv.tar.gz", base))
    driver_env = base / "driver-environment"
    driver_env.mkdir()
    unpack = _run(["tar", "-xzf", str(archive), "-C", str(driver_env)], 300)
    assert unpack.returncode == 0, _tail(unpack)
    spark_home = _cluster_spark_home(base / "spark-home")
    yield SimpleNamespace(dist=dist, archive=archive, driver_env=driver_env,
                          driver_python=driver_env / "bin" / "python", spark_home=spark_home,
                          env=_clean_env(spark_home), base=base, data=shared_data)
    # ~0.5 GB per unpacked copy: keep the outputs and executor logs, not the environments.
    for unpacked in [driver_env, *(spark_home / "work").glob("app-*/*/environment")]:
        shutil.rmtree(unpacked, ignore_errors=True)
    archive.unlink()


def submit(packed: SimpleNamespace, job: str, *args: str) -> subprocess.CompletedProcess:
    """``spark-submit jobs/<job>.py`` with the packed archive as the only Python environment."""
    cmd = [str(packed.spark_home / "bin" / "spark-submit"), "--master", MASTER,
           "--archives", f"{packed.archive}#environment",
           "--conf", "spark.pyspark.python=./environment/bin/python",
           "--conf", f"spark.pyspark.driver.python={packed.driver_python}",
           "--conf", "spark.executor.memory=1g",
           "--conf", "spark.sql.shuffle.partitions=4",
           "--conf", "spark.ui.enabled=false",
           str(ROOT / "jobs" / f"{job}.py"), *args]
    return _run(cmd, SUBMIT_TIMEOUT_S, cwd=packed.base, env=packed.env)


@pytest.fixture(scope="module")
def extracted(packed) -> SimpleNamespace:
    output = packed.base / "extract"
    proc = submit(packed, "extract", "--set", f"input={packed.data / SAMPLE}",
                  "--set", f"output={output}")
    return SimpleNamespace(proc=proc, output=output)


def test_make_dist_builds_a_wheel_and_a_self_contained_venv_archive(packed):
    wheels = list(packed.dist.glob("webcurate-*-py3-none-any.whl"))
    assert len(wheels) == 1
    info = (packed.dist / "webcurate-venv.txt").read_text()
    assert "pyspark_included: no" in info and "\ninterpreter: /" in info
    site = next(packed.driver_env.glob("lib/python3*/site-packages"))
    assert (site / "webcurate" / "jobs" / "extract.py").is_file()  # installed, not editable
    assert not list(site.glob("__editable__*"))
    assert not (site / "pyspark").exists()  # the cluster's Spark provides it
    assert (packed.driver_env / "share/webcurate/recipes/fineweb.yaml").is_file()
    assert (packed.driver_env / "share/webcurate/assets/manifest.json").is_file()
    probe = _run([str(packed.driver_python), "-c",
                  "import sys, fasttext, resiliparse, webcurate, pyarrow\n"
                  "from webcurate.resources.lists import assets_dir\n"
                  "print(sys.prefix, hasattr(fasttext, 'train_supervised'), webcurate.__file__,"
                  " assets_dir(), sep='\\n')"], 120, cwd=packed.base, env=packed.env)
    assert probe.returncode == 0, _tail(probe)
    prefix, full_fasttext, module, assets = probe.stdout.split()
    assert Path(prefix) == packed.driver_env
    assert full_fasttext == "True"  # not fasttext-predict's module: the quality job trains
    assert Path(module).is_relative_to(packed.driver_env)
    assert Path(assets) == packed.driver_env / "share" / "webcurate" / "assets"


def test_extract_runs_under_spark_submit_from_the_archive_alone(packed, extracted):
    assert extracted.proc.returncode == 0, _tail(extracted.proc)
    stats = json.loads((extracted.output / "stats.json").read_text())
    assert stats["docs"] == 16 and stats["files_failed"] == 0
    assert stats["languages"] == {"zh": 11, "de": 2, "ru": 1, "en": 1, "nl": 1}
    docs = pq.read_table(extracted.output / "docs")
    assert docs.num_rows == 16 and len(set(docs.column("doc_id").to_pylist())) == 16
    # The executor ran in the worker's directory for this app, with the archive unpacked there
    # by --archives: ./environment/bin/python (the only Python it was given) resolved to it.
    executor_dirs = list((packed.spark_home / "work").glob("app-*/*/environment/pyvenv.cfg"))
    assert executor_dirs, "no executor unpacked the archive into its working directory"


def _decisions(prefix: Path) -> dict[str, str | None]:
    """doc_id -> reason (None when kept) from a filter run's kept/ and rejected/ files."""
    decisions = {}
    for path in sorted(prefix.glob("kept/*.parquet")) + sorted(prefix.glob("rejected/*/*.parquet")):
        table = pq.read_table(path, columns=["doc_id", "reason"])
        decisions.update(zip(table.column("doc_id").to_pylist(),
                             table.column("reason").to_pylist(), strict=True))
    return decisions


def _source_tree_decisions(docs: Path) -> dict[str, str | None]:
    """The same recipe through the pure filter chain of this source tree, in this process."""
    from webcurate.config import load_config
    from webcurate.filters.chain import run_chain
    from webcurate.filters.registry import Document
    from webcurate.filters.spark import steps_for
    from webcurate.jobs.filter import FilterJobConfig, chain_plan
    from webcurate.recipes import recipe_section

    config = load_config(FilterJobConfig, [], [f"input={docs}", "output=unused"],
                         base=recipe_section("fineweb", "filter"))
    steps = steps_for(json.dumps(chain_plan(config), sort_keys=True), config.storage)
    table = pq.read_table(docs, columns=["doc_id", "text", "url", "language", "language_score"])
    return {row["doc_id"]: run_chain(Document(row["text"], row["url"], row["language"],
                                              row["language_score"]), steps).reason
            for row in table.to_pylist()}


def test_fineweb_filter_from_the_archive_decides_as_the_source_tree(packed, extracted):
    """--recipe fineweb resolves in the archive's share/webcurate/recipes (the driver has no
    source tree) and url_blocklist reads FineWeb's lists from the executors' own
    ./environment/share/webcurate/assets."""
    assert extracted.proc.returncode == 0, _tail(extracted.proc)
    output = packed.base / "filter"
    proc = submit(packed, "filter", "--recipe", "fineweb",
                  "--set", f"input={extracted.output / 'docs'}", "--set", f"output={output}")
    assert proc.returncode == 0, _tail(proc)
    stats = json.loads((output / "stats.json").read_text())
    assert stats["documents_in"] == 16
    assert stats["removed_by_reason"] == {"language_not_allowed": 15}  # 15 of 16 not English
    decisions = _decisions(output)
    assert decisions == _source_tree_decisions(extracted.output / "docs")
    assert sum(reason is None for reason in decisions.values()) == stats["documents_kept"]

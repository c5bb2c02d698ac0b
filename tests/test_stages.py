"""The Stage protocol: every job is one registered Stage, and a package adds a job with one
module and one entry point (installed here with pip into a target directory)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from webcurate import stages

ROOT = Path(__file__).resolve().parents[1]

WORD_COUNT = '''
"""A job from another package: count words per document."""
from dataclasses import dataclass

from webcurate.config import option
from webcurate.jobs.common import JobResult
from webcurate.stages import Stage


@dataclass(frozen=True)
class WordCountConfig:
    input: list[str] = option(help="documents")
    output: str = option(help="output prefix")
    min_words: int = option(1, min=0, help="count documents with at least this many words")


def run(spark, config):
    return JobResult(stats={})


STAGE = Stage("word-count", "documents -> words per document", WordCountConfig, run)
'''

PYPROJECT = '''
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "webcurate-word-count"
version = "0.1.0"

[project.entry-points."webcurate.stages"]
word-count = "word_count:STAGE"

[tool.setuptools]
py-modules = ["word_count"]
'''


def test_setup_registers_every_job_module_and_the_pipeline_order():
    declared = dict(re.findall(r'"([\w-]+) = webcurate\.jobs\.(\w+):STAGE"',
                               (ROOT / "setup.py").read_text()))
    assert set(stages.all_stages()) == set(declared)
    assert stages.pipeline_stages() == ("extract", "filter", "dedup", "substring", "quality",
                                        "perplexity", "decontaminate", "gpt3", "pii",
                                        "tokenize")
    for name, stage in stages.all_stages().items():
        assert stage.name == name and stage.summary and stage.config_class
        if stage.pipeline_order is not None:
            assert stage.output_documents is not None


def test_every_stage_reports_documents_in_and_out_the_same_way():
    extract = stages.get_stage("extract").headline(
        {"html_responses": 22, "records_by_type": {"response": 30, "conversion": 72},
         "docs": 90})
    assert (extract["documents_in"], extract["documents_out"]) == (94, 90)
    for name in ("filter", "dedup"):
        counts = stages.get_stage(name).headline({"documents_in": 9, "documents_kept": 4})
        assert (counts["documents_in"], counts["documents_out"]) == (9, 4)
    counts = stages.get_stage("quality").headline({"docs": 9, "docs_kept": 3})
    assert (counts["documents_in"], counts["documents_out"]) == (9, 3)


def test_a_stage_from_another_package_is_a_webcurate_job(tmp_path):
    package = tmp_path / "word_count"
    package.mkdir()
    (package / "word_count.py").write_text(WORD_COUNT)
    (package / "pyproject.toml").write_text(PYPROJECT)
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--no-build-isolation", "--no-index", "--target", str(site), str(package)],
                   check=True)
    env = {**os.environ, "PYTHONPATH": str(site)}
    console = str(Path(sys.executable).parent / "webcurate")
    listed = subprocess.run([console, "--help"], env=env, capture_output=True, text=True,
                            check=False)
    assert "word-count" in listed.stdout
    described = subprocess.run([console, "word-count", "--help-config"], env=env,
                               capture_output=True, text=True, check=True)
    assert re.search(r"min_words\s+1\s+count documents", described.stdout)
    refused = subprocess.run([console, "word-count", "--set=input=x", "--set=output=y",
                              "--set=min_words=-1"], env=env, capture_output=True, text=True,
                             check=False)
    assert refused.returncode == 2 and "min_words" in refused.stderr


def test_a_stage_that_misnames_itself_is_refused():
    with pytest.raises(ValueError, match="needs output_documents"):
        stages.Stage("x", "x", object, lambda spark, config: None, pipeline_order=5)

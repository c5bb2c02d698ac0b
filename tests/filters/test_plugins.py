"""Filters are plugins: the ``webcurate.filters`` entry-point group, built-ins included.

The end-to-end test installs the README's complete plugin example with pip (into a target
directory put on ``PYTHONPATH``, so the project virtualenv is left as it was) and runs the filter
job on real documents through Spark: the plugin's reason and signals must come out, on the
executors' side too.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pyarrow.dataset as ds
import pytest

from webcurate.filters import builtin, registry
from webcurate.filters.base import Verdict
from webcurate.filters.plugin import Document, Filter, Transform

ROOT = Path(__file__).resolve().parents[2]
CC_DOCS = "text/cc/CC-MAIN-2019-30-697docs.jsonl.gz"


def test_setup_declares_every_builtin_family_and_the_registry_holds_them():
    setup = (ROOT / "setup.py").read_text()
    declared = dict(re.findall(r'"(\w+) = webcurate\.filters\.builtin:(\w+)"', setup))
    assert {name: getattr(builtin, attr) for name, attr in declared.items()} == builtin.FAMILIES
    names = [f.name for family in builtin.FAMILIES.values() for f in family]
    assert names == list(registry.REGISTRY)[:len(names)]
    assert {f.name for f in builtin.C4 if f.edits_text} == {"c4", "c4_tfds"}


def test_declared_signals_are_what_the_filters_measure():
    """The schema is declared, not probed: each built-in measures exactly its columns."""
    from webcurate.filters.chain import ChainStep, run_chain

    text = "A first line of words.\n\nAnd a second paragraph, with several more words here."
    for entry in registry.REGISTRY.values():
        if entry.load_resources is not None:
            continue  # lists: covered by the job tests
        outcome = run_chain(Document(text, "https://example.org/a", "en", 0.9),
                            [ChainStep(entry, entry.config_class())])
        assert list(outcome.signals) == [name for name, _ in entry.signals], entry.name
        for name, kind in entry.signals:
            value = outcome.signals[name]
            assert value is None or isinstance(value, (int, float) if kind is float else int)


def test_bad_plugins_fail_with_a_line_naming_them():
    def measure(doc, config, _):
        return Verdict.kept({})

    with pytest.raises(ValueError, match="signals are int or float"):
        Filter("odd", object, (("odd_text", str),), measure, lambda s, c: None)
    with pytest.raises(ValueError, match="snake_case"):
        Filter("Odd-Name", object, (), measure, lambda s, c: None)
    with pytest.raises(registry.PluginError, match=r"registered twice.*webcurate.*my-package"):
        registry.register(dataclasses.replace(registry.get_filter("length")), "my-package")
    with pytest.raises(registry.PluginError, match="not a webcurate Filter"):
        registry.register(object(), "my-package")
    assert isinstance(registry.get_filter("c4"), Transform)


def readme_plugin_files() -> dict[str, str]:
    """The README's example plugin: each ``shouting/<file>`` heading and its code block."""
    readme = (ROOT / "README.md").read_text()
    found = dict(re.findall(r"`shouting/([\w.]+)`:\n\n```\w+\n(.*?)```", readme, re.S))
    assert set(found) == {"shouting.py", "pyproject.toml"}
    return found


@pytest.mark.spark
def test_the_readme_plugin_installs_with_pip_and_runs_in_the_spark_job(shared_data, tmp_path):
    package = tmp_path / "shouting"
    package.mkdir()
    for name, content in readme_plugin_files().items():
        (package / name).write_text(content)
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--no-build-isolation", "--no-index", "--target", str(site), str(package)],
                   check=True)
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(site)}
    done = subprocess.run(
        [str(Path(sys.executable).parent / "webcurate"), "filter",
         f"--set=input={shared_data / CC_DOCS}", f"--set=output={out}",
         "--set=filters=shouting,gopher_quality",
         "--set=settings.shouting.max_upper_word_ratio=0.1", "--set=spark.master=local[2]"],
        check=False, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]

    # The expected outcome from the plugin's own pure functions, in this process.
    sys.path.insert(0, str(site))
    try:
        import shouting
    finally:
        sys.path.remove(str(site))
    config = shouting.ShoutingConfig(max_upper_word_ratio=0.1)
    with gzip.open(shared_data / CC_DOCS, "rt", encoding="utf-8") as f:
        docs = [json.loads(line) for line in f]
    expected = {d["id"]: shouting.measure(Document(d["text"]), config, None) for d in docs}
    shouted = {i for i, verdict in expected.items() if not verdict.keep}
    assert shouted, "the threshold must reject some real documents"

    rejected = ds.dataset(str(out / "rejected" / "filter=shouting"), format="parquet").to_table()
    assert set(rejected.column("id").to_pylist()) == shouted
    assert set(rejected.column("reason").to_pylist()) == {"shouting_too_many_upper_words"}
    kept = ds.dataset(str(out / "kept"), format="parquet").to_table()
    for row in kept.select(["id", "shouting_upper_word_ratio", "shouting_words"]).to_pylist():
        signals = expected[row["id"]].signals
        assert row["shouting_words"] == signals["shouting_words"]
        assert row["shouting_upper_word_ratio"] == pytest.approx(
            signals["shouting_upper_word_ratio"])
    assert "shouting" in done.stdout

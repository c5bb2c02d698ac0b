"""Recipes: ``webcurate recipes`` lists each one with its description and source, every recipe
carries both, and the c4 and fineweb recipes run end to end on the shared Common Crawl samples
(WET for c4, WARC for fineweb)."""

from __future__ import annotations

import json

import pyarrow.dataset as ds
import pytest
import yaml
from c4_oracle import CITATION

from webcurate.cli import main, run_job
from webcurate.recipes import SOURCE_RECIPES
from webcurate.text.sentences import count_sentences

RECIPE_FILES = sorted(SOURCE_RECIPES.glob("*.yaml"))


@pytest.mark.parametrize("path", RECIPE_FILES, ids=lambda p: p.stem)
def test_every_recipe_says_what_it_is_and_where_it_comes_from(path):
    recipe = yaml.safe_load(path.read_text())
    assert isinstance(recipe.get("description"), str) and "\n" not in recipe["description"]
    assert recipe["source"]["paper"] and recipe["source"]["code"]  # a URL, or why there is none
    assert path.read_text().startswith("#")  # the header: steps in order, deviations


def test_webcurate_recipes_lists_them_all(capsys):
    assert main(["recipes"]) == 0
    printed = capsys.readouterr().out
    for path in RECIPE_FILES:
        recipe = yaml.safe_load(path.read_text())
        assert f"{path.stem:<28}{recipe['description']}" in printed
        assert f"code: {recipe['source']['code']}" in printed


@pytest.mark.parametrize("recipe", ["c4", "fineweb"])
def test_recipe_configs_resolve_before_spark(recipe, capsys):
    assert run_job("pipeline", ["--recipe", recipe, "--set=input=x", "--set=output=y",
                                "--print-config"]) == 0
    config = yaml.safe_load(capsys.readouterr().out)
    if recipe == "c4":
        assert config["filter"]["filters"] == ["length", "c4_tfds", "c4_langdetect",
                                               "c4_badwords"]
        assert config["dedup"]["lines"]["key"] == "tfds"
    else:
        assert config["extract"]["extract"]["trafilatura_deduplicate"] is True
        assert config["dedup"]["normalize"]["style"] == "datatrove"
        assert config["dedup"]["exact_dedup"] is False


def pipeline_stats(out) -> dict:
    return json.loads((out / "stats.json").read_text())["stages"]


@pytest.mark.slow
@pytest.mark.spark
def test_c4_recipe_on_the_wet_samples(spark, shared_data, tmp_path):
    cc = shared_data / "warc" / "cc"
    inputs = ",".join(str(cc / name) for name in ("CC-MAIN-2016-50-sample.warc.wet.gz",
                                                  "CC-MAIN-2024-22-wikipedia-page.warc.wet.gz"))
    out = tmp_path / "c4"
    assert run_job("pipeline", ["--recipe", "c4", f"--set=input={inputs}",
                                f"--set=output={out}", "--set=report=false"], spark=spark) == 0
    stages = pipeline_stats(out)
    assert list(stages) == ["extract", "filter", "dedup"]
    filtered = json.loads((out / "filter" / "stats.json").read_text())["removed_by_reason"]
    assert filtered.get("c4_too_few_sentences") and filtered.get("c4_langdetect_not_allowed")
    dedup = json.loads((out / "dedup" / "stats.json").read_text())
    assert dedup["steps"] == ["url", "lines"]
    kept = ds.dataset(stages["dedup"]["documents"], format="parquet").to_table().to_pylist()
    assert 0 < len(kept) == stages["dedup"]["documents_out"] < stages["extract"]["documents_out"]
    seen: dict[str, str] = {}
    for row in kept:  # C4's invariants on every kept page
        text = row["text"]
        assert text == text.strip() and len(text) <= 190_000 and count_sentences(text) >= 3
        for line in text.split("\n"):
            assert line.endswith((".", "?", "!", '"')) and len(line.split()) >= 5
            assert not CITATION.search(line)
            assert seen.setdefault(line.strip().lower(), row["doc_id"]) == row["doc_id"]


@pytest.mark.slow
@pytest.mark.spark
def test_fineweb_recipe_on_the_warc_samples(spark, shared_data, tmp_path):
    cc = shared_data / "warc" / "cc"
    inputs = ",".join(str(cc / name) for name in ("CC-MAIN-2020-34-sample.warc.gz",
                                                  "CC-MAIN-2024-22-wikipedia-page.warc.gz"))
    out = tmp_path / "fineweb"
    assert run_job("pipeline", ["--recipe", "fineweb", f"--set=input={inputs}",
                                f"--set=output={out}", "--set=report=false"], spark=spark) == 0
    stages = pipeline_stats(out)
    assert list(stages) == ["extract", "filter", "dedup", "pii"]
    assert stages["extract"]["documents_out"] > 0
    dedup = json.loads((out / "dedup" / "stats.json").read_text())
    assert dedup["steps"] == ["near"]  # FineWeb: MinHash only, no exact pass
    kept = ds.dataset(stages[list(stages)[-1]]["documents"], format="parquet").to_table()
    assert set(kept.column("language").to_pylist()) <= {"en"}

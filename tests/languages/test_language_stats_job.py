"""language-stats: thresholds and stop words per language from a reference sample, on Spark
(percentile_approx per language), written as a settings folder the fineweb2 filters read."""

from __future__ import annotations

import json

import pytest
import yaml

from webcurate.cli import run_job
from webcurate.filters.gopher import GopherQualityConfig
from webcurate.filters.multilingual import load_table
from webcurate.languages.reference import udhr_documents

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def reference(shared_data, tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("reference") / "udhr.jsonl"
    with open(path, "w", encoding="utf-8") as out:
        for doc in udhr_documents(str(shared_data / "text/langid/udhr2.zip")):
            if doc["language"] in ("en", "zh", "de", "ps"):
                out.write(json.dumps(doc, ensure_ascii=False) + "\n")
    return str(path)


RULES = ('--set=rules=['
         '{"signal": "gopher_mean_word_length", "key": "gopher_quality.min_mean_word_length", '
         '"method": "english_ratio", "default": 3, "digits": 2}, '
         '{"signal": "gopher_mean_word_length", "key": "gopher_quality.max_mean_word_length", '
         '"method": "english_ratio", "default": 10, "digits": 2}, '
         '{"signal": "language_score", "key": "min_language_score", "percentile": 10}]')


def test_derived_settings_follow_each_languages_distribution(spark, reference, tmp_path):
    out = tmp_path / "settings"
    argv = [f"--set=input={reference}", f"--set=output={out}", RULES]
    assert run_job("language-stats", argv, spark=spark) == 0
    stats = json.loads((out / "stats.json").read_text())
    assert set(stats["documents_by_language"]) == {"en", "zh", "de"}
    assert stats["languages_below_min_documents"] == {"ps": 1}  # too few: the fallback's
    files = {p.name for p in out.iterdir()}
    assert {"en.yaml", "zh.yaml", "de.yaml", "default.yaml"} <= files
    assert "ps.yaml" not in files
    english = yaml.safe_load((out / "en.yaml").read_text())["filters"]
    # english_ratio: English is its own reference, so its thresholds are FineWeb's.
    assert english["gopher_quality"]["min_mean_word_length"] == 3.0
    assert english["gopher_quality"]["max_mean_word_length"] == 10.0
    assert {"the", "of", "and"} <= set(english["gopher_quality"]["stop_words"])
    chinese = yaml.safe_load((out / "zh.yaml").read_text())
    assert chinese["segmenter"] == "jieba"
    assert chinese["filters"]["gopher_quality"]["max_mean_word_length"] < 5
    german = yaml.safe_load((out / "de.yaml").read_text())["filters"]["gopher_quality"]
    assert german["max_mean_word_length"] > 10 and "der" in german["stop_words"]
    # The folder is what the fineweb2 filters read; the same thresholds come out.
    table = load_table(str(out))
    config = table.config("gopher_quality", GopherQualityConfig, "zh")
    assert config.max_mean_word_length == chinese["filters"]["gopher_quality"][
        "max_mean_word_length"]
    assert not table.has("ps")
    # The percentile rule: each language's language-ID minimum from its own scores.
    for language in ("en", "zh", "de"):
        score = yaml.safe_load((out / f"{language}.yaml").read_text())["min_language_score"]
        assert 0 < score <= 1 and table.min_language_score(language) == score
    assert table.min_language_score("ps") == 0.65  # default.yaml


@pytest.mark.slow
def test_a_rerun_writes_the_same_files(spark, reference, tmp_path):
    out = tmp_path / "settings"
    argv = [f"--set=input={reference}", f"--set=output={out}"]
    assert run_job("language-stats", argv, spark=spark) == 0
    before = {p.name: p.read_text() for p in out.iterdir() if p.name != "stats.json"}
    assert run_job("language-stats", argv, spark=spark) == 0
    assert {p.name: p.read_text() for p in out.iterdir() if p.name != "stats.json"} == before


def test_a_bad_rule_fails_at_start_naming_the_key(spark, reference, tmp_path, capsys):
    argv = [f"--set=input={reference}", f"--set=output={tmp_path / 'x'}",
            '--set=rules=[{"signal": "gopher_mean_word_length", "key": "gopher_quality.nope"}]']
    assert run_job("language-stats", argv, spark=spark) != 0
    assert "rules[0].key" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()

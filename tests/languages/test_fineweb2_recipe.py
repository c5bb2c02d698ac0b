"""The fineweb2 recipe end to end on the shared Common Crawl samples: extract -> per-language
filtering -> per-language dedup, with the report's kept / removed documents per language."""

from __future__ import annotations

import json

import pyarrow.dataset as ds
import pytest

from webcurate.cli import run_job
from webcurate.report.sections import languages_section, removed_by_language

pytestmark = pytest.mark.spark

WARCS = ("CC-MAIN-2020-34-sample.warc.gz", "CC-MAIN-2022-05-zh-page.warc.gz",
         "CC-MAIN-2024-22-wikipedia-page.warc.gz", "CC-MAIN-2016-50-sample.warc.wet.gz")


def url_lists(shared_data) -> list[str]:
    fineweb = shared_data / "lists" / "fineweb"
    archive = fineweb / "url_filterblacklistsv0_3_0.tar.gz"
    prefix = "--set=filter.settings.url_blocklist"
    return [f"{prefix}.domains={archive}#domains", f"{prefix}.urls={archive}#urls",
            f"{prefix}.banned_words={fineweb / 'banned_words.txt'}",
            f"{prefix}.banned_subwords={fineweb / 'banned_subwords.txt'}",
            f"{prefix}.soft_banned_words={fineweb / 'soft_banned_words.txt'}"]


def test_report_counts_removed_documents_per_language_per_stage():
    per_stage = {"after extract": {"zh": 14, "ru": 29, "en": 17},
                 "after filter": {"zh": 1, "ru": 2, "en": 2}, "after dedup": {"zh": 1, "en": 2}}
    assert removed_by_language(per_stage) == {
        "removed by filter": {"zh": 13, "ru": 27, "en": 15},
        "removed by dedup": {"zh": 0, "ru": 2, "en": 0}}
    _, _, html = languages_section(per_stage)
    assert "removed by filter" in html and "removed by dedup" in html


@pytest.mark.slow  # ~5 minutes on 2 busy cores (extract, a 5-filter chain, MinHash dedup)
def test_fineweb2_recipe_filters_and_deduplicates_every_language(spark, shared_data, tmp_path):
    out = tmp_path / "out"
    inputs = json.dumps([str(shared_data / "warc" / "cc" / name) for name in WARCS])
    argv = ["--recipe", "fineweb2", f"--set=input={inputs}", f"--set=output={out}",
            *url_lists(shared_data)]
    assert run_job("pipeline", argv, spark=spark) == 0
    stages = json.loads((out / "stats.json").read_text())["stages"]
    assert list(stages) == ["extract", "filter", "dedup"]
    extracted = ds.dataset(stages["extract"]["documents"], format="parquet").to_table(
        columns=["language"]).column("language").to_pylist()
    assert len(set(extracted) - {None, "en"}) >= 5  # zh, ru, vi, es, de...: not only English
    filtered = ds.dataset(stages["filter"]["documents"], format="parquet").to_table()
    assert None not in filtered.column("fineweb2_language_code").to_pylist()
    kept = ds.dataset(stages["dedup"]["documents"], format="parquet").to_table()
    assert kept.num_rows == stages["dedup"]["documents_out"] > 0
    assert set(kept.column("language").to_pylist()) - {"en"}  # other languages survive
    filter_stats = json.loads((out / "filter" / "stats.json").read_text())
    assert "fineweb2_gopher_quality" in filter_stats["removed_by_filter"]
    report = (out / "report" / "index.html").read_text()
    assert "removed by filter" in report and "zh" in report

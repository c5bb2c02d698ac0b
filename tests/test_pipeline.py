"""The pipeline end to end on the real Common Crawl samples: extract -> filter -> dedup, each
stage's committed output the next one's input, resumable, with config errors at start."""

from __future__ import annotations

import json

import pyarrow.dataset as ds
import pytest

from webcurate.cli import run_job

pytestmark = pytest.mark.spark


def url_lists(shared_data) -> list[str]:
    fineweb = shared_data / "lists" / "fineweb"
    archive = fineweb / "url_filterblacklistsv0_3_0.tar.gz"
    prefix = "--set=filter.settings.url_blocklist"
    return [f"{prefix}.domains={archive}#domains", f"{prefix}.urls={archive}#urls",
            f"{prefix}.banned_words={fineweb / 'banned_words.txt'}",
            f"{prefix}.banned_subwords={fineweb / 'banned_subwords.txt'}",
            f"{prefix}.soft_banned_words={fineweb / 'soft_banned_words.txt'}"]


def test_fineweb_recipe_from_warc_to_deduplicated_documents(spark, shared_data, tmp_path,
                                                           capsys):
    out = tmp_path / "out"
    argv = ["--recipe", "fineweb", f"--set=input={shared_data / 'warc' / 'cc'}",
            f"--set=output={out}", "--set=report=false", *url_lists(shared_data)]
    assert run_job("pipeline", argv, spark=spark) == 0
    stats = json.loads((out / "stats.json").read_text())
    stages = stats["stages"]
    assert list(stages) == ["extract", "filter", "dedup", "pii"]  # FineWeb's PII step last
    # Every stage reports the same two counts (the Stage protocol's headline).
    assert stages["filter"]["documents_in"] == stages["extract"]["documents_out"]
    assert stages["dedup"]["documents_in"] == stages["filter"]["documents_out"]
    assert stages["pii"]["documents_in"] == stages["pii"]["documents_out"] == stages["dedup"][
        "documents_out"]  # PII anonymises, it removes no document
    kept = ds.dataset(stages["dedup"]["documents"], format="parquet").to_table()
    assert kept.num_rows == stages["dedup"]["documents_out"]
    extract = json.loads((out / "extract" / "stats.json").read_text())
    assert stages["extract"]["documents_in"] == extract["html_responses"] + extract[
        "records_by_type"].get("conversion", 0) >= stages["extract"]["documents_out"]
    assert set(kept.column("language").to_pylist()) <= {"en"}
    printed = capsys.readouterr().out
    assert "[pipeline] stage 1/4 extract" in printed and "[pipeline] stage 3/4 dedup" in printed

    # A rerun finds every stage committed and redoes nothing.
    assert run_job("pipeline", argv, spark=spark) == 0
    filter_stats = json.loads((out / "filter" / "stats.json").read_text())
    dedup_stats = json.loads((out / "dedup" / "stats.json").read_text())
    extract_stats = json.loads((out / "extract" / "stats.json").read_text())
    assert filter_stats["run"]["already_committed"] is True
    assert dedup_stats["run"]["reused_committed_run"] is True
    assert extract_stats["run"]["inputs_already_committed"] == extract_stats["run"][
        "inputs_resolved"]


@pytest.mark.parametrize("override, named", [
    ("filter.settings.c4.min_sentencez=3", "filter.settings.c4.min_sentencez"),
    ("dedup.minhash.bands=3", "dedup.minhash.bands"),
    ("stages=extract,quality", "quality.model"),
    ("stages=filter,extract", "'stages'"),
    ("filter.settings.url_blocklist.domains=/nope/list.txt",
     "filter.settings.url_blocklist.domains"),
])
def test_a_bad_stage_setting_fails_at_start_naming_the_stage_key(spark, shared_data, tmp_path,
                                                                 capsys, override, named):
    argv = ["--recipe", "fineweb", f"--set=input={shared_data / 'warc' / 'cc'}",
            f"--set=output={tmp_path / 'o'}", f"--set={override}"]
    assert run_job("pipeline", argv, spark=spark) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and named in err[0]
    assert not (tmp_path / "o").exists()

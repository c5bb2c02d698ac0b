"""The filter job end to end: real documents, real local Spark, the S3 server on loopback.

Expected outcomes are never written down: they are recomputed here by the pure chain
(``webcurate.filters.chain.run_chain``) on the same documents, so the test checks that the Spark
job routes, annotates and counts exactly what the pure functions decide.
"""

from __future__ import annotations

import gzip
import json
from collections import Counter
from pathlib import Path

import pyarrow.dataset as ds
import pytest

from webcurate.cli import run_job
from webcurate.config import load_config
from webcurate.filters.chain import ChainStep, run_chain
from webcurate.filters.registry import Document, get_filter, signal_names
from webcurate.jobs.filter import FilterJobConfig

pytestmark = pytest.mark.spark

CC_DOCS = "text/cc/CC-MAIN-2019-30-697docs.jsonl.gz"


def run_filter(spark, *overrides: str, recipe: str | None = None) -> int:
    argv = ["--recipe", recipe] if recipe else []
    return run_job("filter", [*argv, *[f"--set={o}" for o in overrides]], spark=spark)


def read(prefix: Path, name: str):
    return ds.dataset(str(prefix / name), format="parquet", partitioning="hive").to_table()


def expected_outcomes(shared_data: Path, overrides: list[str]) -> dict[str, tuple]:
    """doc id -> (filter, reason, text out) by the pure chain, with the job's own settings."""
    config = load_config(FilterJobConfig, [], ["input=x", "output=y", *overrides])
    steps = [ChainStep(get_filter(n), getattr(config.settings, n)) for n in config.filters]
    with gzip.open(shared_data / CC_DOCS, "rt", encoding="utf-8") as f:
        docs = [json.loads(line) for line in f]
    outcomes = {}
    for d in docs:
        outcome = run_chain(Document(d["text"], d["metadata"].get("url")), steps)
        text = d["text"] if outcome.filter else outcome.text
        outcomes[d["id"]] = (outcome.filter, outcome.reason, text)
    return outcomes


def by_id(prefix: Path) -> dict[str, tuple]:
    kept, rejected = read(prefix, "kept"), read(prefix, "rejected")
    rows = {}
    for table in (kept, rejected):
        for r in table.select(["id", "filter", "reason", "text"]).to_pylist():
            assert r["id"] not in rows
            rows[r["id"]] = (r["filter"], r["reason"], r["text"])
    return rows


CHAIN = "filters=gopher_repetition,gopher_quality,c4,fineweb"


@pytest.fixture(scope="module")
def chain_output(spark, shared_data, tmp_path_factory) -> Path:
    """The four-filter chain over the 697 real documents, run once for this module."""
    out = tmp_path_factory.mktemp("chain") / "out"
    assert run_filter(spark, f"input={shared_data / CC_DOCS}", f"output={out}", CHAIN,
                      "measure_after_reject=true") == 0
    return out


def test_a_chain_on_real_documents_matches_the_pure_functions(chain_output, shared_data):
    out = chain_output

    expected = expected_outcomes(shared_data, [CHAIN, "measure_after_reject=true"])
    assert by_id(out) == expected  # decisions, reasons, and text (C4's line removal on kept)

    stats = json.loads((out / "stats.json").read_text())
    assert stats["documents_in"] == 697
    assert stats["documents_kept"] == sum(1 for f, _, _ in expected.values() if f is None)
    assert stats["removed_by_reason"] == dict(Counter(r for _, r, _ in expected.values() if r))
    assert stats["removed_by_filter"] == {
        name: sum(1 for f, _, _ in expected.values() if f == name)
        for name in ("gopher_repetition", "gopher_quality", "c4", "fineweb")}

    kept, rejected = read(out, "kept"), read(out, "rejected")
    signals = signal_names(["gopher_repetition", "gopher_quality", "c4", "fineweb"])
    for table in (kept, rejected):
        assert set(signals) <= set(table.schema.names)  # signals on both outputs
    assert kept.column("gopher_word_count").null_count == 0
    assert rejected.column("fineweb_lines").null_count == 0  # measured after the rejection
    # every rejected row sits in its filter's folder and carries its reason
    for folder in (out / "rejected").iterdir():
        part = ds.dataset(str(folder), format="parquet").to_table()
        assert set(part.column("filter").to_pylist()) <= {folder.name.split("=", 1)[1]}
        assert part.column("reason").null_count == 0


def test_annotated_redecision_equals_a_fresh_run_with_the_new_thresholds(
        spark, shared_data, chain_output, tmp_path):
    first, again, fresh = chain_output, tmp_path / "again", tmp_path / "fresh"
    retuned = ["settings.gopher_quality.min_alpha_words_frac=0.5",
               "settings.c4.min_sentences=2", "settings.fineweb.max_short_line_ratio=0.9"]
    assert run_filter(spark, f"input={first}", f"output={again}", CHAIN, "annotated=true",
                      "measure_after_reject=true", *retuned) == 0
    assert run_filter(spark, f"input={shared_data / CC_DOCS}", f"output={fresh}", CHAIN,
                      *retuned) == 0

    redecided, recomputed = by_id(again), by_id(fresh)
    assert redecided == recomputed
    assert redecided != by_id(first)  # the new thresholds did change decisions


def test_annotated_input_without_every_signal_is_refused_at_start(spark, shared_data, tmp_path,
                                                                  capsys):
    first = tmp_path / "first"
    assert run_filter(spark, f"input={shared_data / CC_DOCS}", f"output={first}",
                      "filters=gopher_quality,fineweb") == 0  # stops at the first rejection
    capsys.readouterr()
    assert run_filter(spark, f"input={first}", f"output={tmp_path / 'again'}",
                      "filters=gopher_quality,fineweb", "annotated=true") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "measure_after_reject" in err[0]


def test_rerun_is_idempotent_and_another_run_on_the_same_output_is_refused(
        spark, shared_data, tmp_path, capsys):
    out = tmp_path / "out"
    args = [f"input={shared_data / CC_DOCS}", f"output={out}"]
    gopher = "filters=gopher_quality,gopher_repetition"
    assert run_filter(spark, *args, gopher) == 0
    files = sorted(p.relative_to(out) for p in out.rglob("*.parquet"))
    first_stats = json.loads((out / "stats.json").read_text())

    assert run_filter(spark, *args, gopher) == 0
    again = json.loads((out / "stats.json").read_text())
    assert again["run"]["already_committed"] is True
    assert sorted(p.relative_to(out) for p in out.rglob("*.parquet")) == files
    assert {k: v for k, v in again.items() if k != "run"} == \
        {k: v for k, v in first_stats.items() if k != "run"}

    capsys.readouterr()
    assert run_filter(spark, *args, gopher) == 0
    assert run_filter(spark, *args, "filters=gopher_quality") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "overwrite=true" in err[0]
    assert run_filter(spark, *args, "filters=gopher_quality", "overwrite=true") == 0
    assert not (out / "rejected" / "filter=gopher_repetition").exists()


def test_s3_input_and_output(spark, shared_data, s3_server, tmp_path):
    bucket = s3_server.make_bucket()
    client = s3_server.client()
    client.upload_file(str(shared_data / CC_DOCS), bucket, "in/docs.jsonl.gz")
    endpoint = [f"storage.endpoint_url={s3_server.endpoint_url}"]
    out = f"s3://{bucket}/out"
    assert run_filter(spark, f"input=s3://{bucket}/in/docs.jsonl.gz", f"output={out}",
                      "filters=gopher_quality", *endpoint) == 0
    keys = s3_server.keys(bucket, "out/")
    assert "out/stats.json" in keys and any(k.startswith("out/_commits/") for k in keys)
    assert any(k.startswith("out/rejected/filter=gopher_quality/part-") for k in keys)
    assert not [k for k in keys if "_staging" in k]
    stats = json.loads(client.get_object(Bucket=bucket, Key="out/stats.json")["Body"].read())

    local = tmp_path / "local"
    assert run_filter(spark, f"input={shared_data / CC_DOCS}", f"output={local}",
                      "filters=gopher_quality") == 0
    local_stats = json.loads((local / "stats.json").read_text())
    for key in ("documents_in", "documents_kept", "removed_by_reason"):
        assert stats[key] == local_stats[key]


@pytest.mark.parametrize("override, named", [
    ("filters=gopher_quality,no_such_filter", "'filters'"),
    ("settings.gopher_quality.min_doc_wordz=3", "settings.gopher_quality.min_doc_wordz"),
    ("settings.fineweb.max_short_line_ratio=2", "settings.fineweb.max_short_line_ratio"),
    ("filters=c4,c4_tfds", "'filters'"),
    ("input=/nonexistent/docs.jsonl", "'input'"),
])
def test_bad_config_fails_at_start_with_one_line(spark, tmp_path, capsys, override, named):
    docs = tmp_path / "docs.jsonl"
    docs.write_text('{"text": "a"}\n')
    assert run_filter(spark, f"input={docs}", f"output={tmp_path / 'o'}",
                      "filters=gopher_quality", override) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and named in err[0]
    assert not (tmp_path / "o").exists()


def test_unknown_recipe_names_the_known_ones(spark, tmp_path, capsys):
    assert run_filter(spark, "input=x", f"output={tmp_path}", recipe="nope") == 2
    err = capsys.readouterr().err
    assert "unknown recipe 'nope'" in err and "gopher" in err


def fineweb_lists(shared_data: Path) -> list[str]:
    """FineWeb's URL lists by path from ../shared/data/lists (tests never use installed assets)."""
    fineweb = shared_data / "lists" / "fineweb"
    archive = fineweb / "url_filterblacklistsv0_3_0.tar.gz"
    return [f"settings.url_blocklist.domains={archive}#domains",
            f"settings.url_blocklist.urls={archive}#urls",
            f"settings.url_blocklist.banned_words={fineweb / 'banned_words.txt'}",
            f"settings.url_blocklist.banned_subwords={fineweb / 'banned_subwords.txt'}",
            f"settings.url_blocklist.soft_banned_words={fineweb / 'soft_banned_words.txt'}"]


def test_the_fineweb_recipe_on_documents_with_url_and_language(spark, shared_data, tmp_path):
    """The whole recipe, URL lists and language column included, against the pure chain."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from webcurate.extract.language import get_language_identifier
    from webcurate.io.storage import StorageConfig
    from webcurate.recipes import recipe_section
    from webcurate.resources.filters import load_url_blocklist_resources

    identifier = get_language_identifier()
    with gzip.open(shared_data / CC_DOCS, "rt", encoding="utf-8") as f:
        docs = [json.loads(line) for line in f]
    rows = []
    for d in docs:
        language, score = identifier.predict(d["text"]) if d["text"] else (None, None)
        rows.append({"id": d["id"], "text": d["text"], "url": d["metadata"]["url"],
                     "language": language, "language_score": score})
    (tmp_path / "docs").mkdir()
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "docs" / "docs.parquet")

    lists = fineweb_lists(shared_data)
    out = tmp_path / "out"
    assert run_filter(spark, f"input={tmp_path / 'docs'}", f"output={out}", *lists,
                      recipe="fineweb") == 0

    section = recipe_section("fineweb", "filter")
    config = load_config(FilterJobConfig, [], ["input=x", "output=y", *lists], base=section)
    steps = []
    for name in config.filters:
        settings = getattr(config.settings, name)
        lists_loaded = (load_url_blocklist_resources(settings, StorageConfig())
                        if name == "url_blocklist" else None)
        steps.append(ChainStep(get_filter(name), settings, lists_loaded))
    expected = {}
    for r in rows:
        outcome = run_chain(Document(r["text"], r["url"], r["language"], r["language_score"]),
                            steps)
        expected[r["id"]] = (outcome.filter, outcome.reason,
                             r["text"] if outcome.filter else outcome.text)
    assert by_id(out) == expected
    stats = json.loads((out / "stats.json").read_text())
    assert stats["removed_by_filter"]["language"] > 300  # 55 languages in, English out
    assert stats["documents_kept"] > 0

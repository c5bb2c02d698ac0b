"""The decontaminate job end to end on real data: GSM8K, HumanEval and PIQA items planted in
the 697 real CC documents are removed (or redacted), exactly those documents; the three
indexes (broadcast array, Bloom filter + join, join) agree; stats and the report section."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.dataset as ds
import pytest

from decontam.planting import benchmark_config, planted_documents, write_jsonl
from webcurate.cli import run_job
from webcurate.config import build
from webcurate.decontam.benchmarks import BenchmarkSpec
from webcurate.decontam.core import NgramIndex, decontaminate

pytestmark = pytest.mark.spark


def run(spark, *overrides: str) -> int:
    return run_job("decontaminate", [f"--set={o}" for o in overrides], spark=spark)


def read(prefix: Path, name: str) -> list[dict]:
    return ds.dataset(str(prefix / name), format="parquet").to_table().to_pylist()


@pytest.fixture(scope="module")
def corpus(shared_data, tmp_path_factory):
    docs, planted = planted_documents(shared_data)
    path = write_jsonl(docs, tmp_path_factory.mktemp("decontam") / "docs.jsonl.gz")
    return path, docs, planted


def benchmarks_arg(shared_data) -> str:
    return f"benchmarks={json.dumps(benchmark_config(shared_data))}"


@pytest.fixture(scope="module")
def removed_run(spark, shared_data, corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("removed") / "out"
    assert run(spark, f"input={corpus[0]}", f"output={out}", benchmarks_arg(shared_data),
               "index=broadcast") == 0
    return out


def test_planted_items_are_removed_and_nothing_else(removed_run, corpus):
    _, docs, planted = corpus
    removed = read(removed_run, "removed")
    assert {r["id"] for r in removed} == {docs[p.doc_index]["id"] for p in planted}
    by_id = {docs[p.doc_index]["id"]: p for p in planted}
    for row in removed:
        assert row["decontam_benchmarks"] == [by_id[row["id"]].benchmark]
        assert row["decontam_reason"] == "contaminated" and row["decontam_ngrams"] > 0
        assert row["text"] == docs[by_id[row["id"]].doc_index]["text"]  # removed whole
    kept = read(removed_run, "kept")
    assert len(kept) == len(docs) - len(planted)
    assert all(r["decontam_benchmarks"] is None for r in kept)

    stats = json.loads((removed_run / "stats.json").read_text())
    assert (stats["documents_in"], stats["documents_removed"]) == (697, 7)
    assert stats["removed_by_reason"] == {"contaminated": 7}
    assert stats["index"]["kind"] == "broadcast"
    bench = stats["benchmarks"]
    assert {n: b["contaminated_documents"] for n, b in bench.items()} == \
        {"gsm8k": 3, "humaneval": 2, "piqa": 2}
    assert {n: b["items_matched"] for n, b in bench.items()} == \
        {"gsm8k": 3, "humaneval": 2, "piqa": 2}
    assert (bench["gsm8k"]["items"], bench["humaneval"]["items"]) == (1319, 164)
    examples = bench["humaneval"]["examples"]
    assert {e["item"] for e in examples} == {"HumanEval/7", "HumanEval/120"}
    for example in examples:
        assert example["url"] and len(example["ngram"].split()) == 13
        assert "[[" in example["excerpt"] and "]]" in example["excerpt"]


@pytest.mark.slow
@pytest.mark.parametrize("index", ["bloom", "join"])
def test_every_index_finds_the_same_documents(spark, shared_data, corpus, removed_run,
                                              tmp_path, index):
    out = tmp_path / index
    assert run(spark, f"input={corpus[0]}", f"output={out}", benchmarks_arg(shared_data),
               f"index={index}") == 0
    assert sorted(r["id"] for r in read(out, "removed")) == \
        sorted(r["id"] for r in read(removed_run, "removed"))
    stats = json.loads((out / "stats.json").read_text())
    assert stats["index"]["kind"] == index
    before = json.loads((removed_run / "stats.json").read_text())
    assert stats["benchmarks"] == before["benchmarks"]


@pytest.mark.slow
def test_redact_mode_cuts_the_matches_as_the_pure_core_does(spark, shared_data, corpus,
                                                            tmp_path):
    path, docs, planted = corpus
    out = tmp_path / "redact"
    assert run(spark, f"input={path}", f"output={out}", benchmarks_arg(shared_data),
               "action=redact") == 0
    kept = {r["id"]: r for r in read(out, "kept")}
    assert len(kept) == len(docs) and not read(out, "removed")
    specs = [build(BenchmarkSpec, raw) for raw in benchmark_config(shared_data)]
    index = NgramIndex.build(specs, 13)
    expected = decontaminate([d["text"] for d in docs], index, "redact")
    for doc, (matches, decision) in zip(docs, expected, strict=True):
        assert kept[doc["id"]]["text"] == decision.text
        assert (kept[doc["id"]]["decontam_benchmarks"] is not None) == bool(matches.positions)
    for p in planted:
        assert p.text.strip()[:60] not in kept[docs[p.doc_index]["id"]]["text"]
    stats = json.loads((out / "stats.json").read_text())
    assert (stats["documents_kept"], stats["documents_redacted"]) == (697, 7)


@pytest.mark.slow
def test_rerun_reuses_the_committed_run(spark, shared_data, corpus, removed_run, capsys):
    assert run(spark, f"input={corpus[0]}", f"output={removed_run}",
               benchmarks_arg(shared_data), "index=broadcast") == 0
    assert "already committed" in capsys.readouterr().out


def test_a_benchmark_file_without_a_field_fails_at_start_in_one_line(spark, shared_data,
                                                                     corpus, tmp_path, capsys):
    config = benchmark_config(shared_data)
    config[2]["fields"] = ["goal", "sol1", "solution2"]
    assert run(spark, f"input={corpus[0]}", f"output={tmp_path / 'out'}",
               f"benchmarks={json.dumps(config)}") == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "benchmark 'piqa': file " in err and "/benchmarks/piqa/" in err
    assert "has no field 'solution2'" in err
    assert not (tmp_path / "out" / "kept").exists()


def test_the_report_section_shows_benchmarks_and_examples(removed_run):
    from webcurate.io.storage import StorageConfig
    from webcurate.report.decontam_pii import decontaminate_section
    from webcurate.report.stages import load_stage

    anchor, title, html = decontaminate_section(
        load_stage("decontaminate", str(removed_run), StorageConfig()))
    assert (anchor, title) == ("decontaminate", "Decontaminate")
    for text in ("gsm8k", "humaneval", "piqa", "HumanEval/7", "example matches", "broadcast"):
        assert text in html

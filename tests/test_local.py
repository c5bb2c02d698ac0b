"""webcurate without Spark agrees with the Spark jobs, document by document.

The input is real Common Crawl text (the 697-document CC-MAIN-2019-30 sample, languages from
lid.176 as extract would give them) with planted exact and near copies, so that the fineweb
chain, exact and MinHash dedup all have real decisions to make.
"""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

import pyarrow.dataset as ds
import pytest

from webcurate import local
from webcurate.cli import main, run_job
from webcurate.extract.language import get_language_identifier

CC_DOCS = "text/cc/CC-MAIN-2019-30-697docs.jsonl.gz"
FINEWEB_CHAIN = "url_blocklist,language,gopher_repetition,gopher_quality,c4,fineweb"


@pytest.fixture(scope="module")
def corpus(shared_data, tmp_path_factory) -> Path:
    """The sample as JSONL without ids (so they are derived), with language columns, plus
    exact copies and copies with one word changed."""
    lid = get_language_identifier()
    with gzip.open(shared_data / CC_DOCS, "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    docs = []
    for row in rows:
        language, score = lid.predict(row["text"])
        docs.append({"text": row["text"], "url": row["metadata"]["url"], "language": language,
                     "language_score": round(score, 4),
                     "warc_date": row["metadata"]["warc_date"]})
    rng = random.Random(7)
    for row in rng.sample(docs, 40):
        docs.append({**row, "warc_date": "2024-06-01T00:00:00Z"})  # a recapture, newer
    for row in rng.sample(docs[:697], 40):
        words = row["text"].split(" ")
        words[rng.randrange(len(words))] = "changed"
        docs.append({**row, "text": " ".join(words), "url": row["url"] + "?copy"})
    path = tmp_path_factory.mktemp("local") / "docs.jsonl"
    path.write_text("".join(json.dumps(d) + "\n" for d in docs))
    return path


@pytest.mark.spark
def test_the_fineweb_chain_decides_the_same_without_spark(spark, corpus, tmp_path):
    out = tmp_path / "filter"
    assert run_job("filter", ["--recipe", "fineweb", f"--set=input={corpus}",
                              f"--set=output={out}", f"--set=filters={FINEWEB_CHAIN}"],
                   spark=spark) == 0
    config = local.filter_config(recipe="fineweb", filters=FINEWEB_CHAIN.split(","))
    docs = local.read_documents(str(corpus))
    decisions = {d.doc_id: d for d in local.filter_documents(docs, config)}

    kept = ds.dataset(str(out / "kept"), format="parquet").to_table()
    rejected = ds.dataset(str(out / "rejected"), format="parquet",
                          partitioning="hive").to_table()
    seen = {}
    for row in kept.select(["doc_id", "text"]).to_pylist():
        seen[row["doc_id"]] = (None, None, row["text"])
    for row in rejected.select(["doc_id", "filter", "reason", "text"]).to_pylist():
        seen[row["doc_id"]] = (row["filter"], row["reason"], row["text"])
    assert len(seen) == len(decisions) == len(docs)
    assert {i: (d.filter, d.reason, d.text) for i, d in decisions.items()} == seen
    reasons = {d.reason for d in decisions.values()}
    assert len(reasons) >= 6 and None in reasons  # a real mix, not one verdict


@pytest.mark.spark
@pytest.mark.parametrize("overrides", [["mode=minhash"], ["mode=exact"],
                                       ["mode=minhash", "minhash.verify=true",
                                        "url_dedup=true", "survivor.rule=highest_score",
                                        "survivor.score_column=language_score"]],
                         ids=["minhash", "exact", "verify-url-score"])
def test_dedup_decides_the_same_without_spark(spark, corpus, tmp_path, overrides):
    out = tmp_path / "dedup"
    assert run_job("dedup", [f"--set=input={corpus}", f"--set=output={out}",
                             *[f"--set={o}" for o in overrides]], spark=spark) == 0
    result = local.dedup_documents(local.read_documents(str(corpus)),
                                   local.dedup_config(overrides=overrides))
    tag = next(p for p in out.iterdir() if (p / "kept").is_dir())
    kept = ds.dataset(str(tag / "kept"), format="parquet").to_table().column("doc_id")
    assert sorted(kept.to_pylist()) == sorted(result.kept)
    duplicates = ds.dataset(str(tag / "duplicates"), format="parquet").to_table()
    spark_rows = sorted(duplicates.to_pylist(), key=lambda r: r["doc_id"])
    assert [{k: r[k] for k in ("doc_id", "kind", "cluster_id", "survivor_id")}
            for r in spark_rows] == [{k: r[k] for k in ("doc_id", "kind", "cluster_id",
                                                        "survivor_id")}
                                     for r in result.duplicates]
    for ours, theirs in zip(result.duplicates, spark_rows, strict=True):
        assert ours["jaccard"] == pytest.approx(theirs["jaccard"])
    assert len(result.duplicates) >= 40  # the planted exact copies at least


def test_filter_sample_prints_decisions_and_writes_nothing(corpus, tmp_path, capsys):
    out = tmp_path / "never"
    assert main(["filter", "--recipe", "fineweb", f"--set=input={corpus}",
                 f"--set=output={out}", f"--set=filters={FINEWEB_CHAIN}", "--sample", "30"]) == 0
    printed = capsys.readouterr().out.splitlines()
    config = local.filter_config(recipe="fineweb", filters=FINEWEB_CHAIN.split(","))
    expected = local.filter_documents(local.read_documents(str(corpus), limit=30), config)
    for decision in expected:
        line = next(p for p in printed if decision.doc_id in p)
        assert ("kept" if decision.keep else decision.reason) in line
    assert not out.exists()


@pytest.mark.spark
def test_quality_scores_and_decisions_are_the_same_without_spark(spark, shared_data, corpus,
                                                                 tmp_path):
    from quality.test_quality_job import _train_tiny_model

    model = _train_tiny_model(shared_data, tmp_path / "tiny.bin",
                              ["lee_background.cor", "pg972-devils-dictionary.txt"], seed=0)
    overrides = [f"model={model}", "decision.mode=top_percent", "decision.top_percent=40",
                 "decision.group_by=language", "decision.min_group_docs=50",
                 "buckets.enabled=true", "write_rejected=true"]
    out = tmp_path / "quality"
    assert run_job("quality", [f"--set=input={corpus}", f"--set=output={out}",
                               *[f"--set={o}" for o in overrides]], spark=spark) == 0
    docs = local.read_documents(str(corpus))
    config = local.quality_config(overrides)
    scores = local.quality_scores(docs, str(model))
    decisions = {d.doc_id: d for d in local.quality_decisions(docs, scores, config)}

    kept = ds.dataset(str(out / "kept"), format="parquet").to_table()
    assert sorted(kept.column("doc_id").to_pylist()) == sorted(
        i for i, d in decisions.items() if d.keep)
    for row in kept.select(["doc_id", "quality_score"]).to_pylist():
        assert row["quality_score"] == pytest.approx(decisions[row["doc_id"]].score, abs=1e-6)
    for bucket in ("head", "middle", "tail"):
        written = ds.dataset(str(out / "buckets" / bucket), format="parquet").to_table()
        assert sorted(written.column("doc_id").to_pylist()) == sorted(
            i for i, d in decisions.items() if d.bucket == bucket)
    assert 0 < len(kept) < len(docs)

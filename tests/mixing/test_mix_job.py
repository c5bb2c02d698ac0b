"""The mix job on real data: the 697 CC-MAIN-2019-30 web documents and the shared English
Wikipedia excerpt (a MediaWiki .xml.bz2, read as text): weights 2:1 under a budget give token
shares of 2/3 and 1/3 within 1% and the budget within 1%; rehydration from a duplicates dataset
repeats each survivor as FineWeb-2's schedule says; the output order is a deterministic
shuffle."""

from __future__ import annotations

import gzip
import json

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from webcurate.cli import run_job
from webcurate.mixing import FINEWEB2_ITA_UP_TO_10, parse_schedule, repetitions

pytestmark = pytest.mark.spark
CC_DOCS = "text/cc/CC-MAIN-2019-30-697docs.jsonl.gz"
WIKI = "text/reference/enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"


def _mix(tmp_path, spark, sources: dict, *extra: str) -> tuple[list[dict], dict]:
    conf = tmp_path / "mix.yaml"
    conf.write_text(json.dumps({"sources": sources}))  # JSON is YAML
    out = tmp_path / "out"
    assert run_job("mix", ["--conf", str(conf), "--set", f"output={out}", *extra],
                   spark=spark) == 0
    rows = ds.dataset(out / "kept", format="parquet").to_table().to_pylist()
    return rows, json.loads((out / "stats.json").read_text())


def test_weights_two_to_one_give_the_shares(spark, shared_data, tmp_path):
    budget = 300_000
    rows, stats = _mix(tmp_path, spark, {
        "web": {"input": [str(shared_data / CC_DOCS)], "weight": 2},
        "wiki": {"input": [str(shared_data / WIKI)], "kind": "text", "weight": 1}},
        "--set", f"budget_tokens={budget}")
    tokens = {"web": 0, "wiki": 0}
    for row in rows:
        tokens[row["source"]] += row["tokens"]
    total = sum(tokens.values())
    assert abs(total - budget) / budget < 0.01
    assert abs(tokens["web"] / total - 2 / 3) < 0.01
    assert abs(tokens["wiki"] / total - 1 / 3) < 0.01
    assert stats["sources"]["web"]["tokens"] == tokens["web"]
    assert stats["sources"]["wiki"]["share"] == pytest.approx(tokens["wiki"] / total, abs=1e-5)
    # both sources were sampled below one epoch, each document at most once
    assert stats["sources"]["web"]["rate"] < 1 and stats["sources"]["wiki"]["rate"] < 1
    assert len({r["doc_id"] for r in rows}) == len(rows)
    assert all(r["copy"] == 0 for r in rows)
    # a deterministic shuffle: the two sources interleave in the files
    order = [r["source"] for r in rows]
    assert order != sorted(order)


@pytest.mark.slow  # a second mix run
def test_rehydration_repeats_survivors_by_cluster_size(spark, shared_data, tmp_path):
    with gzip.open(shared_data / CC_DOCS, "rt", encoding="utf-8") as f:
        docs = [json.loads(line) for line in f][:60]
    (tmp_path / "docs").mkdir()
    pq.write_table(pa.Table.from_pylist(
        [{"doc_id": d["id"], "text": d["text"], "url": d["metadata"]["url"]} for d in docs]),
        tmp_path / "docs" / "part-0.parquet")
    sizes = {docs[0]["id"]: 2, docs[1]["id"]: 5, docs[2]["id"]: 21, docs[3]["id"]: 200}
    dup_rows = [{"doc_id": f"removed-{s}-{i}", "kind": "near", "cluster_id": s,
                 "survivor_id": s, "jaccard": 0.9}
                for s, size in sizes.items() for i in range(size - 1)]
    (tmp_path / "dedup" / "duplicates").mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(dup_rows),
                   tmp_path / "dedup" / "duplicates" / "part-0.parquet")
    rows, stats = _mix(tmp_path, spark, {"web": {
        "input": [str(tmp_path / "docs")], "epochs": 1,
        "duplicates": str(tmp_path / "dedup")}})
    schedule = parse_schedule(FINEWEB2_ITA_UP_TO_10)
    copies: dict[str, int] = {}
    for row in rows:
        copies[row["source_doc_id"]] = copies.get(row["source_doc_id"], 0) + 1
    assert copies == {d["id"]: repetitions(sizes.get(d["id"], 1), schedule) for d in docs}
    assert [copies[s] for s in sizes] == [3, 6, 10, 1]
    assert len({r["doc_id"] for r in rows}) == len(rows)
    assert stats["sources"]["web"]["documents_rehydrated"] == 3  # size 200 repeats once

"""The filter benchmark's corpus and agreement check (real CC documents, tiny N, no model)."""

from __future__ import annotations

import gzip
import json

import pyarrow.parquet as pq

from .filter_corpus import (
    base_id,
    read_decisions,
    replicate,
    write_decisions,
    write_jsonl,
    write_parquet,
)
from .filter_report import compare, removed_by_filter


def _cc_documents(shared_data, count: int) -> list[dict]:
    path = shared_data / "text" / "cc" / "CC-MAIN-2019-30-697docs.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as f:
        rows = [json.loads(next(f)) for _ in range(count)]
    return [{"id": r["id"], "text": r["text"], "url": r["metadata"]["warc_url"],
             "language": "en", "language_score": 0.9} for r in rows]


def test_copies_get_distinct_ids_and_sit_a_whole_cycle_apart(shared_data):
    base = _cc_documents(shared_data, 7)
    docs = replicate(base, 30, seed=0)
    assert len({d["id"] for d in docs}) == 30
    assert {base_id(d["id"]) for d in docs} == {d["id"] for d in base}
    for i, doc in enumerate(docs[7:], start=7):
        assert doc["text"] == docs[i - 7]["text"] and base_id(doc["id"]) == base_id(
            docs[i - 7]["id"])
        assert all(docs[j]["text"] != doc["text"] for j in range(i - 6, i))
    assert replicate(base, 30, seed=0) == docs
    assert [d["id"] for d in replicate(base, 30, seed=1)] != [d["id"] for d in docs]


def test_both_corpus_files_hold_the_same_documents(shared_data, tmp_path):
    docs = replicate(_cc_documents(shared_data, 5), 12, seed=0)
    write_jsonl(tmp_path / "c.jsonl.gz", docs)
    write_parquet(tmp_path / "c.parquet", docs)
    with gzip.open(tmp_path / "c.jsonl.gz", "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    table = pq.read_table(tmp_path / "c.parquet").to_pylist()
    assert [r["id"] for r in rows] == [r["doc_id"] for r in table] == [d["id"] for d in docs]
    assert [r["text"] for r in rows] == [r["text"] for r in table]
    assert [r["metadata"]["url"] for r in rows] == [r["url"] for r in table]
    assert table[0]["url"].startswith("http") and rows[0]["metadata"]["language"] == "en"


def test_agreement_counts_keep_and_filter_disagreements(tmp_path):
    ours = {"a~0": (None, None), "a~1": (None, None), "b~0": ("c4", "c4_curly_bracket"),
            "c~0": ("fineweb", "fineweb_line_punct_ratio")}
    theirs = {"a~0": ("gopher_quality", None), "a~1": ("gopher_quality", None),
              "b~0": ("c4", "curly_bracket"), "c~0": ("c4", "too_few_sentences")}
    write_decisions(tmp_path / "d.jsonl", [(k, *v) for k, v in ours.items()])
    assert read_decisions(tmp_path / "d.jsonl") == ours
    result = compare(ours, theirs)
    assert result["keep_disagreements"] == 2 and result["keep_disagreement_base_docs"] == 1
    assert result["filter_disagreements"] == 3 and result["missing"] == 0
    assert [(e["doc"], e["copies"]) for e in result["examples"]] == [("a", 2), ("c", 1)]
    counts = removed_by_filter({"ours": ours}, ["gopher_quality", "c4", "fineweb"])
    assert counts["ours"] == {"kept": 2, "gopher_quality": 0, "c4": 1, "fineweb": 1}

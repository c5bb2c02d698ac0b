"""Exact-substring dedup: real Common Crawl documents with planted shared passages, against a
naive oracle (every 50-word window as a tuple of words in a dict: no hashing, no Spark)."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from pathlib import Path

import pyarrow.dataset as ds
import pytest

from webcurate.cli import run_job
from webcurate.substring.windows import (
    TOKEN,
    batch_windows,
    cut_marked,
    cut_spans,
    merge_windows,
)

pytestmark = pytest.mark.spark

CC_DOCS = "text/cc/CC-MAIN-2019-30-697docs.jsonl.gz"
BOOK = "text/reference/pg972-devils-dictionary.txt"
WIDTH = 50


def oracle(texts: dict[str, str], width: int = WIDTH) -> dict[str, str]:
    """Each text without the windows of ``width`` words that occur twice in the corpus."""
    windows = {doc_id: [tuple(words[i:i + width]) for i in range(len(words) - width + 1)]
               for doc_id, words in ((d, TOKEN.findall(t)) for d, t in texts.items())}
    counts = Counter(w for ws in windows.values() for w in ws)
    return {doc_id: cut_marked(texts[doc_id], [i for i, w in enumerate(ws) if counts[w] > 1],
                               width)["text"] for doc_id, ws in windows.items()}


def english_docs(shared_data: Path, count: int) -> list[dict]:
    rows = []
    with gzip.open(shared_data / CC_DOCS, "rt", encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            words = TOKEN.findall(row["text"])
            if 150 <= len(words) <= 3000:
                rows.append({"id": row["id"], "text": row["text"], "url": row["metadata"]["url"]})
            if len(rows) == count:
                break
    return rows


def passages(shared_data: Path, count: int, words: int) -> list[str]:
    text = (shared_data / BOOK).read_text(encoding="utf-8", errors="replace")
    book = TOKEN.findall(text[len(text) // 3:])
    return [" ".join(book[i * 1000:i * 1000 + words]) for i in range(count)]


def plant(text: str, passage: str) -> str:
    """``passage`` inserted at the paragraph break nearest the middle of ``text``."""
    middle = text.find("\n", len(text) // 2)
    middle = middle if middle > 0 else len(text)
    return f"{text[:middle]}\n{passage}\n{text[middle:]}"


def test_window_hashes_match_word_tuples_and_cut_touches_only_spans():
    texts = ["one two three four five six", "zero two three four five seven", "two three four"]
    doc, pos, hashes = batch_windows(texts, 3)
    by_tuple: dict[tuple, set[int]] = {}
    for d, p, h in zip(doc, pos, hashes, strict=True):
        words = TOKEN.findall(texts[d])[p:p + 3]
        by_tuple.setdefault(tuple(words), set()).add(int(h))
    assert all(len(h) == 1 for h in by_tuple.values())  # same window, same hash
    assert len({next(iter(h)) for h in by_tuple.values()}) == len(by_tuple)  # distinct differ
    assert merge_windows([4, 1, 2, 9], 3) == [(1, 7), (9, 12)]
    text = "keep  this\ncut cut cut\tand keep"
    assert cut_spans(text, [(2, 5)])[0] == "keep  this\nand keep"
    assert cut_spans(text, [(4, 7)])[0] == "keep  this\ncut cut"
    assert cut_spans(text, [(0, 7)])[0] == ""


def test_planted_passages_are_cut_from_every_copy_and_nothing_else(spark, shared_data, tmp_path):
    docs = english_docs(shared_data, 40)
    shared, twice, short = passages(shared_data, 3, 80)
    short = " ".join(short.split()[:WIDTH - 1])  # 49 words: below the window, never cut
    for row in docs[:3]:
        row["text"] = plant(row["text"], shared)
    docs[3]["text"] = plant(plant(docs[3]["text"], twice), twice)  # twice in one document
    for row in docs[4:6]:
        row["text"] = plant(row["text"], short)
    docs.append({"id": "only-shared", "text": shared, "url": "http://example.com/x"})
    path = tmp_path / "docs.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in docs), encoding="utf-8")

    out = tmp_path / "out"
    assert run_job("substring", [f"--set=input={path}", f"--set=output={out}"], spark=spark) == 0
    kept = ds.dataset(str(out / "kept"), format="parquet").to_table().to_pylist()
    by_url = {r["url"]: r["text"] for r in kept}
    expected = oracle({r["url"]: r["text"] for r in docs})

    assert "http://example.com/x" not in by_url  # emptied, dropped
    assert by_url == {u: t for u, t in expected.items() if TOKEN.search(t)}
    for row in docs[:4]:
        assert shared not in by_url[row["url"]] and twice not in by_url[row["url"]]
    for row in docs[4:6]:
        assert short in by_url[row["url"]]
    originals = {r["url"]: r["text"] for r in docs}
    untouched = [u for u in by_url if by_url[u] == originals[u]]
    assert len(untouched) >= 30  # real documents with no shared span stay byte-identical
    stats = json.loads((out / "stats.json").read_text())
    changed = [u for u in by_url if by_url[u] != originals[u]] + ["http://example.com/x"]
    assert stats["documents_changed"] == len(changed)
    assert stats["documents_emptied"] == stats["documents_dropped"] == 1
    assert stats["documents_kept"] == len(docs) - 1
    assert stats["tokens_removed"] >= 4 * 80 + 2 * 80
    assert stats["spans_removed"] >= 5
    assert run_job("substring", [f"--set=input={path}", f"--set=output={out}"], spark=spark) == 0
    assert json.loads((out / "stats.json").read_text())["run"]["reused_committed_run"]


def test_documents_sharing_a_node_get_distinct_window_keys(spark):
    from pyspark.sql import functions as F

    from webcurate.substring.spark import document_key

    docs = spark.createDataFrame([("a",), ("b",)], "doc_id string")
    node_a = docs.where("doc_id = 'a'").select(F.xxhash64("doc_id")).first()[0]
    rows = {r["doc_id"]: (r["key"], r["node"]) for r in docs.select(
        "doc_id", document_key([node_a]).alias("key"),
        F.xxhash64("doc_id").alias("node")).collect()}
    assert rows["a"][0] != rows["a"][1] and rows["b"][0] == rows["b"][1]


def test_bad_key_fails_at_start(spark, tmp_path, capsys):
    code = run_job("substring", [f"--set=input={tmp_path}", f"--set=output={tmp_path}/o",
                                 "--set=substring.min_token=50"], spark=spark)
    assert code != 0
    assert "substring.min_token" in capsys.readouterr().err


@pytest.mark.slow
def test_refinedweb_recipe_from_warc_cuts_exactly_the_oracles_spans(spark, shared_data,
                                                                     tmp_path):
    lists = shared_data / "lists" / "refinedweb"
    words = {kind: lists / f"refinedweb_banned_words_{kind}_reverse_engineered.txt"
             for kind in ("strict", "hard", "soft")}
    out = tmp_path / "out"
    argv = ["--recipe", "refinedweb",
            f"--set=input={shared_data / 'warc' / 'other' / 'wget-sample-000*.warc.gz'}",
            f"--set=output={out}", "--set=report=false",
            *[f"--set=filter.settings.refinedweb_url.{k}_words={p}" for k, p in words.items()]]
    assert run_job("pipeline", argv, spark=spark) == 0
    stages = json.loads((out / "stats.json").read_text())["stages"]
    assert list(stages) == ["extract", "filter", "dedup", "substring"]
    assert stages["substring"]["documents_in"] == stages["dedup"]["documents_out"] > 0
    before = ds.dataset(stages["dedup"]["documents"], format="parquet").to_table().to_pylist()
    after = ds.dataset(stages["substring"]["documents"], format="parquet").to_table().to_pylist()
    expected = oracle({r["doc_id"]: r["text"] for r in before})
    assert {r["doc_id"]: r["text"] for r in after} == {
        d: t for d, t in expected.items() if TOKEN.search(t)}
    substring = json.loads((out / "substring" / "stats.json").read_text())
    assert substring["documents_kept"] == len(after)

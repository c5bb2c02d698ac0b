"""Decontamination's pure core on real data: GSM8K, HumanEval and PIQA items planted in real
web documents are found, exactly those documents and nothing else; redaction cuts the
matches out; GPT-3's too-common rule; bad benchmark files."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from decontam.planting import benchmark_config, cc_documents, plant, planted_documents
from webcurate.config import ConfigError, build
from webcurate.decontam.benchmarks import BenchmarkSpec, check_benchmark
from webcurate.decontam.core import NgramIndex, decontaminate, find_matches
from webcurate.decontam.ngrams import batch_ngrams, ngram_hashes, text_ngram_hashes
from webcurate.decontam.normalize import words, words_with_spans
from webcurate.decontam.redact import redact
from webcurate.decontam.settings import RedactSettings


@pytest.fixture(scope="module")
def index(shared_data) -> NgramIndex:
    specs = [build(BenchmarkSpec, raw) for raw in benchmark_config(shared_data)]
    return NgramIndex.build(specs, 13)


def test_words_are_gpt3_grams_lowercase_no_punctuation():
    assert words("Janet\u2019s ducks lay 16 eggs; she sells them for $2!") == \
        [b"janets", b"ducks", b"lay", b"16", b"eggs", b"she", b"sells", b"them", b"for", b"2"]
    assert words("def f(x):\n    return x + 1  # — done") == \
        [b"def", b"fx", b"return", b"x", b"1", b"done"]
    assert words("Ünïcode\u00a0WORDS\u3000split") == ["ünïcode".encode(), b"words", b"split"]


def test_the_fast_and_the_span_tokenisers_agree_on_real_text(shared_data):
    texts = [d["text"] for d in cc_documents(shared_data)]
    texts.append((shared_data / "text/reference/pg972-devils-dictionary.txt").read_text(
        encoding="utf-8", errors="replace"))
    for text in texts:
        found, spans = words_with_spans(text)
        assert found == words(text)
        assert all(text[a:b].strip() == text[a:b] and b > a for a, b in spans)


def test_ngram_hashes_are_stable_and_batched_like_one_by_one():
    assert text_ngram_hashes("one two three four", 3).tolist() == \
        text_ngram_hashes("ONE, two; three... four!", 3).tolist()
    assert len(set(text_ngram_hashes(" ".join(str(i) for i in range(1000)), 13).tolist())) == 988
    lists = [words("a b c d e f"), [], words("x y"), words("a b c d")]
    hashes, doc, position = batch_ngrams(lists, 3)
    for d, ws in enumerate(lists):
        assert hashes[doc == d].tolist() == ngram_hashes(ws, 3).tolist()
        assert position[doc == d].tolist() == list(range(max(0, len(ws) - 2)))
    # a fixed function: the same value in every process and on every machine
    assert int(text_ngram_hashes("a b c", 3)[0]) == int(np.int64(
        text_ngram_hashes("A. B, C!", 3)[0]))


def test_the_shared_benchmarks_are_read_with_their_fields(index):
    by_name = {s.name: s for s in index.summaries}
    assert {n: s.items for n, s in by_name.items()} == {"gsm8k": 1319, "humaneval": 164,
                                                         "piqa": 1838 + 3084}
    assert by_name["gsm8k"].ngrams > 100_000 and by_name["humaneval"].ngrams > 10_000
    # PIQA has items shorter than 13 words (goal "dresser" ...): counted, not an error
    assert by_name["piqa"].items_without_ngrams > 0
    assert by_name["gsm8k"].items_without_ngrams == 0
    assert all(s.malformed_rows == 0 and s.rows_missing_fields == 0 for s in index.summaries)


def test_real_documents_share_no_13gram_with_the_benchmarks(shared_data, index):
    docs = cc_documents(shared_data)
    assert not any(m.positions for m in find_matches([d["text"] for d in docs], index, None))


def test_planted_items_are_found_in_exactly_their_documents(shared_data, index):
    docs, planted = planted_documents(shared_data)
    matches = find_matches([d["text"] for d in docs], index)
    found = {i: m.benchmarks for i, m in enumerate(matches) if m.positions}
    assert set(found) == {p.doc_index for p in planted}
    for p in planted:
        assert set(found[p.doc_index]) == {p.benchmark}
        assert p.item in found[p.doc_index][p.benchmark]


def test_redact_cuts_every_match_and_its_window_and_keeps_the_rest(shared_data, index):
    docs, planted = planted_documents(shared_data)
    texts = [docs[p.doc_index]["text"] for p in planted]
    settings = RedactSettings()
    for (matches, decision), p, text in zip(decontaminate(texts, index, "redact", settings),
                                            planted, texts, strict=True):
        assert matches.positions and decision.keep, p
        assert len(decision.text) < len(text) - len(p.text)
        assert not find_matches([decision.text], index, None)[0].positions
        # the page before and after the planted item and its windows is kept as it was
        start = text.index(p.text.strip())
        end = start + len(p.text.strip())
        assert decision.text.startswith(text[:start - settings.window_chars])
        assert decision.text.endswith(text[end + settings.window_chars:])
        assert len(decision.text) == (start - settings.window_chars + len(settings.separator)
                                      + len(text) - end - settings.window_chars)
    removed = decontaminate(texts, index, "remove")
    assert all(not d.keep and d.reason == "contaminated" for _, d in removed)


def test_redaction_follows_gpt3_pieces_rules():
    text = "".join(f"{i:04d} " + "x" * 295 for i in range(40))  # 12,000 characters
    settings = RedactSettings(window_chars=200, min_piece_chars=200, max_pieces=10)
    one = redact(text, [(5000, 5100)], settings)
    assert one.text == text[:4800] + "\n\n" + text[5300:] and one.pieces == 2
    near_edge = redact(text, [(100, 150)], settings)  # the piece before it is dropped
    assert near_edge.text == text[350:] and near_edge.pieces == 1
    many = [(i * 1000, i * 1000 + 50) for i in range(1, 12)]  # 12 pieces
    assert redact(text, many, settings).reason == "too_many_pieces"
    assert redact(text[:600], [(200, 300)], settings).reason == "nothing_left"


def test_too_common_ngrams_are_ignored_as_gpt3_did(shared_data, index):
    docs = cc_documents(shared_data)
    gsm8k = benchmark_config(shared_data)[0]
    first = json.loads(Path(gsm8k["paths"][0]).read_text().splitlines()[0])
    quote = f"{first['question']}\n{first['answer']}"
    texts = [plant(docs[i]["text"], quote) for i in range(12)]
    assert not any(m.positions for m in find_matches(texts, index, max_documents_per_ngram=10))
    assert all(m.positions for m in find_matches(texts, index, max_documents_per_ngram=None))
    assert all(m.positions for m in find_matches(texts[:10], index, max_documents_per_ngram=10))


def test_a_missing_field_is_one_line_naming_the_file_and_the_field(shared_data):
    spec = build(BenchmarkSpec, {"name": "gsm8k", "fields": ["question", "answr"], "paths": [
        str(shared_data / "benchmarks/gsm8k/test.jsonl")]})
    with pytest.raises(ConfigError) as err:
        check_benchmark(spec, None)
    message = str(err.value)
    assert "\n" not in message and "gsm8k/test.jsonl" in message and "'answr'" in message


def test_bad_rows_of_a_benchmark_file_are_counted_not_fatal(tmp_path):
    path = tmp_path / "bench.jsonl.gz"
    with gzip.open(path, "wt") as handle:
        handle.write(json.dumps({"q": "one two three four five", "a": "six"}) + "\n")
        handle.write("{not json\n")
        handle.write(json.dumps({"q": "seven eight nine ten eleven twelve"}) + "\n")
        handle.write(json.dumps({"q": None, "a": ["thirteen", "fourteen", "fifteen"]}) + "\n")
    spec = build(BenchmarkSpec, {"name": "tiny", "paths": [str(path)], "fields": ["q", "a"]})
    index = NgramIndex.build([spec], 3)
    (summary,) = index.summaries
    assert (summary.items, summary.malformed_rows, summary.rows_missing_fields) == (3, 1, 2)
    assert summary.ngrams == 4 + 4 + 1
    found = find_matches(["it said: seven, eight, nine!"], index)[0]
    assert found.benchmarks == {"tiny": {"bench.jsonl.gz:2"}}

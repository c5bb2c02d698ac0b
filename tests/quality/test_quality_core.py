"""The pure quality core: normalisation, text corpora, metrics, percentile and Pareto maths."""

from __future__ import annotations

import io
import itertools
import math
import zipfile

import numpy as np
import pytest

from webcurate.quality import corpus, decide, metrics, training
from webcurate.quality.normalize import TextNormalization, normalize_for_fasttext
from webcurate.quality.wikitext import iter_mediawiki_articles, strip_wiki_markup

REFERENCE = "text/reference"
ENWIKI = f"{REFERENCE}/enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"


# --- normalisation ------------------------------------------------------------------------------

def test_normalisation_lowercases_spaces_punctuation_and_joins_lines():
    text = "Hello,   World!\n\nIt's a well-known (test)...\tDone\u00a0now"
    assert normalize_for_fasttext(text, TextNormalization()) == (
        "hello , world ! it's a well-known ( test ) . . . done now")
    assert normalize_for_fasttext(text, TextNormalization(lowercase=False,
                                                          punctuation_spacing=False)) == (
        "Hello, World! It's a well-known (test)... Done now")
    assert normalize_for_fasttext(text, TextNormalization(max_chars=5)) == "hello"


@pytest.mark.parametrize("text", [None, "", " \n\t "])
def test_blank_text_normalises_to_the_empty_line(text):
    assert normalize_for_fasttext(text, TextNormalization()) == ""


# --- plain text into documents ------------------------------------------------------------------

def test_documents_are_whole_paragraphs_within_the_size():
    paragraphs = [f"paragraph {i} " + "word " * (i * 7) for i in range(30)]
    lines = "\n\n".join(p.strip() for p in paragraphs).split("\n")
    docs = list(corpus.split_into_documents(lines, max_chars=300))
    assert all(len(doc) <= 300 for doc in docs)
    rebuilt = [p for doc in docs for p in doc.split("\n\n")]
    # Paragraphs up to 300 characters survive whole and in order; longer ones are cut in pieces.
    whole = [p.strip() for p in paragraphs if len(p.strip()) <= 300]
    assert [p for p in rebuilt if p.startswith("paragraph")][: len(whole)] == whole
    assert "".join(rebuilt).replace(" ", "") == "".join(
        p.strip() for p in paragraphs).replace(" ", "")


def test_a_line_longer_than_the_size_is_cut_at_whitespace_and_short_tails_dropped():
    line = " ".join(f"w{i:03d}" for i in range(100))  # 499 characters
    docs = list(corpus.split_into_documents([line, "", "tail"], max_chars=100, min_chars=10))
    assert all(len(d) <= 100 for d in docs)
    assert " ".join(d.replace("\n\n", " ") for d in docs).split() == line.split()
    assert not any(d == "tail" for d in docs)


def test_gutenberg_licence_is_left_out_of_a_real_book(shared_data):
    with open(shared_data / REFERENCE / "pg972-devils-dictionary.txt", "rb") as raw:
        docs = [text for _, _, text in corpus.iter_file_documents("pg972.txt", raw, 3000)]
    joined = "\n".join(docs)
    assert docs[0].lstrip().startswith("Produced by Aloysius")
    assert "THE DEVIL'S DICTIONARY" in joined and "ABASEMENT" in joined
    assert "Project Gutenberg-tm" not in joined and "START OF THIS PROJECT" not in joined
    assert max(len(d) for d in docs) <= 3000


def test_zip_members_are_units_and_readme_is_skipped(shared_data):
    with open(shared_data / "text/lowquality/webtext.zip", "rb") as raw:
        units = {unit: len(list(lines)) for unit, lines in
                 corpus.iter_text_units("webtext.zip", raw)}
    assert sorted(u.rsplit("/", 1)[-1] for u in units) == [
        "firefox.txt", "grail.txt", "overheard.txt", "pirates.txt", "singles.txt", "wine.txt"]
    assert all(count > 0 for count in units.values())


def test_zip_from_a_stream_that_cannot_seek():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("corpus/a.txt", "first para\n\nsecond para\n")
        archive.writestr("corpus/README", "about the corpus")

    class Unseekable(io.RawIOBase):
        def __init__(self, data):
            self._inner = io.BytesIO(data)

        def readable(self):
            return True

        def seekable(self):
            return False

        def readinto(self, b):
            return self._inner.readinto(b)

        def readall(self):  # the archive goes to a temporary file in chunks, not into memory
            raise AssertionError("the whole stream was read into memory")

    docs = list(corpus.iter_file_documents("x.zip", Unseekable(buffer.getvalue()), 1000))
    assert docs == [("x.zip!corpus/a.txt", 0, "first para\n\nsecond para")]


def test_mediawiki_dump_gives_plain_articles(shared_data):
    import bz2

    with bz2.open(shared_data / ENWIKI) as stream:
        articles = list(iter_mediawiki_articles(stream))
    # 206 pages, 100 of them redirects: the README's "95 articles" counts differently; every
    # remaining main-namespace page yields text.
    assert len(articles) == 106
    title, text = articles[0]
    assert title == "Anarchism"
    assert text.startswith("Anarchism is a political philosophy that advocates self-governed")
    joined = "\n".join(text for _, text in articles)
    for markup in ("<ref", "'''", "&quot;", "&lt;", "[[File:", "[[Category:"):
        assert markup not in joined, markup
    # The small rule set is not a renderer: the ASCII article's character chart (cells holding
    # literal brackets and braces) leaves a few strays in 2.9 M characters, nothing more.
    strays = sum(joined.count(m) for m in ("[[", "]]", "{{", "}}", "{|"))
    assert strays <= 5, strays


def test_wiki_markup_rules():
    wikitext = ("{{Infobox|a={{nested}}}}'''Bold''' [[Target|label]] and [[plain]]."
                "<ref>note</ref> [http://x.org site] [[File:x.jpg|thumb|a [[cap]]]]\n"
                "== Heading ==\n* item &amp; more<!-- hidden -->\n[[Category:Things]]")
    assert strip_wiki_markup(wikitext) == "Bold label and plain. site\nHeading\nitem & more"


def test_scoring_columns_replace_in_place_or_append():
    import pyarrow as pa

    from webcurate.quality.spark.scoring import merged_columns

    def field(name):
        return pa.field(name, pa.string())

    fields, columns = merged_columns(
        [(field("doc_id"), 1), (field("language"), 2), (field("text"), 3)],
        [(field("quality_score"), "s"), (field("language"), "lid")])
    assert [f.name for f in fields] == ["doc_id", "language", "text", "quality_score"]
    assert columns == [1, "lid", 3, "s"]


# --- training helpers ---------------------------------------------------------------------------

def test_class_sizes_cap_and_balance():
    available = {"hq": 5000, "cc": 1200}
    assert training.class_sample_sizes(available, None, balance=False) == available
    assert training.class_sample_sizes(available, None, balance=True) == {"hq": 1200, "cc": 1200}
    assert training.class_sample_sizes(available, 1000, balance=False) == {"hq": 1000, "cc": 1000}
    assert training.class_sample_sizes(available, 3000, balance=False) == {"hq": 3000, "cc": 1200}


@pytest.mark.parametrize(("count", "fraction", "expected"),
                         [(100, 0.1, 10), (5, 0.1, 1), (1, 0.5, 0), (0, 0.2, 0), (10, 0.0, 0),
                          (3, 0.5, 2)])
def test_holdout_size(count, fraction, expected):
    assert training.holdout_size(count, fraction) == expected


def test_unit_key_is_deterministic_and_uniform():
    keys = [training.unit_key(7, "hq", f"doc{i}") for i in range(20_000)]
    assert keys[:3] == [training.unit_key(7, "hq", f"doc{i}") for i in range(3)]
    assert training.unit_key(8, "hq", "doc0") != keys[0]
    assert all(0.0 <= k < 1.0 for k in keys)
    assert np.histogram(keys, bins=10, range=(0, 1))[0].min() > 1800


def test_training_lines_and_labels():
    assert training.fasttext_line("hq", "some text") == "__label__hq some text\n"
    assert training.label_token("__label__cc") == "__label__cc"


# --- metrics ------------------------------------------------------------------------------------

def test_roc_auc_equals_the_pairwise_definition_with_ties():
    rng = np.random.default_rng(3)
    labels = rng.random(300) < 0.4
    scores = np.round(rng.random(300) + labels * 0.3, 1)  # many ties
    pairs = [(p, n) for p, n in itertools.product(scores[labels], scores[~labels])]
    expected = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p, n in pairs) / len(pairs)
    assert metrics.roc_auc(labels, scores) == pytest.approx(expected, abs=1e-12)
    assert metrics.roc_auc(np.array([True, False]), np.array([0.9, 0.1])) == 1.0
    assert math.isnan(metrics.roc_auc(np.array([True, True]), np.array([0.1, 0.2])))


def test_precision_recall_at_a_threshold():
    labels = np.array([True, True, True, False, False, False, False])
    scores = np.array([0.9, 0.6, 0.4, 0.7, 0.2, 0.1, 0.5])
    result = metrics.binary_metrics(labels, scores, threshold=0.5)
    assert (result["true_positives"], result["false_positives"]) == (2, 2)
    assert (result["false_negatives"], result["true_negatives"]) == (1, 2)
    assert result["precision"] == 0.5 and result["recall"] == pytest.approx(2 / 3)
    assert result["f1"] == pytest.approx(4 / 7)
    assert result["roc_auc"] == pytest.approx(9 / 12)  # 4 + 3 + 2 of 12 pairs ordered


# --- decisions ----------------------------------------------------------------------------------

def test_quantile_is_the_ceil_rank_order_statistic():
    scores = [0.5, 0.1, 0.9, 0.3, 0.7]
    assert [decide.exact_quantile(scores, q) for q in (0.0, 0.2, 0.21, 0.5, 0.8, 1.0)] == [
        0.1, 0.1, 0.3, 0.5, 0.7, 0.9]


@pytest.mark.parametrize("top_percent", [1.0, 10.0, 33.3, 50.0, 99.0])
def test_top_percent_keeps_that_share_of_distinct_scores(top_percent):
    scores = np.random.default_rng(5).random(1000)
    threshold = decide.exact_quantile(scores, decide.quantile_for_top_percent(top_percent))
    kept = sum(decide.keeps_top(s, threshold) for s in scores)
    assert kept == 1000 - math.ceil((1 - top_percent / 100) * 1000)
    assert abs(kept - top_percent * 10) <= 1


def test_buckets_and_histogram():
    assert [decide.bucket_of(s, (0.3, 0.6)) for s in (0.1, 0.3, 0.31, 0.6, 0.61, None)] == [
        "tail", "tail", "middle", "middle", "head", "tail"]
    assert decide.histogram_counts([0.0, 0.04, 0.05, 0.5, 1.0, None], 20) == [
        2, 1, *[0] * 8, 1, *[0] * 8, 1]


def test_pareto_draws_are_seeded_by_document_and_follow_the_distribution():
    ids = [f"doc-{i}" for i in range(20_000)]
    draws = np.array([decide.pareto_draw(i, 9.0, seed=0) for i in ids])
    assert draws[:5].tolist() == [decide.pareto_draw(i, 9.0, seed=0) for i in ids[:5]]
    assert decide.pareto_draw(ids[0], 9.0, seed=1) != draws[0]
    # numpy's pareto(a) is Lomax: P(X > t) = (1 + t) ** -a; mean 1 / (a - 1).
    for t in (0.05, 0.1, 0.3):
        assert (draws > t).mean() == pytest.approx((1 + t) ** -9, abs=0.01)
    assert draws.mean() == pytest.approx(1 / 8, rel=0.05)
    # GPT-3's rule keeps most high scores and few low ones.
    kept_high = np.mean([decide.pareto_keep(i, 0.95) for i in ids[:2000]])
    kept_low = np.mean([decide.pareto_keep(i, 0.2) for i in ids[:2000]])
    assert kept_high > 0.6 and kept_low < 0.01
    assert not decide.pareto_keep("x", None)

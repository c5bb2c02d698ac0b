"""C4 against TFDS's ``clean_page`` and line dedup, on the real WET pages of ../shared/data.

The oracle (``c4_oracle.py``) states TFDS's rules independently; both sides count sentences with
``webcurate.text.sentences`` (TFDS's NLTK punkt is a download; the recipe names the deviation).
"""

from __future__ import annotations

import hashlib
import json
import random

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from c4_oracle import clean_page, normalize_url, remove_duplicate_text
from warcio.archiveiterator import ArchiveIterator

from webcurate.dedup.text_units import remove_units, tfds_keys
from webcurate.filters.c4 import C4_TFDS, c4_filter
from webcurate.text.sentences import count_sentences

WET_SAMPLES = ("CC-MAIN-2016-50-sample.warc.wet.gz", "CC-MAIN-2024-22-wikipedia-page.warc.wet.gz",
               "CC-MAIN-2014-35-sample.warc.wet")


@pytest.fixture(scope="module")
def wet_pages(shared_data) -> list[tuple[str, str]]:
    """``(url, text)`` of every WET conversion record in the shared samples."""
    pages = []
    for name in WET_SAMPLES:
        with open(shared_data / "warc" / "cc" / name, "rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type == "conversion":
                    pages.append((record.rec_headers.get_header("WARC-Target-URI"),
                                  record.content_stream().read().decode("utf-8", "replace")))
    assert len(pages) > 50
    return pages


def test_c4_tfds_cleans_every_real_page_as_clean_page_does(wet_pages):
    kept = 0
    for url, text in wet_pages:
        expected = clean_page(text, count_sentences)
        cleaned, verdict = c4_filter(text, C4_TFDS)
        assert (cleaned if verdict.keep else None) == expected, url
        kept += expected is not None
    assert 0 < kept < len(wet_pages)  # both outcomes occur on the real pages


def test_tfds_line_keys_are_the_stripped_lowercased_line():
    keys = tfds_keys(["  Hello World.\n", "hello world.", "hello  world.", "\t\n", "HELLO WORLD."])
    assert keys[0] == keys[1] == keys[4] and keys[2] not in (None, keys[0]) and keys[3] is None


@pytest.mark.parametrize("text, removed, expected", [
    ("a\nb\nc", {2}, "a\nb"),            # the last line goes: no newline left behind
    ("a\nb\nc", {0}, "b\nc"),
    ("a\nb\nc\n", {2}, "a\nb\n"),        # a text that ended with a newline keeps it
    ("a\n\nb", {2}, "a\n"),              # "\n".join(["a", ""]), as TFDS
    ("a\nb", {0, 1}, ""),
])
def test_removing_lines_rejoins_the_rest_with_newlines(text, removed, expected):
    assert remove_units(text, "line", removed) == expected
    assert expected == "\n".join(line for j, line in enumerate(text.split("\n"))
                                 if j not in removed)


def test_c4_url_normalisation_matches_tfds(spark):
    from pyspark.sql import functions as F

    from webcurate.dedup.spark.survivors import c4_url_key

    urls = ["http://www.example.com/a/", "https://example.com/a", "https://example.com/a//",
            "http://example.com/p?utm_source=x", "http://example.com/p?id=1&ref=2",
            "http://example.com/p?refresh=1", "https://www.x.org/?feed=rss"]
    rows = spark.createDataFrame([(u,) for u in urls], "url string").select(
        "url", c4_url_key(F.col("url")).alias("key")).collect()
    assert {row["url"]: row["key"] for row in rows} == {u: normalize_url(u) for u in urls}


def planted_pages(wet_pages, seed: int = 0) -> dict[str, str]:
    """The cleaned real pages plus copies that share some of their lines with others, each
    under its own url (line dedup has work to do, and ownership by url MD5 matters)."""
    cleaned = {url: text for url, text in ((u, clean_page(t, count_sentences))
                                           for u, t in wet_pages) if text}
    rng = random.Random(seed)
    urls = sorted(cleaned)
    pages = dict(cleaned)
    for i in range(24):
        a, b = rng.sample(urls, 2)
        lines_a, lines_b = cleaned[a].split("\n"), cleaned[b].split("\n")
        mix = rng.sample(lines_a, min(3, len(lines_a))) + lines_b[: rng.randint(1, 4)]
        if i % 3 == 0:  # a line twice in one page and a case / space variant of another
            mix += [mix[0], "  " + mix[-1].upper() + "  "]
        pages[f"http://planted.example/{i}"] = "\n".join(mix)
    return pages


@pytest.mark.spark
def test_line_dedup_keeps_what_tfds_keeps(spark, wet_pages, tmp_path):
    """The dedup job's line mode as the C4 recipe sets it, against ``remove_duplicate_text``."""
    from webcurate.cli import run_job

    pages = planted_pages(wet_pages)
    ids = {url: hashlib.sha1(url.encode()).hexdigest()[:16] for url in pages}
    table = pa.table({"doc_id": [ids[u] for u in pages], "url": list(pages),
                      "text": list(pages.values())})
    pq.write_table(table, tmp_path / "docs.parquet")
    recipe = ["--recipe", "c4", f"--set=input={tmp_path / 'docs.parquet'}",
              f"--set=output={tmp_path / 'dedup'}", "--set=url_dedup=false"]
    assert run_job("dedup", recipe, spark=spark) == 0
    stats = json.loads((tmp_path / "dedup" / "stats.json").read_text())
    kept = pq.read_table(stats["run"]["dataset"] + "/kept").to_pylist()
    expected = remove_duplicate_text(pages, count_sentences)
    by_id = {ids[url]: text for url, text in expected.items()}
    assert {row["doc_id"]: row["text"] for row in kept} == by_id
    assert stats["units_removed"] > 24 and stats["documents_too_short"] > 0
    assert not any(row["text"].endswith("\n") for row in kept)

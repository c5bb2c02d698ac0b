"""The benchmark corpus builder: record plan, WARC shape, determinism (real pages, tiny N)."""

from __future__ import annotations

import gzip
from collections import Counter
from urllib.parse import parse_qs, urlsplit

import pytest
from warcio.archiveiterator import ArchiveIterator

from .build_warc import (
    DEFAULT_PAGES_DIR,
    Page,
    build_warc,
    copy_url,
    http_charset,
    plan_records,
)

needs_pages = pytest.mark.skipif(
    not DEFAULT_PAGES_DIR.is_dir(),
    reason=f"real pages not found at {DEFAULT_PAGES_DIR} (../shared/data is absent)",
)


def _pages(count: int) -> list[Page]:
    return [Page(f"p{i}", f"https://example.com/a/{i}?x=1", b"<p>%d</p>" % i) for i in range(count)]


def test_plan_cycles_pages_evenly_with_distinct_urls_and_ids():
    plans = plan_records(_pages(3), records=8, seed=7)

    assert [plan.index for plan in plans] == list(range(8))
    assert sorted(Counter(plan.page.source for plan in plans).values()) == [2, 3, 3]
    # every full cycle holds every page once
    for cycle in (plans[0:3], plans[3:6]):
        assert {plan.page.source for plan in cycle} == {"p0", "p1", "p2"}
    assert [plan.copy for plan in plans] == [0, 0, 0, 1, 1, 1, 2, 2]
    assert len({plan.url for plan in plans}) == 8
    assert len({plan.record_id for plan in plans}) == 8
    assert plans[0].warc_date == "2024-05-20T00:00:00Z"
    assert plans[-1].warc_date == "2024-05-20T00:00:21Z"


def test_plan_is_deterministic_per_seed():
    def sources(seed: int) -> list[str]:
        return [plan.page.source for plan in plan_records(_pages(20), records=20, seed=seed)]

    assert sources(1) == sources(1)
    assert sources(1) != sources(2)
    assert (
        plan_records(_pages(2), 1, seed=1)[0].record_id
        != plan_records(_pages(2), 1, seed=2)[0].record_id
    )


def test_copy_url_keeps_the_query_and_adds_the_copy():
    url = copy_url("https://example.com/a/b.html?x=1&y=", 4)

    assert url.startswith("https://example.com/a/b.html?")
    assert parse_qs(urlsplit(url).query, keep_blank_values=True) == {
        "x": ["1"],
        "y": [""],
        "wc_copy": ["4"],
    }


def test_http_charset_declares_utf8_or_the_meta_charset():
    assert http_charset("<p>café</p>".encode()) == "utf-8"
    latin = '<meta charset="ISO-8859-1"><p>café</p>'.encode("latin-1")
    assert http_charset(latin) == "iso-8859-1"
    assert http_charset("<p>café</p>".encode("latin-1")) == "windows-1252"


@needs_pages
def test_build_writes_a_common_crawl_like_warc(tmp_path):
    out = tmp_path / "bench.warc.gz"
    summary = build_warc(out, records=12, seed=3)
    data = out.read_bytes()

    with open(out, "rb") as stream:
        iterator = ArchiveIterator(stream)
        records = []
        for record in iterator:
            body = record.content_stream().read()
            records.append((iterator.get_record_offset(), record, body))

    assert summary["records"] == 12
    assert [record.rec_type for _, record, _ in records] == ["warcinfo"] + ["response"] * 12
    # One gzip member per record, as in Common Crawl: every record starts a member.
    assert all(data[offset : offset + 2] == b"\x1f\x8b" for offset, _, _ in records)
    warcinfo_id = records[0][1].rec_headers.get_header("WARC-Record-ID")
    responses = [(record, body) for _, record, body in records[1:]]
    ids = {record.rec_headers.get_header("WARC-Record-ID") for record, _ in responses}
    urls = {record.rec_headers.get_header("WARC-Target-URI") for record, _ in responses}
    assert len(ids) == len(urls) == 12
    for record, body in responses:
        assert record.rec_headers.protocol == "WARC/1.1"
        assert record.rec_headers.get_header("WARC-Warcinfo-ID") == warcinfo_id
        assert record.rec_headers.get_header("WARC-Identified-Payload-Type") == "text/html"
        assert record.rec_headers.get_header("WARC-Date").startswith("2024-05-20T")
        assert record.http_headers.get_statuscode() == "200"
        assert record.http_headers.get_header("Content-Type") == "text/html; charset=utf-8"
        assert record.http_headers.get_header("Content-Length") == str(len(body))
        assert b"<html" in body.lower() or b"<body" in body.lower() or b"<p" in body.lower()
        assert body.rstrip().endswith(b"-->")


@needs_pages
def test_build_is_byte_for_byte_deterministic(tmp_path):
    first, second = tmp_path / "a" / "x.warc.gz", tmp_path / "b" / "x.warc.gz"
    build_warc(first, records=5, seed=9)
    build_warc(second, records=5, seed=9)

    assert first.read_bytes() == second.read_bytes()
    assert not list(tmp_path.rglob("*.partial"))
    assert gzip.decompress(first.read_bytes()).count(b"WARC-Type: response") == 5

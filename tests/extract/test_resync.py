"""Recovery after warcio breaks off: real Common Crawl records with one of them damaged."""

from __future__ import annotations

import gzip
import random
import re
import time
import tracemalloc
import zlib

import pytest
from test_records import CC_2020, FakeLanguage, page, read_rows, record, warc

from webcurate.extract.settings import ExtractSettings


def gzip_members(data: bytes) -> list[bytes]:
    """The raw gzip members of a file, as Common Crawl writes them: one record each."""
    members, start = [], 0
    while start < len(data):
        inflater = zlib.decompressobj(wbits=31)
        inflater.decompress(data[start:])
        end = len(data) - len(inflater.unused_data)
        members.append(data[start:end])
        start = end
    return members


def with_content_length(warc_record: bytes, change: int) -> bytes:
    """The record with its WARC Content-Length changed by ``change`` bytes (a lie)."""
    found = re.search(rb"Content-Length: (\d+)", warc_record)
    return (warc_record[: found.start(1)] + str(int(found.group(1)) + change).encode()
            + warc_record[found.end(1):])


def starts(pieces: list[bytes]) -> list[int]:
    return [sum(len(p) for p in pieces[:i]) for i in range(len(pieces))]


@pytest.fixture(scope="module")
def cc(shared_data):
    """CC-MAIN-2020-34's 50 records, their members, and the index of its 8th response."""
    members = gzip_members((shared_data / CC_2020).read_bytes())
    records = [gzip.decompress(m) for m in members]
    responses = [i for i, r in enumerate(records) if is_response(r)]
    return members, records, responses[7]


def url_of(warc_record: bytes) -> str | None:
    found = re.search(rb"WARC-Target-URI: (\S+)", warc_record)
    return found.group(1).decode() if found else None


def is_response(warc_record: bytes) -> bool:
    return b"WARC-Type: response" in warc_record[:100]


def breaker(url: str) -> bytes:
    """A record whose Content-Length is 45 bytes short: warcio reads on into its last lines."""
    body = b"<html><body>\n<p>a page</p>\n<p>that goes on</p>\n<p>a while</p>\n</body></html>"
    return with_content_length(record(url, body), -45)


# --- real records, one damaged ------------------------------------------------------------------

@pytest.mark.parametrize("gzipped", [False, True])
def test_a_short_content_length_mid_file_costs_no_document(cc, gzipped):
    _, records, k = cc
    pieces = [*records[:k], with_content_length(records[k], -500), *records[k + 1:]]
    if gzipped:
        pieces = [gzip.compress(p) for p in pieces]
    good, _, _ = read_rows(warc(*records, gzipped=gzipped), identifier=FakeLanguage())
    docs, errors, summary = read_rows(b"".join(pieces), identifier=FakeLanguage())
    assert len(docs) == 16 and [d["text"] for d in docs] == [d["text"] for d in good]
    assert [(e["level"], e["error_type"]) for e in errors] == [("file", "ArchiveLoadFailed")]
    offsets = starts(pieces)
    assert offsets[k] < errors[0]["source_offset"] < offsets[k + 1]  # where warcio broke off
    assert summary["records_recovered"] == len(records) - k - 1
    assert summary["records_by_type"] == {"warcinfo": 1, "request": 17, "response": 16,
                                          "metadata": 16}  # all 50, the broken one included
    # Same columns as on the normal path; offsets are where each record really starts.
    assert [{**d, "source_offset": 0, "html_bytes": 0} for d in docs] == [
        {**d, "source_offset": 0, "html_bytes": 0} for d in good]
    response_at = {url_of(r): offsets[i] for i, r in enumerate(records) if is_response(r)}
    assert [d["source_offset"] for d in docs] == [response_at[d["url"]] for d in docs]


def test_a_whole_file_gzip_is_read_to_its_end(cc):
    """warcio stops after the first record of a file gzipped in one piece."""
    members, records, _ = cc
    good, _, _ = read_rows(b"".join(members), identifier=FakeLanguage())
    docs, errors, summary = read_rows(gzip.compress(b"".join(records)))
    assert [(e["level"], e["error_type"]) for e in errors] == [("file", "ArchiveLoadFailed")]
    assert "non-chunked gzip" in errors[0]["error"]
    assert (summary["records"], summary["records_recovered"]) == (50, 49)
    assert [{**d, "source_offset": None} for d in docs] == [
        {**d, "source_offset": None} for d in good]


def test_a_whole_file_gzip_of_wet_records_with_a_doubled_version_line(shared_data):
    """CC-MAIN-2016-50's WET records start "WARC/1.0 WARC/1.0", which warcio takes."""
    path = shared_data / "warc/cc/CC-MAIN-2016-50-sample.warc.wet.gz"
    good, _, _ = read_rows(path, identifier=FakeLanguage())
    docs, _, summary = read_rows(gzip.compress(gzip.decompress(path.read_bytes())))
    assert (len(docs), summary["records_recovered"]) == (68, 68)
    assert [d["text"] for d in docs] == [d["text"] for d in good]


def test_a_corrupt_gzip_member_costs_its_own_record_only(shared_data, cc):
    members, records, k = cc
    data = bytearray((shared_data / CC_2020).read_bytes())
    at = starts(members)[k] + 40
    data[at: at + 100] = bytes(b ^ 0x55 for b in data[at: at + 100])  # inside the deflate data
    good, _, _ = read_rows(shared_data / CC_2020, identifier=FakeLanguage())
    docs, errors, summary = read_rows(bytes(data), identifier=FakeLanguage())
    assert [e["level"] for e in errors] == ["file"]
    assert [{**d, "source_file": None} for d in docs] == [
        {**d, "source_file": None} for d in good if d["url"] != url_of(records[k])]
    assert summary["records_recovered"] == len(records) - k - 1


# --- what the scan must not take for a record ---------------------------------------------------

def test_garbage_after_a_good_prefix_gives_nothing_more(cc):
    _, records, _ = cc
    garbage = random.Random(7).randbytes(2_000_000)
    for gzipped in (False, True):
        prefix = warc(*records[:9], gzipped=gzipped)
        good, _, _ = read_rows(prefix, identifier=FakeLanguage())
        docs, errors, summary = read_rows(prefix + garbage, identifier=FakeLanguage())
        assert docs == good and len(docs) == 3, gzipped
        assert [e["level"] for e in errors] == ["file"] and summary["records_recovered"] == 0


def test_random_bytes_and_lookalike_lines_end_fast_with_no_record():
    noise = random.Random(11).randbytes(1_000_000)
    fake = b"\nWARC/1.0\n<p>text</p>\n\nWARC/1.0\r\nWARC-Date: 2020-01-01\r\n\r\n" * 30_000
    for data in (noise, b"\x1f\x8b\x08" + noise, breaker("http://b.example/") + fake):
        started = time.perf_counter()
        docs, errors, summary = read_rows(data)
        assert summary["records_recovered"] == 0 and [e["level"] for e in errors] == ["file"]
        assert len(docs) <= 1 and time.perf_counter() - started < 10  # linear: ~0.1 s each


def test_pages_quoting_warc_lines_stay_whole():
    quoting_a_line = (b"<html><body><p>Files start with</p>\nWARC/1.0\n<p>and then headers."
                      b"</p></body></html>")
    quoting_a_record = (b"<html><body><pre>\nWARC/1.0\r\nWARC-Type: response\r\nContent-Length: 5"
                        b"\r\n\r\nhello\r\n\r\n</pre><p>after the quote</p></body></html>")
    data = warc(record("http://first.example/", page("before the break")),
                breaker("http://break.example/"),
                record("http://line.example/", quoting_a_line),
                record("http://quote.example/", quoting_a_record),
                record("http://last.example/", page("the last page")), gzipped=False)
    docs, errors, summary = read_rows(data, name="mem.warc")
    assert [d["url"] for d in docs] == ["http://first.example/", "http://break.example/",
                                        "http://line.example/", "http://quote.example/",
                                        "http://last.example/"]
    assert "WARC/1.0" in docs[2]["text"] and "and then headers" in docs[2]["text"]
    assert "hello" in docs[3]["text"] and "after the quote" in docs[3]["text"]
    assert summary["records_recovered"] == 3 and [e["level"] for e in errors] == ["file"]


CUT_HEADER = b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Rec"


def test_a_file_ending_inside_a_header_after_the_break_is_a_record_error():
    data = warc(breaker("http://break.example/"), record("http://ok.example/", page("fine")),
                gzipped=False) + CUT_HEADER
    docs, errors, summary = read_rows(data, name="mem.warc")
    assert [d["url"] for d in docs] == ["http://break.example/", "http://ok.example/"]
    assert [(e["level"], e["error_type"]) for e in errors] == [("file", "ArchiveLoadFailed"),
                                                               ("record", "EOFError")]
    assert errors[1]["source_offset"] == len(data) - len(CUT_HEADER)
    assert (summary["records_recovered"], summary["record_errors"]) == (1, 1)


def test_a_block_without_a_true_end_is_cut_and_memory_stays_bounded():
    settings = ExtractSettings(max_html_bytes=100_000)
    big = page("many words here " * 500_000)  # 8 MB, its Content-Length 7 bytes too large
    data = warc(breaker("http://break.example/"),
                with_content_length(record("http://big.example/", big), 7),
                record("http://after.example/", page("still found")), gzipped=False)
    read_rows(warc(record("http://warm.example/", page("warm up"))))  # lazy imports: not counted
    tracemalloc.start()
    try:
        docs, _, summary = read_rows(data, settings, name="mem.warc")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [d["url"] for d in docs] == [
        "http://break.example/", "http://big.example/", "http://after.example/"]
    assert docs[1]["html_bytes"] == 100_000 and summary["payload_truncated"] == 1
    assert peak < 4_000_000  # the 8 MB block is never held whole

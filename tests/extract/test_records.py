"""Archive files to rows: real Common Crawl, archive.org, wget and ClueWeb files; broken ones."""

from __future__ import annotations

import gzip
import io
import json
import os
import re
import uuid
from collections import Counter
from datetime import datetime, timezone

import pyarrow as pa
import pytest
from warcio.archiveiterator import ArchiveIterator

from webcurate.extract import html as html_mod
from webcurate.extract.records import iter_file_rows, parse_warc_date
from webcurate.extract.settings import ExtractSettings
from webcurate.schema import DOCUMENT_ARROW_SCHEMA, ERROR_ARROW_SCHEMA

DEFAULTS = ExtractSettings()
CC_2020 = "warc/cc/CC-MAIN-2020-34-sample.warc.gz"
BAD = "warc/bad"


class FakeLanguage:
    """Stands in for fastText where the language does not matter."""

    def predict(self, text: str) -> tuple[str, float]:
        return "xx", 0.5


def read_rows(source, settings: ExtractSettings = DEFAULTS, identifier=None, name=None):
    """``(docs, errors, summary)`` of a path or of bytes; checks the row protocol on the way."""
    if isinstance(source, bytes):
        rows = list(iter_file_rows(io.BytesIO(source), name or "mem.warc.gz", settings,
                                   identifier or FakeLanguage()))
    else:
        with open(source, "rb") as stream:
            rows = list(iter_file_rows(stream, str(source), settings, identifier))
    kinds = [kind for kind, _ in rows]
    assert kinds[-1] == "file" and kinds.count("file") == 1
    docs = [row for kind, row in rows if kind == "doc"]
    errors = [row for kind, row in rows if kind == "error"]
    assert set(kinds) <= {"doc", "error", "file"}
    pa.Table.from_pylist(docs, schema=DOCUMENT_ARROW_SCHEMA)  # types and nullability fit
    pa.Table.from_pylist(errors, schema=ERROR_ARROW_SCHEMA)
    assert all(list(doc) == DOCUMENT_ARROW_SCHEMA.names for doc in docs)
    assert all(list(err) == ERROR_ARROW_SCHEMA.names for err in errors)
    summary = rows[-1][1]
    assert summary["docs"] == len(docs)
    assert summary["record_errors"] == sum(e["level"] == "record" for e in errors)
    # The counts a driver receives instead of the rows: exact, by level and type.
    assert summary["error_rows"] == len(errors)
    assert summary["error_rows_by_type"] == dict(Counter(f"{e['level']}:{e['error_type']}"
                                                         for e in errors))
    assert json.loads(json.dumps(summary)) == summary  # plain JSON
    return docs, errors, summary


def record(url: str, body: bytes, *, status: str = "200 OK",
           content_type: str | None = "text/html; charset=utf-8",
           declared_length: int | None = None, warc_type: str = "response",
           version: str = "WARC/1.0", date: str = "2024-01-02T03:04:05Z") -> bytes:
    """One WARC record, built by hand so that it can lie about its length."""
    if warc_type == "response":
        http = f"HTTP/1.1 {status}\r\n".encode()
        if content_type is not None:
            http += f"Content-Type: {content_type}\r\n".encode()
        block, block_type = http + b"\r\n" + body, "application/http; msgtype=response"
    else:  # a resource record: the payload itself, typed by the WARC header
        block, block_type = body, content_type
    record_id = f"<urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, url)}>"
    headers = {"WARC-Type": warc_type, "WARC-Record-ID": record_id, "WARC-Date": date,
               "WARC-Target-URI": url, "Content-Type": block_type,
               "Content-Length": str(declared_length or len(block))}
    head = f"{version}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    return head.encode() + block + b"\r\n\r\n"


def warc(*records: bytes, gzipped: bool = True) -> bytes:
    """Records as a file: one gzip member per record (as Common Crawl does), or plain."""
    return b"".join(gzip.compress(r) if gzipped else r for r in records)


def page(words: str) -> bytes:
    return f"<html><body><article><p>{words}</p></article></body></html>".encode()


# --- real files --------------------------------------------------------------------------------

def test_cc_2020_sample_gives_16_documents_in_the_languages_common_crawl_found(shared_data):
    docs, errors, summary = read_rows(shared_data / CC_2020)
    assert (len(docs), errors) == (16, [])
    assert summary["records_by_type"] == {"warcinfo": 1, "request": 17, "response": 16,
                                          "metadata": 16}
    assert summary["html_responses"] == 16 and summary["skipped_by_reason"] == {}
    # The sample's README says "zh 6, en 6, de 2, nl 1, fr 1"; the pages say otherwise: CC's own
    # CLD2 labels in the metadata records agree with ours on every page.
    cld2 = {}
    with open(shared_data / CC_2020, "rb") as stream:
        for rec in ArchiveIterator(stream):
            if rec.rec_type == "metadata":
                found = re.search(rb'"languages":\[\{"code":"(\w+)"', rec.content_stream().read())
                cld2[rec.rec_headers.get_header("WARC-Target-URI")] = found.group(1).decode()
    assert {d["url"]: d["language"] for d in docs} == cld2
    assert summary["languages"] == {"zh": 11, "ru": 1, "en": 1, "de": 2, "nl": 1}
    assert all(d["language_score"] > 0.5 and d["text"] == d["text"].strip() for d in docs)
    assert {d["content_type"] for d in docs} == {"text/html"}
    assert {d["http_status"] for d in docs} == {200} and {d["record_type"] for d in docs} == {
        "response"}
    assert Counter(d["charset"] for d in docs) == {"utf-8": 7, "gbk": 6, "cp1252": 2, "cp1251": 1}


def test_cc_2020_ids_dates_and_offsets(shared_data):
    first, _, _ = read_rows(shared_data / CC_2020)
    again, _, _ = read_rows(shared_data / CC_2020)
    ids = [d["doc_id"] for d in first]
    assert len(set(ids)) == 16 and ids == [d["doc_id"] for d in again]
    assert all(d["warc_date"].tzinfo is not None and d["warc_date"].year == 2020 for d in first)
    with open(shared_data / CC_2020, "rb") as stream:
        for doc in first:  # the offset is where a reader can seek to and find the record
            stream.seek(doc["source_offset"])
            rec = next(iter(ArchiveIterator(stream)))
            assert rec.rec_headers.get_header("WARC-Record-ID") == doc["warc_record_id"]


def test_wet_text_passes_through_unchanged(shared_data):
    path = shared_data / "warc/cc/CC-MAIN-2016-50-sample.warc.wet.gz"
    docs, errors, summary = read_rows(path)
    assert (len(docs), errors, summary["html_responses"]) == (68, [], 0)
    with open(path, "rb") as stream:
        texts = [r.content_stream().read().decode("utf-8", errors="replace").strip()
                 for r in ArchiveIterator(stream) if r.rec_type == "conversion"]
    assert [d["text"] for d in docs] == texts  # two records start with a stray 0xff byte
    assert {(d["record_type"], d["content_type"], d["charset"], d["html_bytes"], d["http_status"])
            for d in docs} == {("conversion", "text/plain", "utf-8", None, None)}
    assert Counter(d["language"] for d in docs).most_common(2) == [("ru", 28), ("en", 16)]
    plain, _, _ = read_rows(shared_data / "warc/cc/CC-MAIN-2014-35-sample.warc.wet")
    assert len(plain) == 3


def test_uncompressed_cc_2014_warc(shared_data):
    docs, errors, summary = read_rows(shared_data / "warc/cc/CC-MAIN-2014-35-sample.warc")
    assert (len(docs), errors) == (3, [])
    assert summary["records_by_type"] == {"warcinfo": 1, "request": 4, "response": 4,
                                          "metadata": 4}
    # the fourth response is an empty redirect target without a Content-Type
    assert summary["skipped_by_reason"] == {"extract_not_html": 1}


def test_archive_org_warc_0_17_and_arc_give_the_same_documents(shared_data):
    warc_docs, _, warc_summary = read_rows(shared_data / "warc/other/archive-org-2008.warc.gz")
    arc = shared_data / "warc/other/archive-org-2008.arc.gz"
    arc_docs, arc_errors, arc_summary = read_rows(arc)
    # 140 HTML responses: 94 are 200, 46 are 404/301/302 error stubs; one 200 page has no text.
    for summary in (warc_summary, arc_summary):
        assert summary["html_responses"] == 140 and summary["docs"] == 93
        assert summary["skipped_by_reason"] == {"extract_not_html": 159, "extract_http_status": 46,
                                                "extract_empty_text": 1}
    # Three pages served as utf-8 hold bytes utf-8 cannot decode: warnings, not errors.
    assert [e["level"] for e in arc_errors] == ["warning"] * 3
    assert {e["error_type"] for e in arc_errors} == {"invalid_bytes"}
    assert arc_summary["record_warnings"] == 3
    assert arc_summary["records_by_type"] == {"warcinfo": 1, "response": 299}
    assert [(d["url"], d["text"]) for d in warc_docs] == [(d["url"], d["text"]) for d in arc_docs]
    assert all(d["warc_record_id"] is None for d in arc_docs)  # warcio invents random ones
    arc_again, _, _ = read_rows(arc)
    assert [d["doc_id"] for d in arc_docs] == [d["doc_id"] for d in arc_again]
    assert len({d["doc_id"] for d in arc_docs}) == 93
    assert all(200 <= d["http_status"] < 300 for d in arc_docs)
    keep_all = ExtractSettings(keep_http_status="all")
    _, _, summary = read_rows(arc, keep_all)
    assert summary["docs"] == 93 + 41  # the 5 empty 302 bodies have no text


def test_wget_samples_and_single_pages(shared_data):
    for name, expected in [("other/wget-sample-0000.warc.gz", 22),
                           ("other/wget-sample-0001.warc.gz", 15),
                           ("cc/CC-MAIN-2022-05-zh-page.warc.gz", 1),
                           ("cc/CC-2019-commoncrawl-org.warc.gz", 1)]:
        docs, errors, summary = read_rows(shared_data / "warc" / name)
        assert (len(docs), errors) == (expected, []), name
    assert summary["languages"] == {"en": 1}
    _, _, wget = read_rows(shared_data / "warc/other/wget-sample-0000.warc.gz")
    assert wget["records_by_type"]["resource"] == 2  # wget's log and arguments: text/plain
    assert wget["skipped_by_reason"] == {"extract_not_html": 2}
    zh, _, _ = read_rows(shared_data / "warc/cc/CC-MAIN-2022-05-zh-page.warc.gz")
    assert zh[0]["language"] == "zh"


def test_every_shared_file_ends_with_a_summary_that_adds_up(shared_data):
    files = sorted((shared_data / "warc").glob("*/*"))
    assert len(files) == 17
    for name in files:
        _, errors, summary = read_rows(name, identifier=FakeLanguage())
        pages = sum(n for t, n in summary["records_by_type"].items()
                    if t in ("response", "resource", "conversion"))
        assert summary["docs"] + sum(summary["skipped_by_reason"].values()) == pages, name
        assert summary["records"] == sum(summary["records_by_type"].values()), name
        assert (summary["file_error"] is None) == (not any(e["level"] == "file" for e in errors))


# --- broken real files --------------------------------------------------------------------------

def test_clipped_record_is_a_truncated_file(shared_data):
    docs, errors, summary = read_rows(shared_data / BAD / "clipped-record.warc.gz")
    assert docs == [] and summary["skipped_by_reason"] == {"extract_truncated_record": 1}
    assert [(e["level"], e["error_type"], e["source_offset"]) for e in errors] == [
        ("file", "truncated_file", 0)]
    assert summary["file_error"].startswith("truncated_file")


def test_crlf_stripped_file_keeps_its_six_pages_after_the_break(shared_data):
    """Every Content-Length is too large once CRLF became LF: warcinfo's swallows the next
    record's ``WARC/1.0`` line and warcio breaks off; the boundary scan finds the other 16."""
    path = shared_data / BAD / "crlf-stripped.warc.gz"
    docs, errors, summary = read_rows(path)
    text = gzip.decompress(path.read_bytes()).decode("utf-8", errors="replace")
    responses = re.findall(r"^WARC-Type: response\n(?:[^\n]+\n)*?WARC-Target-URI: (\S+)$", text,
                           re.MULTILINE)
    assert len(responses) == 6 and [d["url"] for d in docs] == responses
    assert [(e["level"], e["error_type"]) for e in errors] == [("file", "ArchiveLoadFailed")]
    assert "WARC-Type" in errors[0]["error"] and summary["file_error"]
    assert summary["records_recovered"] == 16 and summary["records_by_type"] == {
        "warcinfo": 1, "request": 5, "response": 6, "metadata": 5}  # the first request is lost
    assert [d["language"] for d in docs] == ["ru"] * 5 + ["en"]  # Odessa directory; a parked .be
    assert all(d["language_score"] > 0.7 and len(d["text"]) > 80 for d in docs)
    assert {(d["http_status"], d["charset"], d["source_offset"]) for d in docs} == {
        (200, "utf-8", None)}  # one gzip member: no offset to seek to
    assert all("WARC-" not in d["text"] for d in docs)  # no header of the next record leaks in
    assert len({d["doc_id"] for d in docs}) == 6


def test_clueweb09_legacy_encodings_decode_to_japanese(shared_data):
    docs, errors, summary = read_rows(shared_data / BAD / "clueweb09-legacy-encodings.warc.gz")
    assert (len(docs), errors, summary["languages"]) == (29, [], {"ja": 29})
    assert {d["charset"] for d in docs} == {"euc_jp"}
    for doc in docs:
        kana = sum("\u3040" <= c <= "\u30ff" for c in doc["text"])
        assert kana > 20 and "\ufffd" not in doc["text"]
    assert {d["warc_date"] for d in docs} == {None}  # "2008-10-294T05:21:46-0700" is no date


# --- generated garbage --------------------------------------------------------------------------

def test_a_cut_off_download_keeps_the_documents_before_the_cut(shared_data):
    data = (shared_data / CC_2020).read_bytes()
    full, _, _ = read_rows(data)
    for fraction in (0.15, 0.5, 0.77, 0.999):
        docs, errors, _ = read_rows(data[: int(len(data) * fraction)])
        assert 0 < len(docs) <= 16 or fraction < 0.2
        assert [d["doc_id"] for d in docs] == [d["doc_id"] for d in full[: len(docs)]]
        assert [(e["level"], e["error_type"]) for e in errors] == [("file", "truncated_file")]
        assert errors[0]["source_offset"] > (docs[-1]["source_offset"] if docs else -1)


def test_random_bytes_empty_files_and_gzip_garbage_are_file_errors():
    for name, data, error_type in [
            ("random", os.urandom(5000), "ArchiveLoadFailed"),
            ("empty", b"", "empty_file"),
            ("blank", b"\n", "no_records"),
            ("gzip garbage", b"\x1f\x8b\x08\x00garbage" * 10, "ArchiveLoadFailed")]:
        docs, errors, summary = read_rows(data)
        assert docs == [] and [(e["level"], e["error_type"]) for e in errors] == [
            ("file", error_type)], name
        assert summary["file_error"] and summary["records_recovered"] == 0, name


def test_invalid_utf8_and_missing_content_type():
    body = page("Ein ganz normaler Satz mit Umlauten: Grüße.").replace(b"normaler", b"\xff\xfe\xc3")
    data = warc(record("http://a.example/", body),
                record("http://b.example/", page("sniffed as html"), content_type=None),
                record("http://c.example/", b"\x89PNG\r\n\x1a\n", content_type=None))
    docs, errors, summary = read_rows(data)
    assert [d["url"] for d in docs] == ["http://a.example/", "http://b.example/"]
    # kept, and recorded: the bytes were not utf-8 as the server declared
    assert [(e["level"], e["error_type"]) for e in errors] == [("warning", "invalid_bytes")]
    assert "\ufffd" in docs[0]["text"] and "Grüße" in docs[0]["text"]
    assert docs[1]["content_type"] is None and summary["skipped_by_reason"] == {
        "extract_not_html": 1}
    assert docs[0]["warc_date"] == datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


def test_resource_records_and_warc_1_1():
    data = warc(record("http://r.example/", page("a stored page"), warc_type="resource"),
                record("http://t.example/", b"plain notes", warc_type="resource",
                       content_type="text/plain"),
                record("http://n.example/", page("newer format"), version="WARC/1.1",
                       date="2024-05-06T07:08:09.123456Z"))
    docs, errors, summary = read_rows(data)
    assert errors == [] and [(d["url"], d["record_type"], d["http_status"]) for d in docs] == [
        ("http://r.example/", "resource", None), ("http://n.example/", "response", 200)]
    assert docs[1]["warc_date"] == datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=timezone.utc)
    assert summary["skipped_by_reason"] == {"extract_not_html": 1}


def test_huge_declared_content_length_in_a_gzip_member_costs_one_record():
    data = warc(record("http://ok.example/1", page("first page")),
                record("http://liar.example/", page("lies"), declared_length=10**12),
                record("http://ok.example/2", page("third page")))
    docs, errors, summary = read_rows(data)
    assert [d["url"] for d in docs] == ["http://ok.example/1", "http://ok.example/2"]
    assert [(e["level"], e["error_type"]) for e in errors] == [("record", "truncated_record")]
    assert errors[0]["source_offset"] == docs[1]["source_offset"] - len(gzip.compress(
        record("http://liar.example/", page("lies"), declared_length=10**12)))
    assert summary["file_error"] is None


def test_huge_declared_content_length_in_a_plain_file_ends_it():
    data = warc(record("http://ok.example/1", page("first page")),
                record("http://liar.example/", page("lies"), declared_length=10**12),
                record("http://ok.example/2", page("swallowed")), gzipped=False)
    docs, errors, _ = read_rows(data, name="mem.warc")
    assert [d["url"] for d in docs] == ["http://ok.example/1"]
    assert [(e["level"], e["error_type"]) for e in errors] == [("file", "truncated_file")]


def test_oversized_payloads_are_cut_counted_and_recorded_with_their_offset():
    big = page("lots of words " * 20_000)  # ~280 KB
    settings = ExtractSettings(max_html_bytes=100_000, max_text_chars=5_000)
    first = warc(record("http://ok.example/", page("fine")))
    docs, errors, summary = read_rows(first + warc(record("http://big.example/", big)), settings)
    assert docs[1]["html_bytes"] == 100_000 and len(docs[1]["text"]) <= 5_000
    assert (summary["payload_truncated"], summary["text_truncated"]) == (1, 1)
    assert [(e["level"], e["error_type"], e["source_offset"]) for e in errors] == [
        ("warning", "payload_truncated", len(first))]
    assert "http://big.example/" in errors[0]["error"]


def test_nesting_100000_levels_deep_is_skipped_in_a_second(shared_data):
    deep = ("<html><body>" + "<div>x " * 100_000 + "</div>" * 100_000 + "</body></html>").encode()
    data = warc(record("http://deep.example/", deep), record("http://ok.example/", page("fine")))
    docs, errors, summary = read_rows(data)
    assert [d["url"] for d in docs] == ["http://ok.example/"]
    assert [(e["level"], e["error_type"]) for e in errors] == [
        ("warning", "extract_html_too_deep")]
    assert errors[0]["source_offset"] == 0 and "http://deep.example/" in errors[0]["error"]
    assert summary["skipped_by_reason"] == {"extract_html_too_deep": 1}


def test_an_extractor_crash_costs_one_record_and_a_slow_page_times_out(monkeypatch):
    real = html_mod.extract_text

    def flaky(markup, settings):
        if "BOOM" in markup:
            raise RuntimeError("extractor exploded")
        if "SLOW" in markup:
            with html_mod.time_limit(settings.max_seconds_per_doc):
                while True:
                    pass
        return real(markup, settings)

    monkeypatch.setattr(html_mod, "extract_text", flaky)
    data = warc(record("http://a.example/", page("BOOM")),
                record("http://b.example/", page("SLOW")),
                record("http://c.example/", page("fine")), record("http://d.example/", b" "))
    docs, errors, summary = read_rows(data, ExtractSettings(max_seconds_per_doc=0.2))
    assert [d["url"] for d in docs] == ["http://c.example/"]
    assert [(e["level"], e["error_type"], e["error"]) for e in errors] == [
        ("record", "RuntimeError", "extractor exploded"),
        ("warning", "extract_timeout",
         "page skipped: extraction took longer than 0.2 s; url: http://b.example/")]
    assert errors[0]["source_offset"] == 0 and errors[0]["warc_record_id"].startswith("<urn:")
    assert summary["skipped_by_reason"] == {"extract_record_error": 1, "extract_timeout": 1,
                                            "extract_empty_text": 1}


def test_http_status_policy():
    data = warc(record("http://ok.example/", page("found")),
                record("http://gone.example/", page("not found"), status="404 Not Found"))
    docs, _, summary = read_rows(data)
    assert [d["http_status"] for d in docs] == [200]
    assert summary["skipped_by_reason"] == {"extract_http_status": 1}
    docs, _, _ = read_rows(data, ExtractSettings(keep_http_status="all"))
    assert [d["http_status"] for d in docs] == [200, 404]


def test_wrong_settings_are_a_programming_error():
    with pytest.raises(TypeError):
        list(iter_file_rows(io.BytesIO(b""), "x", {"extractor": "resiliparse"}))
    with pytest.raises(ValueError):
        ExtractSettings(extractor="boilerpipe")


@pytest.mark.parametrize(("value", "expected"), [
    ("2016-10-17T14:57:38Z", datetime(2016, 10, 17, 14, 57, 38, tzinfo=timezone.utc)),
    ("2008-04-30T20:48:25-07:00", datetime(2008, 5, 1, 3, 48, 25, tzinfo=timezone.utc)),
    ("2020-08-03T20:51:34.5Z", datetime(2020, 8, 3, 20, 51, 34, 500000, tzinfo=timezone.utc)),
    ("20080430204825", datetime(2008, 4, 30, 20, 48, 25, tzinfo=timezone.utc)),
    ("2008-10-294T05:21:46-0700", None), ("", None), (None, None)])
def test_warc_dates(value, expected):
    assert parse_warc_date(value) == expected

"""HTML payloads to text: content types, charsets, extraction quality, depth and time limits."""

from __future__ import annotations

import gzip
import json
import re
import signal
import threading
import time
from collections import Counter

import pytest
from warcio.archiveiterator import ArchiveIterator

from webcurate.extract import html as html_mod
from webcurate.extract.settings import ExtractSettings

DEFAULTS = ExtractSettings()
META_CHARSET = re.compile(rb"<meta[^>]*charset[^>]*>", re.IGNORECASE)


def words(text: str) -> Counter:
    return Counter(re.findall(r"\w+", text.lower()))


def recall(extracted: str, expected: str) -> float:
    """Share of the expected words (with multiplicity) that the extraction contains."""
    want = words(expected)
    return sum((words(extracted) & want).values()) / sum(want.values())


def precision(extracted: str, expected: str) -> float:
    got = words(extracted)
    return sum((got & words(expected)).values()) / max(1, sum(got.values()))


def nested_divs(depth: int) -> str:
    return "<html><body>" + "<div>x " * depth + "deep" + "</div>" * depth + "</body></html>"


@pytest.fixture(scope="module")
def clueweb_payloads(shared_data) -> list[bytes]:
    """The 29 ClueWeb09 Japanese pages, raw bytes (all EUC-JP, declared in header and meta)."""
    with open(shared_data / "warc/bad/clueweb09-legacy-encodings.warc.gz", "rb") as stream:
        return [r.content_stream().read() for r in ArchiveIterator(stream)
                if r.rec_type == "response"]


@pytest.mark.parametrize(("content_type", "expected"), [
    ("text/html; charset=UTF-8", True), ("Application/XHTML+XML", True), (" text/html ", True),
    ("text/plain", False), ("image/jpeg", False), (None, False), ("", False)])
def test_html_media_types(content_type, expected):
    assert html_mod.is_html_media_type(content_type) is expected


@pytest.mark.parametrize(("payload", "expected"), [
    (b"<!DOCTYPE html><html>", True), (b"\n\t <html lang=en>", True), (b"<HEAD>", True),
    (b"\xef\xbb\xbf<!doctype HTML>", True), (b"<p>text", True), (b"<!-- c -->", True),
    (b"\x89PNG\r\n", False), (b"plain words", False), (b"<?xml version='1.0'?><rss>", False),
    (b"<htmlx>", False), (b"", False)])
def test_sniffing_follows_the_whatwg_html_patterns(payload, expected):
    assert html_mod.sniffs_as_html(payload) is expected


def test_header_charset_wins_over_meta_and_names_are_whatwg():
    page = "<meta charset='utf-8'><p>Привет, мир</p>".encode("cp1251")
    text, charset = html_mod.decode_html(page, "text/html; charset=windows-1251")
    assert charset == "cp1251" and "Привет, мир" in text
    assert html_mod.decode_html(b"<p>x</p>", "text/html; charset=ISO-8859-1")[1] == "cp1252"


def test_meta_charset_and_the_http_equiv_forms():
    body = "<p>Grüße aus Köln</p>".encode("cp1252")
    for meta in (b"<meta charset=windows-1252>",
                 b'<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">',
                 b"<META HTTP-EQUIV='CHARSET' CONTENT='windows-1252'>"):
        text, charset = html_mod.decode_html(meta + body, None)
        assert (charset, "Grüße aus Köln" in text) == ("cp1252", True), meta


def test_boms_win_and_are_stripped():
    assert html_mod.decode_html(b"\xef\xbb\xbf<p>\xc3\xa9", "text/html; charset=cp1252") == (
        "<p>é", "utf-8")
    assert html_mod.decode_html("<p>é".encode("utf-16"), None)[0] == "<p>é"


def test_legacy_japanese_pages_decode_from_header_meta_or_detection(clueweb_payloads):
    assert len(clueweb_payloads) == 29
    for payload in clueweb_payloads:
        expected = payload.decode("euc_jp")
        assert html_mod.decode_html(payload, "text/html; charset=EUC-JP") == (expected, "euc_jp")
        assert html_mod.decode_html(payload, None) == (expected, "euc_jp")  # from the meta tag
        no_meta = META_CHARSET.sub(b"", payload)
        assert html_mod.decode_html(no_meta, None) == (no_meta.decode("euc_jp"), "euc_jp")


def test_shift_jis_is_decoded_as_windows_31j(clueweb_payloads):
    """The same pages re-encoded as Shift_JIS, plus a character only windows-31j (cp932) has."""
    for payload in clueweb_payloads[:5]:
        sjis = (META_CHARSET.sub(b"", payload).decode("euc_jp") + "<p>①</p>").encode("cp932")
        text = sjis.decode("cp932")
        assert "①" in text and "ブリーフ" in text
        assert html_mod.decode_html(sjis, "text/html; charset=Shift_JIS") == (text, "shift_jis")
        assert html_mod.decode_html(sjis, None) == (text, "shift_jis")  # detected


def test_invalid_utf8_is_replaced_never_raised():
    page = "<p>日本語のテキスト、とても長い文章です。</p>".encode() * 20
    broken = page[:100] + b"\xff\xfe\xc3" + page[100:]
    text, charset = html_mod.decode_html(broken, "text/html; charset=utf-8")
    assert charset == "utf-8" and text.count("\ufffd") >= 1 and "とても長い文章" in text
    assert html_mod.decode_html(b"\x80\x81\xff" * 1000, None)[0]  # garbage decodes to something


def test_utf8_label_on_a_windows_1252_page_falls_back_to_detection():
    page = ("<p>" + "Die Straße führt über die Brücke nach Köln. " * 20 + "</p>").encode("cp1252")
    text, charset = html_mod.decode_html(page, "text/html; charset=utf-8")
    assert "Straße führt über die Brücke" in text and "\ufffd" not in text
    assert charset != "utf-8"


def test_moby_dick_main_text_matches_the_reference(shared_data):
    page = (shared_data / "pages/moby.html").read_text(encoding="utf-8")
    expected = (shared_data / "pages/moby_extracted.txt").read_text(encoding="utf-8")
    for extractor in ("resiliparse", "trafilatura"):
        text = html_mod.html_to_text(page, ExtractSettings(extractor=extractor))
        assert recall(text, expected) > 0.95 and precision(text, expected) > 0.95, extractor
        assert "Ahab's leg" in text


def test_resiliparse_defaults_drop_alt_texts_and_links_keep_bullets():
    body = "<p>" + "A sentence of body text. " * 20 + "</p>"
    page = (f"<html><body><article><h1>Title</h1>{body}<a href='https://example.org/x'>a link</a>"
            "<img alt='SITE LOGO' src=x.png><ol><li>first item</li><li>second item</li></ol>"
            f"<ul><li>unordered item</li></ul>{body}</article></body></html>")
    text = html_mod.html_to_text(page, DEFAULTS)
    assert "a link" in text and "example.org" not in text and "SITE LOGO" not in text
    assert "1. first item" in text
    # resiliparse's main-content mode drops every <ul> as navigation (a known limitation).
    assert "unordered item" not in text
    assert "• unordered item" in html_mod.html_to_text(page, ExtractSettings(main_content=False))
    with_alt = html_mod.html_to_text(page, ExtractSettings(alt_texts=True, list_bullets=False))
    assert "SITE LOGO" in with_alt and "1. first" not in with_alt and "first item" in with_alt


def test_main_content_beats_full_page_text_on_real_articles(shared_data):
    """30 scrapinghub article-extraction-benchmark pages against their reference article body."""
    truth = json.loads((shared_data / "pages/scrapinghub-aeb/ground-truth.json").read_text())
    pages = sorted(truth)[:30]
    scores = {True: [], False: []}
    for key in pages:
        raw = gzip.decompress((shared_data / f"pages/scrapinghub-aeb/html/{key}.html.gz")
                              .read_bytes())
        markup, _ = html_mod.decode_html(raw, None)
        for main in scores:
            text = html_mod.html_to_text(markup, ExtractSettings(main_content=main))
            scores[main].append((precision(text, truth[key]["articleBody"]),
                                 recall(text, truth[key]["articleBody"])))
    main_p, main_r = (sum(s[i] for s in scores[True]) / len(pages) for i in (0, 1))
    full_p = sum(s[0] for s in scores[False]) / len(pages)
    assert main_r > 0.95 and main_p > 0.8 and main_p > full_p + 0.2


def test_deep_nesting_is_refused_fast_instead_of_running_for_minutes():
    page = nested_divs(100_000)  # resiliparse's main-content pass would take ~280 s
    started = time.monotonic()
    with pytest.raises(html_mod.HtmlTooDeep):
        html_mod.extract_text(page, DEFAULTS)
    full = html_mod.extract_text(page, ExtractSettings(main_content=False, max_html_nodes=200_000))
    trafilatura = html_mod.extract_text(page, ExtractSettings(extractor="trafilatura",
                                                              max_html_nodes=200_000))
    assert full.strip().endswith("deep") and isinstance(trafilatura, str)
    # With the default element caps both refuse it too, by size (100,003 elements).
    for settings in (ExtractSettings(main_content=False), ExtractSettings(extractor="trafilatura")):
        with pytest.raises(html_mod.HtmlTooLarge):
            html_mod.extract_text(page, settings)
    assert time.monotonic() - started < 5


def test_depth_limit_lets_ordinary_nesting_through():
    assert html_mod.extract_text(nested_divs(400), DEFAULTS).strip().endswith("deep")
    with pytest.raises(html_mod.HtmlTooDeep):
        html_mod.extract_text(nested_divs(600), DEFAULTS)


def test_time_limit_stops_a_slow_extractor(monkeypatch):
    def slow(markup, settings):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # pure Python, like trafilatura's slow paths
            pass
        return "never"

    monkeypatch.setattr(html_mod, "_trafilatura_text", slow)
    settings = ExtractSettings(extractor="trafilatura", max_seconds_per_doc=0.2)
    outer = signal.getitimer(signal.ITIMER_REAL)[0]  # pytest-timeout's, if it uses signals
    started = time.monotonic()
    with pytest.raises(html_mod.ExtractionTimeout):
        html_mod.html_to_text("<p>x</p>", settings)
    assert time.monotonic() - started < 2
    left = signal.getitimer(signal.ITIMER_REAL)[0]
    assert (left == 0) == (outer == 0) and left <= outer  # ours is gone, any outer one is back


def test_time_limit_restores_an_outer_timer_and_handler():
    fired = []
    previous = signal.signal(signal.SIGALRM, lambda *_: fired.append(True))
    signal.setitimer(signal.ITIMER_REAL, 30)
    try:
        with html_mod.time_limit(5):
            pass
        assert 25 < signal.getitimer(signal.ITIMER_REAL)[0] <= 30
        signal.setitimer(signal.ITIMER_REAL, 0.01)
        time.sleep(0.1)
        assert fired == [True]  # the outer handler is back
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_time_limit_is_a_no_op_outside_the_main_thread():
    outcome = []

    def work():
        with html_mod.time_limit(0.01):
            time.sleep(0.05)
        outcome.append("finished")

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert outcome == ["finished"]


def test_text_is_cut_at_a_line_break_near_the_limit():
    text = "\n".join(["word " * 10] * 100)
    cut, was_cut = html_mod.truncate_text(text, 1000)
    assert was_cut and len(cut) <= 1000 and len(cut) > 900 and cut.endswith("word")
    assert html_mod.truncate_text("x" * 50, 10) == ("x" * 10, True)
    assert html_mod.truncate_text("short", 10) == ("short", False)
    long_page = "<p>" + "many words here " * 10_000 + "</p>"
    assert len(html_mod.html_to_text(long_page, ExtractSettings(max_text_chars=5000))) <= 5000


def test_short_texts_get_their_language_from_the_whole_page():
    page = ("<html><body><nav>" + "网站首页 新闻中心 产品展示 联系我们 " * 20 + "</nav>"
            "<article><p>Short teaser.</p></article></body></html>").encode()
    text, lid_text, charset, cut = html_mod.payload_text(page, "text/html; charset=utf-8",
                                                         DEFAULTS)
    assert "Short teaser." in text and "网站首页" in lid_text and charset == "utf-8" and not cut
    off = ExtractSettings(lid_page_text_below_chars=0)
    assert html_mod.payload_text(page, None, off)[1] == html_mod.payload_text(page, None, off)[0]

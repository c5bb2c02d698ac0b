"""RefinedWeb (DCLM's reproduction): the URL filter with DCLM's word lists and the UT1 domains
(``shared/data/lists``), and the line-wise corrections on literal texts whose corrected form and
word counts are worked out by hand from DCLM's modifiers."""

from __future__ import annotations

import dataclasses

import pytest

from webcurate.filters.refinedweb import (
    LINES_SIGNALS,
    REASON_EMPTY,
    REASON_NO_WORDS,
    REASON_REMOVED_WORDS,
    REASON_URL_DOMAIN,
    REASON_URL_EXCLUDED_DOMAIN,
    REASON_URL_HARD_WORD,
    REASON_URL_SOFT_WORDS,
    REASON_URL_STRICT_WORD,
    URL_SIGNALS,
    RefinedWebLinesConfig,
    RefinedWebUrlConfig,
    refinedweb_correct_lines,
    refinedweb_lines,
    refinedweb_lines_decision,
    refinedweb_url,
    refinedweb_url_decision,
    url_host,
)
from webcurate.io.storage import StorageConfig
from webcurate.resources import lists
from webcurate.resources.filters import load_refinedweb_url_resources

LOCAL = StorageConfig()
LINES = RefinedWebLinesConfig()
DCLM = "assets:refinedweb/refinedweb_banned_words_{}_reverse_engineered.txt"
URLS = RefinedWebUrlConfig(strict_words=DCLM.format("strict"), hard_words=DCLM.format("hard"),
                           soft_words=DCLM.format("soft"), excluded_domains=("wikipedia.org",))


@pytest.fixture
def url_resources(shared_data, monkeypatch):
    monkeypatch.setenv(lists.ASSETS_ENV, str(shared_data / "lists"))
    return load_refinedweb_url_resources(URLS, LOCAL)


@pytest.mark.parametrize(("url", "reason"), [
    ("http://www.0-1sex.com/", REASON_URL_DOMAIN),
    ("https://x.y.0-1sex.com:443/a", REASON_URL_DOMAIN),  # a parent domain is listed
    ("http://cams.example.xxx/", REASON_URL_DOMAIN),  # UT1 lists the .xxx TLD itself
    ("0-1sex.com/page", REASON_URL_DOMAIN),  # no scheme
    ("https://en.wikipedia.org/wiki/Cat", REASON_URL_EXCLUDED_DOMAIN),
    ("http://example.com/2-girls-1-cup.html", REASON_URL_STRICT_WORD),  # "-" and "." removed
    ("http://example.com/watch2girls1cup", REASON_URL_STRICT_WORD),  # anywhere
    ("http://example.com/BDSM/", REASON_URL_HARD_WORD),  # lowercased, between boundaries
    ("http://example.com/ass/butt", REASON_URL_SOFT_WORDS),
    ("http://example.com/sex?escort=1", REASON_URL_SOFT_WORDS),
])
def test_url_rules(url_resources, url, reason):
    verdict = refinedweb_url(url, URLS, url_resources)
    assert verdict.reason == reason and not verdict.keep


@pytest.mark.parametrize("url", [
    "http://example.com/bdsmx", "http://example.com/ass/ass", "http://example.com/classic",
    "https://www.essex.ac.uk/", "https://wikipedia.com/", "http://[::1", "mailto:a@b.org",
])
def test_url_keeps(url_resources, url):
    assert refinedweb_url(url, URLS, url_resources).keep


def test_url_signals_and_retuning(url_resources):
    verdict = refinedweb_url("http://example.com/ass/butt/bdsm", URLS, url_resources)
    assert verdict.reason == REASON_URL_HARD_WORD
    assert verdict.signals == {"refinedweb_url_missing": 0, "refinedweb_url_domain_hit": 0,
                               "refinedweb_url_excluded_hit": 0, "refinedweb_url_strict_words": 0,
                               "refinedweb_url_hard_words": 1, "refinedweb_url_soft_words": 2}
    soft = refinedweb_url("http://example.com/ass/butt", URLS, url_resources).signals
    assert refinedweb_url_decision(soft, URLS) == REASON_URL_SOFT_WORDS
    assert refinedweb_url_decision(soft, dataclasses.replace(URLS, min_soft_words=3)) is None
    missing = refinedweb_url(None, URLS, url_resources)
    assert missing.keep and missing.signals["refinedweb_url_missing"] == 1
    assert set(missing.signals) == {name for name, _ in URL_SIGNALS}


def test_url_without_word_lists_checks_domains_only(url_resources, shared_data):
    defaults = RefinedWebUrlConfig()
    res = load_refinedweb_url_resources(defaults, LOCAL)
    assert refinedweb_url("http://example.com/bdsm", defaults, res).keep
    signals = refinedweb_url("http://example.com/bdsm", defaults, res).signals
    assert signals["refinedweb_url_hard_words"] is None
    assert refinedweb_url("http://0-1sex.com/", defaults, res).reason == REASON_URL_DOMAIN


def test_url_host():
    assert url_host("https://User@WWW.Example.COM.:8080/x") == "example.com"
    assert url_host("example.com/path") == "example.com"
    assert url_host("example.com:8080/path") == "example.com"
    assert url_host("mailto:a@b.org") is None


def test_hard_list_from_s3(s3_server, shared_data):
    bucket = s3_server.make_bucket()
    s3_server.client().upload_file(
        str(shared_data / "lists/refinedweb/refinedweb_banned_words_hard_reverse_engineered.txt"),
        bucket, "rw/hard.txt")
    config = RefinedWebUrlConfig(domain_blocklist=None, hard_words=f"s3://{bucket}/rw/hard.txt")
    res = load_refinedweb_url_resources(config, s3_server.storage)
    assert refinedweb_url("http://example.com/porn/", config, res).reason == REASON_URL_HARD_WORD
    assert refinedweb_url("http://0-1sex.com/", config, res).keep


# --- line-wise corrections ----------------------------------------------------------------------

PAGE = ("Welcome to our shop\nSIGN UP NOW FOR FREE\n12345\n1,234 likes\nHello\n"
        "Sign-in to comment on this\nThree items in cart\n"
        "The story continues here with many words.\nRead more...")


def test_each_step_removes_its_lines():
    text, removed = refinedweb_correct_lines(PAGE, LINES)
    assert text == ("Welcome to our shop\nto comment on this\nThree\n"
                    "The story continues here with many words.")
    assert removed == {"uppercase": 1, "numeric": 1, "counter": 1, "short": 1, "boilerplate": 1}


def test_too_many_words_removed():
    text, verdict = refinedweb_lines(PAGE, LINES)
    assert verdict.reason == REASON_REMOVED_WORDS
    assert verdict.signals["refinedweb_words_before"] == 31
    assert verdict.signals["refinedweb_words_after"] == 16
    assert verdict.signals["refinedweb_removed_word_fraction"] == pytest.approx(15 / 31)
    assert set(verdict.signals) == {name for name, _ in LINES_SIGNALS}
    assert text.startswith("Welcome to our shop")


def test_keeps_a_page_that_loses_little():
    prose = "\n".join(f"Line {i} of a story that has quite a few words in it." for i in range(5))
    text, verdict = refinedweb_lines(f"  {prose}\nRead more...", LINES)
    assert verdict.keep
    assert text == prose  # "Read more..." cut, the text stripped
    assert verdict.signals["refinedweb_removed_word_fraction"] == pytest.approx(2 / 67)
    looser = dataclasses.replace(LINES, max_removed_word_fraction=0.01)
    assert refinedweb_lines_decision(verdict.signals, looser) == REASON_REMOVED_WORDS


@pytest.mark.parametrize(("line", "removed"), [
    ("1.2K shares", True), ("(3,400 views)", True), ("7 followers!", True), ("12 likes", True),
    ("We had 12 likes", False), ("12 likes and more", False), ("likes 12", False),
])
def test_counter_lines(line, removed):
    text = f"First line of ordinary words.\n{line}\nLast line of ordinary words."
    assert (refinedweb_correct_lines(text, LINES)[1]["counter"] == 1) is removed


@pytest.mark.parametrize(("line", "kept"), [
    ("Click here to read moreXYZ", "Click here to"),  # DCLM's fragments are regexes: . is any
    ("Your 3 Items In Cart today", "Your 3 today"),  # any case, one white space taken along
    ("sign-in", None), ("sign-in please now", "please now"),
    ("a line of eleven words that mentions items in cart somewhere here",
     "a line of eleven words that mentions items in cart somewhere here"),  # > 10 words
])
def test_boilerplate(line, kept):
    text, _ = refinedweb_correct_lines(f"An ordinary first line.\n{line}", LINES)
    assert text == "An ordinary first line." + (f"\n{kept}" if kept else "")


def test_empty_and_wordless_pages():
    assert refinedweb_lines("HELLO WORLD", LINES)[1].reason == REASON_EMPTY
    assert refinedweb_lines("", LINES)[1].reason == REASON_EMPTY
    text, verdict = refinedweb_lines("... --- ...\n!!! ???", LINES)
    assert text == "... --- ...\n!!! ???" and verdict.reason == REASON_NO_WORDS


def test_disabled_steps_keep_their_lines():
    off = RefinedWebLinesConfig(max_uppercase_line_ratio=None, max_numeric_line_ratio=None,
                                drop_counter_lines=False, min_line_words=None,
                                boilerplate_anywhere=(), boilerplate_suffixes=(),
                                boilerplate_prefixes=(), max_removed_word_fraction=None)
    text, verdict = refinedweb_lines(PAGE, off)
    assert text == PAGE and verdict.keep
    assert verdict.signals["refinedweb_removed_word_fraction"] == 0

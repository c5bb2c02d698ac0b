"""FineWeb's URL filter on literal urls with the real lists (``shared/data/lists/fineweb``): one
url per rule and its exact reason, keep cases, datatrove's quirks, options, lists on S3."""

from __future__ import annotations

import dataclasses

import pytest

from webcurate.filters.url_blocklist import (
    REASON_BANNED_SUBWORD,
    REASON_BANNED_WORD,
    REASON_DOMAIN,
    REASON_SOFT_BANNED_WORDS,
    REASON_SUBDOMAIN,
    REASON_URL,
    SIGNALS,
    UrlBlocklistConfig,
    host_parts,
    url_blocklist,
    url_blocklist_decision,
)
from webcurate.io.storage import StorageConfig
from webcurate.resources import lists
from webcurate.resources.filters import load_url_blocklist_resources

LOCAL = StorageConfig()
DEFAULT = UrlBlocklistConfig()
NO_LISTS = UrlBlocklistConfig(domains=None, urls=None, banned_words=None, banned_subwords=None,
                              soft_banned_words=None)


@pytest.fixture
def resources(shared_data, monkeypatch):
    """The default config's lists, ``assets:`` pointing at the shared test lists."""
    monkeypatch.setenv(lists.ASSETS_ENV, str(shared_data / "lists"))
    return load_url_blocklist_resources(DEFAULT, LOCAL)


def check(url, resources, config=DEFAULT):
    return url_blocklist(url, config, resources)


@pytest.mark.parametrize(("url", "reason"), [
    ("http://0-1sex.com/", REASON_DOMAIN),
    ("https://a.b.0-1sex.com:8080/x", REASON_DOMAIN),  # the registered domain is listed
    ("http://user:pw@www.0-1sex.com./", REASON_DOMAIN),
    ("https://spy-cam-masturbation.blogspot.pt/2019/", REASON_SUBDOMAIN),  # the full host
    ("1.168.20.184/.i", REASON_URL),  # UT1's url list has no scheme
    ("http://example.com/porn-videos", REASON_BANNED_WORD),
    ("http://localhost/xxx", REASON_BANNED_WORD),
    ("http://example.com/free-sex-webcam", REASON_SOFT_BANNED_WORDS),
    ("ftp://files.example.com/sex/nude/", REASON_SOFT_BANNED_WORDS),
    ("http://example.com/x-videos", REASON_BANNED_SUBWORD),  # letters and digits only
    ("http://example.com/XVIDEOS", REASON_BANNED_SUBWORD),  # subwords ignore case
])
def test_each_rule_rejects_with_its_reason(resources, url, reason):
    verdict = check(url, resources)
    assert not verdict.keep and verdict.reason == reason


@pytest.mark.parametrize("url", [
    "https://en.wikipedia.org/wiki/Pornography", "https://www.essex.ac.uk/",
    "http://example.com/sexy",  # one soft word
    "http://example.com/pornography",  # a banned word inside a longer token
    "http://0-1SEX.com/",  # hosts are not lowercased (as in datatrove)
    "http://example.com/PORN-videos",  # nor url words
    "http://1.168.20.184/.i",  # with a scheme the url list never matches
    "http://x.10000_gratis_sexfoto.jouwpagina.nl/",  # only the registered domain and full host
    "https://other.blogspot.pt/", "mailto:someone@example.com", "example.com",
])
def test_keeps(resources, url):
    verdict = check(url, resources)
    assert verdict.keep and verdict.reason is None


def test_signals_measure_every_rule(resources):
    signals = check("https://a.b.0-1sex.com/free-sex-webcam-porn", resources).signals
    assert set(signals) == {name for name, _ in SIGNALS}
    assert signals == {"url_blocklist_missing_url": 0, "url_blocklist_domain_hit": 1,
                       "url_blocklist_subdomain_hit": 0, "url_blocklist_url_hit": 0,
                       "url_blocklist_banned_words": 1, "url_blocklist_soft_words": 2,
                       "url_blocklist_subword_hit": 1}  # "free sex" -> "freesex"


@pytest.mark.parametrize("url", [None, ""])
def test_missing_url_is_kept_with_a_signal(resources, url):
    verdict = check(url, resources)
    assert verdict.keep
    assert verdict.signals["url_blocklist_missing_url"] == 1
    assert verdict.signals["url_blocklist_soft_words"] is None


def test_soft_threshold_retunes_from_signals(resources):
    verdict = check("http://example.com/nude?sex=1", resources)
    assert verdict.reason == REASON_SOFT_BANNED_WORDS
    assert verdict.signals["url_blocklist_subword_hit"] == 0
    three = dataclasses.replace(DEFAULT, soft_word_threshold=3)
    assert url_blocklist_decision(verdict.signals, three) is None
    assert check("http://example.com/nude?sex=1", resources, three).keep
    off = dataclasses.replace(DEFAULT, soft_word_threshold=None)
    assert url_blocklist_decision(verdict.signals, off) is None


def test_options_parent_domains_and_bare_urls(shared_data, monkeypatch):
    monkeypatch.setenv(lists.ASSETS_ENV, str(shared_data / "lists"))
    config = dataclasses.replace(DEFAULT, match_parent_domains=True,
                                 match_urls_without_scheme=True)
    res = load_url_blocklist_resources(config, LOCAL)
    assert url_blocklist("http://x.10000_gratis_sexfoto.jouwpagina.nl/", config, res).reason \
        == REASON_SUBDOMAIN
    assert url_blocklist("http://1.168.20.184/.i", config, res).reason == REASON_URL
    assert url_blocklist("http://jouwpagina.nl/", config, res).keep


def test_extra_lists_without_files():
    config = dataclasses.replace(NO_LISTS, extra_domains=("example.org", "# a comment"),
                                 extra_urls=("http://ok.example/bad",),
                                 extra_banned_words=("Spam",),
                                 extra_banned_subwords=("evil word",),
                                 extra_soft_banned_words=("cheap", "pills"))
    res = load_url_blocklist_resources(config, LOCAL)
    assert url_blocklist("https://www.example.org/", config, res).reason == REASON_DOMAIN
    assert url_blocklist("http://ok.example/bad", config, res).reason == REASON_URL
    assert url_blocklist("http://ok.example/spam/", config, res).reason == REASON_BANNED_WORD
    assert url_blocklist("http://ok.example/cheap-pills", config, res).reason \
        == REASON_SOFT_BANNED_WORDS
    assert url_blocklist("http://ok.example/an-evil_word", config, res).reason \
        == REASON_BANNED_SUBWORD
    assert url_blocklist("http://ok.example/fine", config, res).keep
    assert url_blocklist("http://ok.example/fine", NO_LISTS,
                         load_url_blocklist_resources(NO_LISTS, LOCAL)).keep


def test_host_parts():
    assert host_parts("https://a.b.example.co.uk:8080/x?y") == ("example.co.uk",
                                                                "a.b.example.co.uk")
    assert host_parts("http://1.2.3.4/x") == ("", "")
    assert host_parts("x.blogspot.com/2015") == ("blogspot.com", "x.blogspot.com")


def test_lists_from_s3(s3_server, shared_data):
    bucket = s3_server.make_bucket()
    client = s3_server.client()
    for name in ("banned_words.txt", "soft_banned_words.txt"):
        client.upload_file(str(shared_data / "lists/fineweb" / name), bucket, f"fw/{name}")
    client.put_object(Bucket=bucket, Key="fw/domains.txt", Body=b"blocked.com\n")
    config = dataclasses.replace(NO_LISTS, domains=f"s3://{bucket}/fw/domains.txt",
                                 banned_words=f"s3://{bucket}/fw/banned_words.txt",
                                 soft_banned_words=f"s3://{bucket}/fw/soft_banned_words.txt")
    res = load_url_blocklist_resources(config, s3_server.storage)
    assert url_blocklist("http://a.blocked.com/", config, res).reason == REASON_DOMAIN
    assert url_blocklist("http://ok.example/porn", config, res).reason == REASON_BANNED_WORD
    assert url_blocklist("http://ok.example/sex/nude", config, res).reason \
        == REASON_SOFT_BANNED_WORDS
    assert url_blocklist("http://ok.example/x-videos", config, res).keep  # no subword list

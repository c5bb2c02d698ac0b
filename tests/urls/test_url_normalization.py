"""URL normalisation: each documented rule, and the 64-bit key."""

from __future__ import annotations

import pytest

from webcurate.urls import UrlNormalization, normalize_url, url_key, url_keys


@pytest.mark.parametrize("url, expected", [
    ("HTTP://Example.COM/a", "example.com/a"),                      # scheme and host case
    ("https://example.com/a", "example.com/a"),                     # http == https
    ("example.com/a", "example.com/a"),                             # no scheme (dolma, Reddit)
    ("http://www.example.com/a", "example.com/a"),                  # www.
    ("http://example.com:80/a", "example.com/a"),                   # default ports
    ("https://example.com:443/a", "example.com/a"),
    ("http://example.com:8080/a", "example.com:8080/a"),            # other ports kept
    ("http://user:pw@example.com/a", "example.com/a"),              # userinfo
    ("http://example.com/a#section-2", "example.com/a"),            # fragment
    ("http://example.com", "example.com/"),                         # empty path
    ("http://example.com/a/", "example.com/a"),                     # trailing slash
    ("http://example.com/%7euser/%2fx", "example.com/~user/%2Fx"),  # percent-escapes
    ("http://example.com/A/B", "example.com/A/B"),                  # path case kept
    ("http://example.com/a?utm_source=rss&utm_medium=x&id=3&fbclid=q", "example.com/a?id=3"),
    ("http://example.com/a?b=2&a=1", "example.com/a?a=1&b=2"),      # query order
    ("http://example.com./a", "example.com/a"),                     # final dot of the host
    ("  http://example.com/a  ", "example.com/a"),
])
def test_rules(url, expected):
    assert normalize_url(url) == expected


@pytest.mark.parametrize("url", [None, "", "mailto:someone@example.com", "javascript:void(0)",
                                 "ftp://example.com/file", "http://", "http://example.com:x/"])
def test_not_an_http_url(url):
    assert normalize_url(url) is None


def test_optional_rules_can_be_turned_off():
    rules = UrlNormalization(fold_scheme=False, strip_www=False, strip_trailing_slash=False,
                             drop_tracking=False, sort_query=False)
    assert (normalize_url("HTTPS://www.Example.com/a/?utm_source=x&b=1", rules)
            == "https://www.example.com/a/?utm_source=x&b=1")


def test_keys_are_signed_64_bit_and_agree_for_variants():
    keys = url_keys(["http://www.example.com/a/", "https://example.com/a#x", "mailto:x@y.z"])
    assert keys[0] == keys[1] == url_key("example.com/a") and keys[2] is None
    assert -(2 ** 63) <= keys[0] < 2 ** 63
    assert url_key("example.com/a") != url_key("example.com/b")

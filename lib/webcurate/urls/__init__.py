"""URL normalisation and 64-bit URL keys for WebText-style selection (pure Python).

GPT-2's WebText (Radford et al. 2019, "Language Models are Unsupervised Multitask Learners")
kept the pages linked from Reddit posts with at least 3 karma. Matching a crawled page to a
link needs both spellings of a URL to agree, so both go through :func:`normalize_url`:

========================  ==========================================  =====================
rule                      example                                     configurable
========================  ==========================================  =====================
trim, lower-case scheme   ``HTTP://x.org`` -> ``http://x.org``        no
and host, drop a final    ``x.ORG.`` -> ``x.org``
dot in the host
only http and https       ``ftp://``, ``mailto:``, no host -> None    no
http == https             the key has no scheme (sites moved to        ``fold_scheme``
                          https since the links were posted)
drop ``www.``             ``www.x.org`` -> ``x.org``                   ``strip_www``
drop default ports        ``:80`` (http), ``:443`` (https)             no
drop user:password@       ``u:p@x.org`` -> ``x.org``                   no
drop the fragment         ``/a#top`` -> ``/a``                          no
path: ``/`` when empty,   ``x.org`` -> ``x.org/``; ``/a/`` -> ``/a``   ``strip_trailing_slash``
no trailing slash
percent-escapes           ``%7e`` -> ``~`` (unreserved decoded),       no
                          ``%2f`` -> ``%2F`` (others upper-cased)
tracking parameters       ``utm_*``, ``fbclid``, ``gclid``, ...        ``drop_tracking``
dropped                   (:data:`TRACKING_PARAMETERS`)
query sorted              ``?b=2&a=1`` -> ``?a=1&b=2``                  ``sort_query``
========================  ==========================================  =====================

Path case is kept (paths are case-sensitive on most servers); so are ``index.html`` and other
parameters. :func:`url_key` is the join key: the first 8 bytes of BLAKE2b over the normalised
URL as a signed 64-bit integer. With ~10^8 listed URLs, the chance that any of 3x10^9 documents
matches a URL it does not have by key collision is about 3x10^9 x 10^8 / 2^64 = 0.016: the
join carries 8 bytes per document instead of its URL string, at that cost.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

#: Query parameters that say who sent the visitor, not which page it is.
TRACKING_PARAMETERS = frozenset({
    "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "igshid", "mc_cid",
    "mc_eid", "_ga", "_gl", "_hsenc", "_hsmi", "mkt_tok", "ref_src", "ref_url", "spm",
    "share", "si", "trk", "cmpid", "ncid", "sr_share", "oly_anon_id", "oly_enc_id", "vero_id",
    "__twitter_impression", "wt_mc", "icid",
})
TRACKING_PREFIXES = ("utm_", "pk_", "hsa_", "mtm_")
DEFAULT_PORTS = {"http": 80, "https": 443}
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_OPAQUE_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):(?!\d)")


@dataclass(frozen=True)
class UrlNormalization:
    """Which of the optional rules apply (module docstring); the defaults suit WebText."""

    fold_scheme: bool = True
    strip_www: bool = True
    strip_trailing_slash: bool = True
    drop_tracking: bool = True
    sort_query: bool = True


DEFAULT_NORMALIZATION = UrlNormalization()


def _escape_case(part: str) -> str:
    """Decode escapes of unreserved characters, upper-case the others' hex digits."""
    def fix(match: re.Match) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else "%" + match.group(1).upper()
    return _ESCAPE.sub(fix, part)


def is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMETERS or lowered.startswith(TRACKING_PREFIXES)


def normalize_url(url: str | None,
                  rules: UrlNormalization = DEFAULT_NORMALIZATION) -> str | None:
    """The normalised form of ``url`` (module docstring), or None when it is not an http(s)
    URL with a host."""
    if not isinstance(url, str):
        return None
    url = url.strip()
    opaque = _OPAQUE_SCHEME.match(url)
    if opaque and not url[opaque.end():].startswith("//"):
        return None  # mailto:, javascript:, data:, ... (a host:port has digits after ':')
    if "://" not in url[:12] and url[:2] != "//":
        url = "http://" + url  # Reddit links and URL lists often omit the scheme
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = (parts.scheme or "http").lower()
    host = (parts.hostname or "").rstrip(".")  # urlsplit lower-cases it, drops user:pass@
    if scheme not in DEFAULT_PORTS or not host:
        return None
    if rules.strip_www and host.startswith("www.") and host.count(".") >= 2:
        host = host[4:]
    if ":" in host:
        host = f"[{host}]"  # IPv6 literal
    if port is not None and port != DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    path = _escape_case(quote(parts.path, safe="/%:@!$&'()*+,;=-._~")) or "/"
    if rules.strip_trailing_slash and len(path) > 1:
        path = path.rstrip("/") or "/"
    query = ""
    if parts.query:
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        if rules.drop_tracking:
            pairs = [(k, v) for k, v in pairs if not is_tracking(k)]
        if rules.sort_query:
            pairs = sorted(pairs)
        query = _escape_case(urlencode(pairs, safe="/:@!$'()*,;-._~"))
    prefix = "" if rules.fold_scheme else f"{scheme}://"
    return f"{prefix}{host}{path}" + (f"?{query}" if query else "")


def url_key(normalized: str) -> int:
    """Signed 64-bit key of a normalised URL (BLAKE2b, first 8 bytes, little-endian)."""
    digest = hashlib.blake2b(normalized.encode("utf-8", "surrogatepass"), digest_size=8)
    return int.from_bytes(digest.digest(), "little", signed=True)


def url_keys(urls, rules: UrlNormalization = DEFAULT_NORMALIZATION) -> list[int | None]:
    """:func:`url_key` of each URL's normalised form (None where it does not normalise)."""
    out = []
    for url in urls:
        normalized = normalize_url(url, rules)
        out.append(None if normalized is None else url_key(normalized))
    return out

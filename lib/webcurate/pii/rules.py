"""Finding and replacing e-mail addresses, public IP addresses and phone numbers in text.

The rules, and where each departs from its source:

- **E-mail**: datatrove 0.10.1's ``PIIFormatter`` pattern (FineWeb's PII step), an RFC
  5322-style local part, ``@``, dot-separated domain labels or a bracketed IP literal, letters
  of either case (``email_ignore_case: true``, the default). Earlier datatrove versions had
  lowercase classes only, so ``John.Smith@Example.com`` was left as it is:
  ``email_ignore_case: false``. The pattern is run only on the whitespace-delimited tokens
  that contain an ``@`` (an address holds no whitespace, so the matches are the same as over
  the whole text), which keeps the cost off long ``@``-free runs.
- **IPv4**: datatrove's dotted-quad pattern (octets 0-255) and its validator: Python's
  ``ipaddress.ip_address(...).is_global`` with ``ip_public_only`` (private, loopback,
  link-local, shared, documentation and other reserved ranges are left alone; octets with a
  leading zero are not addresses). Departure: the quad must stand alone (no digit or dot-digit
  on either side), where datatrove would replace ``1.2.3.4`` inside the version ``1.2.3.4.5``
  or ``34.5.6.7`` inside ``1234.5.6.7``.
- **IPv6** (datatrove has none): a run of hex groups and colons (2 to 7 colons, an embedded
  IPv4 tail allowed) that ``ipaddress.IPv6Address`` parses, and with ``ip_public_only`` that is
  global unicast: inside ``2000::/3`` (the only block IANA allocates for public addresses) and
  ``is_global``. Code such as ``std::cout`` or ``a::b`` is never an address.
- **Phone numbers**: Dolma's regex tagger (``pii_regex_v1``) as the base: North American
  numbers, 3 + 3 + 4 digits, optional parentheses around the area code, ``-``, ``.`` or space
  between groups, and Dolma's context rule: a match with ``isbn``, ``doi`` or ``#`` within
  ``phone_context_chars`` (100) characters is not a phone number. Departures, each from a
  false positive in the real Wikipedia sample (tests/pii): the groups must be written as a
  phone number is, area code in parentheses or followed by a separator, exchange followed by
  one (Dolma accepts a bare run of 10 digits: Flickr photo ids ``(7263536048)``, populations
  ``3634000000``, report ids); area code and exchange start with 2-9 (the North American
  numbering plan); an optional ``+1`` / ``1`` prefix is part of the number; the number must
  stand alone (not preceded by a letter, digit or ``. / - + = _``; not followed by a letter,
  digit or ``-``, where Dolma would take the first 10 digits of a longer run; not inside a
  list of numbers, i.e. no number of 1-4 digits and a space just before or after: the page
  list ``997 998 999 1000`` of a real CC page);
  ``isbn`` / ``doi`` are whole words in any case (Dolma's substring test skips phones near
  "doing").

Replacement: the i-th replaced match of a kind in a document gets ``replacements[i % len]``,
restarting in every document, so the output does not depend on how documents are spread over
tasks (datatrove cycles through its list across all the documents a worker sees). A match that
is already one of the replacement strings is left and not counted, so scrubbing scrubbed text
changes nothing. Overlaps are resolved by kind order: e-mail, IPv4, IPv6, phone (an address's
IP literal is part of the e-mail).
"""

from __future__ import annotations

import ipaddress
import json
import re
from functools import lru_cache

import regex

from webcurate.pii.settings import KINDS, PiiSettings

_OCTET = r"(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)"
#: datatrove 0.10.1's e-mail pattern (formatters/pii.py, PIIFormatter), unchanged.
EMAIL_PATTERN = (
    r"\b[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:(?:[A-Za-z0-9]"
    r"(?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?|\[(?:(?:25[0-5]|"
    r"2[0-4][0-9]|[01]?[0-9][0-9]?)\.){3}(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?|[A-Za-z0-9-]*"
    r"[A-Za-z0-9]:)])")
#: the lowercase-only pattern of earlier datatrove versions (``email_ignore_case: false``).
EMAIL_PATTERN_LOWERCASE = (
    r"\b[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:(?:[a-z0-9](?:[a-z0-9-]*"
    r"[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]*[a-z0-9])?|\[(?:(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)"
    r"\.){3}(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?|[a-z0-9-]*[a-z0-9]:)])")
#: datatrove's IPv4 pattern, here with the stand-alone boundaries.
DATATROVE_IPV4_PATTERN = rf"(?:{_OCTET}\.){{3}}{_OCTET}"
IPV4_PATTERN = rf"(?<![0-9.])(?:{_OCTET}\.){{3}}{_OCTET}(?![0-9]|\.[0-9])"
IPV6_PATTERN = (r"(?<![0-9A-Za-z:.])(?:[0-9A-Fa-f]{0,4}:){2,7}"
                r"(?:(?:[0-9]{1,3}\.){3}[0-9]{1,3}|[0-9A-Fa-f]{1,4})?(?![0-9A-Za-z:]|\.[0-9])")
PHONE_PATTERN = (r"(?<![\w.+/=-])(?<!(?:^|[^0-9-])[0-9]{1,4} )(?:\+?1[-. ]?)?"
                 r"(?:\([2-9][0-9]{2}\)[-. ]?|[2-9][0-9]{2}[-. ])[2-9][0-9]{2}[-. ][0-9]{4}"
                 r"(?![\w-]|\.[0-9]| [0-9]{1,4}(?:[^0-9-]|$))")  # compiled with `regex`
PHONE_CONTEXT = re.compile(r"\b(?:isbn|doi)\b|#", re.IGNORECASE)
_GLOBAL_UNICAST = ipaddress.IPv6Network("2000::/3")
_AT_TOKEN = re.compile(r"\S*@\S*")


def public_ipv4(candidate: str, public_only: bool = True) -> bool:
    """datatrove's ``public_ip_validator`` for IPv4: an address, and global if asked."""
    try:
        address = ipaddress.IPv4Address(candidate)
    except ValueError:
        return False
    return not public_only or address.is_global


def public_ipv6(candidate: str, public_only: bool = True) -> bool:
    """An IPv6 address, and with ``public_only`` a global unicast one."""
    try:
        address = ipaddress.IPv6Address(candidate)
    except ValueError:
        return False
    return not public_only or (address in _GLOBAL_UNICAST and address.is_global)


class Scrubber:
    """The compiled rules of one :class:`PiiSettings`; :meth:`scrub` is pure."""

    def __init__(self, settings: PiiSettings):
        self.settings = settings
        self.email = re.compile(EMAIL_PATTERN if settings.email_ignore_case
                                else EMAIL_PATTERN_LOWERCASE)
        self.ipv4 = re.compile(IPV4_PATTERN)
        self.ipv6 = re.compile(IPV6_PATTERN)
        self.phone = regex.compile(PHONE_PATTERN)  # variable-width lookbehind
        self.kinds = tuple(k for k in KINDS if k in settings.kinds)
        self.replacements = {"email": tuple(settings.email_replacements),
                             "ipv4": tuple(settings.ipv4_replacements),
                             "ipv6": tuple(settings.ipv6_replacements),
                             "phone": tuple(settings.phone_replacements)}

    # --- finding -------------------------------------------------------------------------

    def _emails(self, text: str):
        if "@" not in text:
            return
        for token in _AT_TOKEN.finditer(text):
            for match in self.email.finditer(text, token.start(), token.end()):
                yield match.start(), match.end()

    def _ipv4(self, text: str):
        public_only = self.settings.ip_public_only
        for match in self.ipv4.finditer(text):
            if public_ipv4(match.group(), public_only):
                yield match.start(), match.end()

    def _ipv6(self, text: str):
        if "::" not in text and text.count(":") < 6:  # 8 groups: 7 colons, 6 with an IPv4 tail
            return
        public_only = self.settings.ip_public_only
        for match in self.ipv6.finditer(text):
            if match.end() - match.start() >= 3 and public_ipv6(match.group(), public_only):
                yield match.start(), match.end()

    def _phones(self, text: str):
        window = self.settings.phone_context_chars
        for match in self.phone.finditer(text):
            start, end = match.span()
            if window and PHONE_CONTEXT.search(text, max(0, start - window),
                                               min(len(text), end + window)):
                continue
            yield start, end

    def find(self, text: str) -> list[tuple[int, int, str]]:
        """``(start, end, kind)`` of every match to replace, sorted, without overlaps (an
        earlier kind wins), matches equal to a replacement string left out."""
        finders = {"email": self._emails, "ipv4": self._ipv4, "ipv6": self._ipv6,
                   "phone": self._phones}
        taken: list[tuple[int, int, str]] = []
        for kind in self.kinds:
            keep = set(self.replacements[kind])
            for start, end in finders[kind](text):
                if text[start:end] in keep:
                    continue
                if any(start < b and a < end for a, b, _ in taken):
                    continue
                taken.append((start, end, kind))
        return sorted(taken)

    # --- replacing -----------------------------------------------------------------------

    def scrub(self, text: str) -> tuple[str, dict[str, int]]:
        """``(text with every match replaced, replacements per kind)``; text without PII is
        returned as it is (the same object)."""
        counts = dict.fromkeys(self.kinds, 0)
        if not text:
            return text, counts
        found = self.find(text)
        if not found:
            return text, counts
        parts, previous = [], 0
        for start, end, kind in found:
            choices = self.replacements[kind]
            parts.append(text[previous:start])
            parts.append(choices[counts[kind] % len(choices)])
            counts[kind] += 1
            previous = end
        parts.append(text[previous:])
        return "".join(parts), counts


@lru_cache(maxsize=16)
def _scrubber(settings_json: str) -> Scrubber:
    from webcurate.config import build

    return Scrubber(build(PiiSettings, json.loads(settings_json)))


def scrubber_for(settings: PiiSettings | dict | None = None) -> Scrubber:
    """A :class:`Scrubber` for ``settings`` (a PiiSettings, a raw mapping or None for the
    defaults), compiled once per process and settings."""
    from webcurate.config import to_dict

    raw = {} if settings is None else (settings if isinstance(settings, dict)
                                       else to_dict(settings))
    return _scrubber(json.dumps(raw, sort_keys=True))


def scrub(text: str, settings: PiiSettings | dict | None = None) -> tuple[str, dict[str, int]]:
    """Replace e-mail addresses, public IPv4 / IPv6 addresses and phone numbers in ``text``.

    ``settings``: a :class:`PiiSettings`, a mapping of its keys (``{"kinds": ["email",
    "ipv4"]}``) or None for the defaults. Returns the new text and the replacements per kind.
    """
    return scrubber_for(settings).scrub(text)

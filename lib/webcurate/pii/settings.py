"""What the PII step replaces and with what: plain frozen values with help and ranges.

Replacement defaults: e-mails become FineWeb's (datatrove ``PIIFormatter``) addresses at
``example.com`` / ``example.org``, domains reserved for examples (RFC 2606). For IP addresses
datatrove uses six publicly routable addresses that "did not respond to ping requests at the
time the list was created"; those can be assigned to someone later, and a second pass would
replace them again. Here the defaults are the documentation ranges: IPv4 TEST-NET-1/2/3 (RFC
5737) and IPv6 ``2001:db8::/32`` (RFC 3849), reserved forever, never public, so scrubbed text
scrubs to itself. FineWeb's exact list is one setting away (README, "The pii job"). Phone
numbers become 555-01xx numbers, the range North American numbering reserves for fiction.
"""

from __future__ import annotations

from dataclasses import dataclass

from webcurate.config import option

KINDS = ("email", "ipv4", "ipv6", "phone")
FINEWEB_IPV4_REPLACEMENTS = ("22.214.171.124", "126.96.36.199", "188.8.131.52",
                             "184.108.40.206", "220.127.116.11", "18.104.22.168")
FINEWEB_EMAIL_REPLACEMENTS = ("email@example.com", "firstname.lastname@example.org")


@dataclass(frozen=True)
class PiiSettings:
    """``pii:`` settings: the kinds replaced, their replacement strings and rule options."""

    kinds: list[str] = option(list(KINDS), choices=KINDS,
                              help="what is replaced: email, ipv4, ipv6, phone (FineWeb: "
                                   "email, ipv4)")
    email_replacements: list[str] = option(
        list(FINEWEB_EMAIL_REPLACEMENTS),
        help="e-mail replacements, used in turn within a document (FineWeb's)")
    ipv4_replacements: list[str] = option(
        ["192.0.2.1", "198.51.100.1", "203.0.113.1"],
        help="IPv4 replacements, in turn (RFC 5737 documentation addresses; FineWeb used 6 "
             "random public ones)")
    ipv6_replacements: list[str] = option(
        ["2001:db8::1", "2001:db8::2"], help="IPv6 replacements, in turn (RFC 3849)")
    phone_replacements: list[str] = option(
        ["555-555-0100", "555-555-0101"], help="phone number replacements, in turn (555-01xx: "
                                               "reserved for fiction)")
    ip_public_only: bool = option(
        True, help="replace public addresses only (private, loopback, reserved ranges stay), "
                   "as datatrove's only_remove_public_ips")
    email_ignore_case: bool = option(
        True, help="match e-mail addresses in either case (datatrove 0.10.1); false: the "
                   "lowercase-only pattern of earlier datatrove versions")
    phone_context_chars: int = option(
        100, min=0, max=10_000, help="a phone match with isbn, doi or # this close is not a "
                                     "phone number (Dolma: 100); 0 disables the rule")

    def __post_init__(self):
        for kind in KINDS:
            values = getattr(self, f"{kind}_replacements")
            if not values:
                raise ValueError(f"config key '{kind}_replacements': give at least one string")

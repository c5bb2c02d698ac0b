"""PII scrubbing on real text: planted e-mails, IPs and phone numbers in real news prose are
replaced and nothing else changes; real prose without PII comes back byte-identical; the PII
the real samples do hold (Project Gutenberg's contact lines, Wikipedia editors' IPs) is what
is found; reserved addresses stay."""

from __future__ import annotations

import bz2
import zipfile
from collections import Counter
from pathlib import Path

import pytest

from webcurate.config import ConfigError, build
from webcurate.pii import PiiSettings, scrub, scrubber_for
from webcurate.pii.settings import FINEWEB_IPV4_REPLACEMENTS

REFERENCE = "text/reference"
#: (planted string, kind) in the order a sentence holds them
PLANTS = [
    ("Write to jane.doe@gmail.com for details.", [("jane.doe@gmail.com", "email")]),
    ("Readers can reach the desk at News.Desk@ABC.net.au or on (212) 555-0143.",
     [("News.Desk@ABC.net.au", "email"), ("(212) 555-0143", "phone")]),
    ("The attack came from 203.94.12.7 and 8.8.8.8, not from the router at 192.168.0.1.",
     [("203.94.12.7", "ipv4"), ("8.8.8.8", "ipv4")]),
    ("Its IPv6 address was 2001:4860:4860::8888 (loopback ::1 aside).",
     [("2001:4860:4860::8888", "ipv6")]),
    ("Call +1 415-555-2671 or 415.555.2672 after 5 pm.",
     [("+1 415-555-2671", "phone"), ("415.555.2672", "phone")]),
]


def lee_articles(shared_data: Path) -> list[str]:
    text = (shared_data / REFERENCE / "lee_background.cor").read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip()]


def reference_texts(shared_data: Path) -> dict[str, str]:
    root = shared_data / REFERENCE
    texts = {name: (root / name).read_text(encoding="utf-8", errors="replace") for name in (
        "high_quality_wiki_reference.txt", "lee_background.cor", "tinyshakespeare.txt",
        "pg16215-jack-sheppard.txt", "pg3261-news-from-nowhere.txt",
        "pg9198-complete-angler.txt", "pg972-devils-dictionary.txt")}
    for name in ("abc.zip", "inaugural.zip", "state_union.zip"):
        with zipfile.ZipFile(root / name) as archive:
            texts[name] = "\n".join(archive.read(n).decode("utf-8", "replace")
                                    for n in archive.namelist() if not n.endswith("/"))
    return texts


def test_planted_pii_in_real_prose_is_replaced_and_nothing_else_changes(shared_data):
    replacements = {kind: list(getattr(PiiSettings(), f"{kind}_replacements"))
                    for kind in ("email", "ipv4", "ipv6", "phone")}
    for number, article in enumerate(lee_articles(shared_data)[:60]):
        sentences = article.split(". ")
        planted, expected, used = [], [], Counter()
        for i, sentence in enumerate(sentences):
            planted.append(sentence)
            expected.append(sentence)
            if i % 3 == 1:  # a planted sentence after every third sentence of the article
                plant, found = PLANTS[(number + i) % len(PLANTS)]
                planted.append(plant)
                for value, kind in found:
                    choice = replacements[kind][used[kind] % len(replacements[kind])]
                    plant = plant.replace(value, choice, 1)
                    used[kind] += 1
                expected.append(plant)
        text, counts = scrub(". ".join(planted))
        assert text == ". ".join(expected)
        assert {k: v for k, v in counts.items() if v} == dict(used)


def test_real_prose_without_pii_is_left_byte_identical(shared_data):
    texts = reference_texts(shared_data)
    for name in ("high_quality_wiki_reference.txt", "lee_background.cor", "tinyshakespeare.txt",
                 "abc.zip", "inaugural.zip", "state_union.zip"):
        text, counts = scrub(texts[name])
        assert text is texts[name] and not any(counts.values()), name


def test_the_pii_real_texts_hold_is_what_is_found(shared_data):
    """Project Gutenberg's licence carries PGLAF's contact e-mails and phone; the Wikipedia
    dump's revision metadata carries anonymous editors' IPv4 and IPv6 addresses."""
    scrubber = scrubber_for(None)
    texts = reference_texts(shared_data)
    for name in ("pg16215-jack-sheppard.txt", "pg3261-news-from-nowhere.txt",
                 "pg9198-complete-angler.txt", "pg972-devils-dictionary.txt"):
        found = {(kind, texts[name][a:b]) for a, b, kind in scrubber.find(texts[name])}
        assert ("phone", "(801) 596-1887") in found
        assert ("email", "gbnewby@pglaf.org") in found
        assert {value.rsplit("@", 1)[-1] for kind, value in found if kind == "email"} == \
            {"pglaf.org"}
    wiki = bz2.decompress((shared_data / REFERENCE / (
        "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2")).read_bytes()
    ).decode("utf-8")
    found = scrubber.find(wiki)
    assert Counter(kind for _, _, kind in found) == {"ipv4": 58, "ipv6": 9, "phone": 3}
    for start, _end, kind in found:
        before = wiki[max(0, start - 90):start]
        if kind == "phone":
            assert "Dow Jones Newswires" in wiki[start - 60:start]
        else:  # an editor: <ip>...</ip>, or a Special:Contributions / User talk link
            assert before.endswith("<ip>") or "Contrib" in before or "User talk:" in before


@pytest.mark.parametrize("kept", [
    "10.0.0.1", "192.168.1.20", "172.16.5.4", "127.0.0.1", "169.254.10.1", "100.64.1.1",
    "0.0.0.0", "255.255.255.255", "192.0.2.55", "198.51.100.7", "203.0.113.200",
    "::1", "fe80::1", "fc00::1234", "2001:db8::42", "ab::cd", "std::cout",
    "version 1.2.3.4.5", "010.1.1.1", "1.2.3.256", "12:30:45", "ISBN 0 201 555 0143 x",
    "see page 997 998 999 1000", "photo (7263536048).jpg", "email@example.com",
    "firstname.lastname@example.org", "192.0.2.1", "555-555-0100", "user at example dot com",
])
def test_reserved_addresses_non_addresses_and_replacements_are_left(kept):
    text = f"In the log: {kept}; end."
    assert scrub(text) == (text, {"email": 0, "ipv4": 0, "ipv6": 0, "phone": 0})


def test_scrubbed_text_scrubs_to_itself_and_replacements_cycle_per_document(shared_data):
    text = "a@b.org c@d.org e@f.org 1.1.1.1 9.9.9.9 8.8.4.4 1.0.0.1"
    once, counts = scrub(text)
    assert once == ("email@example.com firstname.lastname@example.org email@example.com "
                    "192.0.2.1 198.51.100.1 203.0.113.1 192.0.2.1")
    assert counts == {"email": 3, "ipv4": 4, "ipv6": 0, "phone": 0}
    assert scrub(once) == (once, dict.fromkeys(counts, 0))


def test_fineweb_settings_are_datatroves_rules(shared_data):
    fineweb = {"kinds": ["email", "ipv4"], "ipv4_replacements": list(FINEWEB_IPV4_REPLACEMENTS)}
    text = "Mail John.Smith@Example.com or john@example.net from 8.8.8.8 (tel 212-555-0143)."
    assert scrub(text, fineweb) == (
        "Mail email@example.com or firstname.lastname@example.org from 22.214.171.124 "
        "(tel 212-555-0143).", {"email": 2, "ipv4": 1})
    older = scrub(text, {**fineweb, "email_ignore_case": False})  # datatrove before 0.10
    assert older[0].startswith("Mail John.Smith@Example.com or email@example.com from")
    assert scrub(text, build(PiiSettings, {"kinds": ["phone"]}))[1] == {"phone": 1}


def test_bad_settings_fail_with_one_line():
    with pytest.raises(ConfigError, match="kinds"):
        build(PiiSettings, {"kinds": ["email", "credit_card"]})
    with pytest.raises(ConfigError, match="email_replacements"):
        build(PiiSettings, {"email_replacements": []})

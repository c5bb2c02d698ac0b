"""The FineWeb recipe's MinHash normalisation (``normalize.style: datatrove``) against a plain
statement of datatrove's ``simplify_text`` with ``TextNormConfig()`` defaults, on real text."""

from __future__ import annotations

import gzip
import json
import re
import string
import unicodedata

import pytest

from webcurate.dedup.normalize import DATATROVE_PUNCTUATION, normalize_text
from webcurate.dedup.settings import NormalizeSettings

DATATROVE = NormalizeSettings(lowercase=True, punctuation=True, digits=True, accents=True,
                              style="datatrove")


def simplify_text(text: str) -> str:
    """datatrove's steps in its order: lowercase; whitespace runs -> " "; punctuation deleted;
    NFD, non-spacing marks dropped; digit runs -> "0"; stripped."""
    text = re.sub(r"\s+", " ", text.lower().strip())
    text = text.translate({ord(c): None for c in DATATROVE_PUNCTUATION})
    text = "".join(c for c in unicodedata.normalize("NFD", text)
                   if unicodedata.category(c) != "Mn")
    return re.sub(r"\d+", "0", text).strip()


def test_the_punctuation_set_is_datatroves():
    assert set(string.punctuation) <= set(DATATROVE_PUNCTUATION)
    assert len(DATATROVE_PUNCTUATION) == len(set(DATATROVE_PUNCTUATION)) == 129
    assert "\t" not in DATATROVE_PUNCTUATION and "\n" not in DATATROVE_PUNCTUATION
    assert {"\x00", "\x1f", "\x7f", "\x9f", "\u2014", "\u201c", "\u3002", "\uff11"} <= set(
        DATATROVE_PUNCTUATION)
    assert not {"\u00a0", "0", "a", "\u00e9"} & set(DATATROVE_PUNCTUATION)


@pytest.mark.parametrize("text, words", [
    ("Don't stop—it's 1,000 km!", "dont stopits 0 km"),
    ("Café  CAFÉ\ncafe", "cafe cafe cafe"),
    ("a - b", "a b"),
    ("v2.0.13 and 2024-05-01", "v0 and 0"),
])
def test_datatrove_style_examples(text, words):
    assert normalize_text(text, DATATROVE) == words == " ".join(simplify_text(text).split())


def test_datatrove_style_equals_simplify_text_on_real_documents(shared_data):
    """697 CC-MAIN-2019-30 documents in 55 languages: the words are those of simplify_text,
    except where Arrow's simple lowercase differs from Python's full one (final sigma, and
    the dotted capital I), counted and bounded."""
    path = shared_data / "text" / "cc" / "CC-MAIN-2019-30-697docs.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        texts = [json.loads(line)["text"] for line in lines]
    differ = [t for t in texts if normalize_text(t, DATATROVE) != " ".join(
        simplify_text(t).split())]
    for text in differ:  # each difference is a lowercase-mapping one
        assert re.search("[\u03a3\u0130]", text)
    assert len(differ) <= len(texts) // 100

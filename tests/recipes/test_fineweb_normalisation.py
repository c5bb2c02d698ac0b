"""The FineWeb recipe's MinHash normalisation (``normalize.style: datatrove``) against
datatrove 0.10.1's ``simplify_text`` with the ``TextNormConfig()`` its ``MinhashConfig`` applies:
on real text, against a fixture that datatrove itself computed (``fixtures/``, made in the
``make parity`` virtualenv) and against a plain statement of its steps."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import string
import unicodedata
from pathlib import Path

import pytest
import regex

from webcurate.dedup.normalize import DATATROVE_PUNCTUATION, normalize_text
from webcurate.dedup.settings import NormalizeSettings

DATATROVE = NormalizeSettings(lowercase=True, punctuation=True, digits=True, accents=True,
                              style="datatrove")
FIXTURE = Path(__file__).parent / "fixtures" / "datatrove_simplify_text.json"
NUMBER = regex.compile(r"\p{Nd}+([.,\u060c\u066b\u2396\u2397\u2398]\p{Nd}+)?")


def simplify_text(text: str) -> str:
    """datatrove 0.10.1's steps in its order: lowercase; numbers (digits with at most one
    decimal part) -> "0"; punctuation -> " "; whitespace runs -> " "; NFD, non-spacing marks
    dropped; stripped."""
    text = NUMBER.sub("0", text.lower())
    text = text.translate({ord(c): " " for c in DATATROVE_PUNCTUATION})
    text = re.sub(r"\s+", " ", text.strip())
    text = "".join(c for c in unicodedata.normalize("NFD", text)
                   if unicodedata.category(c) != "Mn")
    return text.strip()


@pytest.fixture(scope="module")
def real_texts(shared_data) -> list[str]:
    path = shared_data / "text" / "cc" / "CC-MAIN-2019-30-697docs.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        return [json.loads(line)["text"] for line in lines]


def test_the_punctuation_set_is_datatroves():
    assert set(string.punctuation) <= set(DATATROVE_PUNCTUATION)
    assert len(DATATROVE_PUNCTUATION) == len(set(DATATROVE_PUNCTUATION)) == 129
    assert "\t" not in DATATROVE_PUNCTUATION and "\n" not in DATATROVE_PUNCTUATION
    assert {"\x00", "\x1f", "\x7f", "\x9f", "\u2014", "\u201c", "\u3002", "\uff11"} <= set(
        DATATROVE_PUNCTUATION)
    assert not {"\u00a0", "0", "a", "\u00e9"} & set(DATATROVE_PUNCTUATION)


@pytest.mark.parametrize("text, words", [
    ("Don't stop—it's 1,000 km!", "don t stop it s 0 km"),
    ("Café  CAFÉ\ncafe", "cafe cafe cafe"),
    ("a - b", "a b"),
    ("v2.0.13 and 2024-05-01", "v0 0 and 0 0 0"),
])
def test_datatrove_style_examples(text, words):
    assert normalize_text(text, DATATROVE) == words == " ".join(simplify_text(text).split())


def test_datatrove_style_equals_datatroves_own_simplify_text(real_texts):
    """697 CC-MAIN-2019-30 documents in 55 languages against datatrove's output: equal words
    except where Arrow's simple lowercase differs from Python's full one (a capital sigma),
    and that only."""
    expected = json.loads(FIXTURE.read_text())["sha1"]
    assert len(expected) == len(real_texts)
    differ = [text for text, digest in zip(real_texts, expected, strict=True)
              if hashlib.sha1(normalize_text(text, DATATROVE).encode()).hexdigest()[:16]
              != digest]
    assert len(differ) <= 1
    for text in differ:
        assert re.search("[\u03a3\u0130]", text)
        assert normalize_text(text, DATATROVE) != " ".join(simplify_text(text).split())


def test_the_stated_steps_are_datatroves(real_texts):
    """The oracle above reproduces datatrove's fixture exactly (so the examples test the
    steps datatrove takes)."""
    expected = json.loads(FIXTURE.read_text())["sha1"]
    assert all(hashlib.sha1(" ".join(simplify_text(t).split()).encode()).hexdigest()[:16] == d
               for t, d in zip(real_texts, expected, strict=True))

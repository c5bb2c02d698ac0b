"""The fineweb2 chain on real documents: each document is judged with its own language's words
and settings, the same decision comes back from the stored signals, English keeps FineWeb's."""

from __future__ import annotations

import collections

import pytest

from webcurate.config import build
from webcurate.filters.chain import ChainStep, redecide, run_chain
from webcurate.filters.gopher import quality_signals
from webcurate.filters.plugin import Document
from webcurate.filters.registry import get_filter
from webcurate.languages.reference import udhr_documents
from webcurate.recipes import recipe_section
from webcurate.text.segmenters import words_of
from webcurate.text.words import split_words


def _steps(names, settings=None):
    steps = []
    for name in names:
        entry = get_filter(name)
        config = build(entry.config_class, (settings or {}).get(name, {}))
        steps.append(ChainStep(entry, config, entry.load_resources(config, None)
                               if entry.load_resources else None))
    return steps


def _fineweb2_steps():
    section = recipe_section("fineweb2", "filter")
    names = [n for n in section["filters"] if n != "url_blocklist"]  # lists: not the point here
    return _steps(names, section["settings"])


def _judge(docs, steps, redecided=True):
    """Outcomes; ``redecided``: the stored signals give the same decision (needs the
    fineweb2_language filter's language signal in the chain)."""
    outcomes = []
    for doc in docs:
        outcome = run_chain(Document(doc["text"], doc["url"], doc["language"],
                                     doc["language_score"]), steps, True)
        if redecided:
            assert redecide(outcome.signals, steps) == (outcome.filter, outcome.reason)
        outcomes.append(outcome)
    return outcomes


def _subset(cc_docs, per_language=3, others=40):
    seen = collections.Counter()
    picked = []
    for doc in cc_docs:
        unsegmented = doc["language"] in ("zh", "ja", "th", "ko")
        if (unsegmented and seen[doc["language"]] < per_language) or (
                not unsegmented and seen["other"] < others):
            seen[doc["language"] if unsegmented else "other"] += 1
            picked.append(doc)
    return picked


def _check_words(docs, outcomes):
    for doc, outcome in zip(docs, outcomes, strict=True):
        if outcome.reason in ("fineweb2_language_missing", "fineweb2_language_low_score") \
                or not doc["text"]:
            continue
        own = quality_signals(doc["text"], (), words_of(doc["text"], doc["language"]))
        assert outcome.signals["gopher_word_count"] == own["gopher_word_count"]


def test_unsegmented_languages_are_judged_by_their_segmenter_words(cc_docs):
    docs = _subset(cc_docs)
    assert {"zh", "ja", "ko"} <= {d["language"] for d in docs}
    outcomes = _judge(docs, _fineweb2_steps())
    _check_words(docs, outcomes)
    own = english = 0
    for doc, outcome in zip(docs, outcomes, strict=True):
        if doc["language"] in ("zh", "ja", "th") and outcome.signals.get("gopher_word_count"):
            own += outcome.signals["gopher_word_count"]
            english += quality_signals(doc["text"], (), split_words(doc["text"]))[
                "gopher_word_count"]
    assert own > 2 * english  # whitespace-based words would count a run of characters as one


def test_udhr_chinese_and_thai_pass_with_their_settings_and_fail_with_englishs(shared_data):
    docs = [d for d in udhr_documents(str(shared_data / "text/langid/udhr2.zip"))
            if d["language"] in ("zh", "th")]
    own = _judge(docs, _steps(["fineweb2_gopher_quality"]), redecided=False)
    english = _judge(docs, _steps(["gopher_quality"]))
    long_enough = [i for i, o in enumerate(own) if o.signals["gopher_word_count"] >= 50]
    assert len(long_enough) >= 20
    assert sum(own[i].reason is None for i in long_enough) >= 0.6 * len(long_enough)
    # English rules: English words and thresholds reject these pages.
    assert sum(english[i].reason is None for i in long_enough) <= 0.3 * len(long_enough)


@pytest.mark.slow
def test_all_697_documents_kept_and_removed_per_language(cc_docs):
    outcomes = _judge(cc_docs, _fineweb2_steps())
    _check_words(cc_docs, outcomes)
    kept, removed = collections.Counter(), collections.Counter()
    for doc, outcome in zip(cc_docs, outcomes, strict=True):
        (kept if outcome.filter is None else removed)[doc["language"]] += 1
    assert sum(kept.values()) + sum(removed.values()) == 697
    assert len([lang for lang in kept if lang not in (None, "en")]) >= 15
    assert kept["zh"] and kept["ja"] and kept["ko"]
    english = [o for d, o in zip(cc_docs, outcomes, strict=True) if d["language"] == "en"]
    fineweb = _judge([d for d in cc_docs if d["language"] == "en"],
                     _steps(["language", "gopher_repetition", "fineweb", "gopher_quality"],
                            recipe_section("fineweb", "filter")["settings"]))
    # English: the same decisions as the fineweb recipe's filters.
    assert [o.filter is None for o in english] == [o.filter is None for o in fineweb]

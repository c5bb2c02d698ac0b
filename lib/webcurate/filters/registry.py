"""The registered filters: one name each, its config, how it measures, and how it decides.

The filter job runs a chain of these by name (``--set filters=gopher_repetition,gopher_quality``
or a recipe in ``conf/recipes/``). Every entry is a thin adapter over a pure family function:

- ``measure(doc, config, resources) -> (new_text | None, Verdict)``: the signals, the verdict and,
  for filters that edit text (``c4`` line removal, ``refinedweb_lines`` corrections), the text the
  rest of the chain sees;
- ``decide(signals, config) -> reason | None``: the same decision from stored signal columns,
  which is what ``annotated: true`` re-runs when thresholds change (no text is recomputed);
- ``load_resources(config, storage)``: word lists and blocklists, loaded once per process.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from webcurate.filters import (
    badwords,
    c4,
    fineweb,
    gopher,
    language,
    length,
    refinedweb,
    url_blocklist,
)
from webcurate.filters.base import Signals, Verdict
from webcurate.text.words import split_words


class Document:
    """What a filter may look at. The word split is shared along the chain until text changes."""

    __slots__ = ("_text", "_words", "language", "language_score", "url")

    def __init__(self, text: str, url: str | None = None, language: str | None = None,
                 language_score: float | None = None):
        self._text, self._words = text, None
        self.url, self.language, self.language_score = url, language, language_score

    @property
    def text(self) -> str:
        return self._text

    @text.setter
    def text(self, value: str) -> None:
        if value != self._text:
            self._text, self._words = value, None

    @property
    def words(self) -> list[str]:
        """``split_words(text)``: Gopher's two filters and FineWeb's each need it."""
        if self._words is None:
            self._words = split_words(self._text)
        return self._words


Measure = Callable[[Document, Any, Any], tuple[str | None, Verdict]]
Decide = Callable[[Signals, Any], str | None]


@dataclass(frozen=True)
class RegisteredFilter:
    name: str
    config_class: type
    measure: Measure
    decide: Decide
    signals: tuple[tuple[str, type], ...]  # column name, int or float
    load_resources: Callable[[Any, Any], Any] | None = None
    summary: str = ""
    edits_text: bool = False  # a transform: later filters and kept/ see the edited text


def _signal_columns(probe: Signals, ints: tuple[str, ...] = ()) -> tuple[tuple[str, type], ...]:
    return tuple((name, int if (isinstance(value, int) or name in ints) else float)
                 for name, value in probe.items())


def _gopher_quality(doc: Document, config, _resources):
    return None, gopher.gopher_quality(doc.text, config, doc.words)


def _gopher_repetition(doc: Document, config, _resources):
    return None, gopher.gopher_repetition(doc.text, config, doc.words if doc.text else [])


def _c4(doc: Document, config, _resources):
    return c4.c4_filter(doc.text, config)


def _fineweb(doc: Document, config, _resources):
    return None, fineweb.fineweb_quality(doc.text, config, doc.words)


_PROBE = "Probe text, with words.\n\nAnd a second paragraph of several more words here."

REGISTRY: dict[str, RegisteredFilter] = {}


def register(entry: RegisteredFilter) -> RegisteredFilter:
    if entry.name in REGISTRY:
        raise ValueError(f"filter {entry.name!r} registered twice")
    REGISTRY[entry.name] = entry
    return entry


register(RegisteredFilter(
    "gopher_quality", gopher.GopherQualityConfig, _gopher_quality,
    gopher.gopher_quality_decision,
    _signal_columns(gopher.quality_signals(_PROBE), ints=("gopher_word_count",)),
    summary="Gopher quality rules (Rae et al. 2021)"))
register(RegisteredFilter(
    "gopher_repetition", gopher.GopherRepetitionConfig,
    _gopher_repetition, gopher.gopher_repetition_decision,
    tuple((name, float) for name in gopher.REPETITION_SIGNALS),
    summary="Gopher repetition removal (Rae et al. 2021, Table A1)"))
register(RegisteredFilter(
    "c4", c4.C4QualityConfig, _c4, c4.c4_decision,
    tuple((name, int) for name in c4.c4_quality(_PROBE).signals),
    summary="C4 line removal and page rules, paper / datatrove defaults", edits_text=True))
register(RegisteredFilter(
    "c4_tfds", c4.C4TfdsConfig, _c4, c4.c4_decision,
    tuple((name, int) for name in c4.c4_quality(_PROBE).signals),
    summary="C4 line removal and page rules as TFDS c4_utils has them", edits_text=True))
register(RegisteredFilter(
    "fineweb", fineweb.FineWebQualityConfig, _fineweb,
    fineweb.fineweb_decision,
    _signal_columns(fineweb.fineweb_signals(_PROBE, fineweb.FineWebQualityConfig()),
                    ints=("fineweb_lines",)),
    summary="FineWeb's own quality rules (Penedo et al. 2024)"))


register(RegisteredFilter(
    "c4_badwords", badwords.C4BadWordsConfig,
    lambda doc, config, lists: (None, badwords.c4_badwords(doc.text, doc.language, config,
                                                           lists)),
    badwords.c4_badwords_decision, badwords.SIGNALS, badwords.load_c4_badwords_resources,
    summary="C4's LDNOOBW bad-words page filter, per document language"))
register(RegisteredFilter(
    "url_blocklist", url_blocklist.UrlBlocklistConfig,
    lambda doc, config, lists: (None, url_blocklist.url_blocklist(doc.url, config, lists)),
    url_blocklist.url_blocklist_decision, url_blocklist.SIGNALS,
    url_blocklist.load_url_blocklist_resources,
    summary="FineWeb's URL filter: UT1 domain/url blocklists, banned words and subwords"))
register(RegisteredFilter(
    "refinedweb_url", refinedweb.RefinedWebUrlConfig,
    lambda doc, config, lists: (None, refinedweb.refinedweb_url(doc.url, config, lists)),
    refinedweb.refinedweb_url_decision, refinedweb.URL_SIGNALS,
    refinedweb.load_refinedweb_url_resources,
    summary="RefinedWeb URL filtering: domain blocklist, strict / hard / soft URL words"))
register(RegisteredFilter(
    "refinedweb_lines", refinedweb.RefinedWebLinesConfig,
    lambda doc, config, _: refinedweb.refinedweb_lines(doc.text, config),
    refinedweb.refinedweb_lines_decision, refinedweb.LINES_SIGNALS,
    summary="RefinedWeb line-wise corrections; drop when they remove > 5% of the words",
    edits_text=True))
register(RegisteredFilter(
    "language", language.LanguageFilterConfig,
    lambda doc, config, _: (None, language.language_filter(doc.language, doc.language_score,
                                                           config)),
    language.language_decision, language.SIGNALS,
    summary="allowed languages and a minimum score (the language / language_score columns)"))
register(RegisteredFilter(
    "length", length.LengthFilterConfig,
    lambda doc, config, _: (None, length.length_filter(doc.text, config)),
    length.length_decision, length.SIGNALS,
    summary="document length bounds in characters and words"))


def get_filter(name: str) -> RegisteredFilter:
    if name not in REGISTRY:
        raise KeyError(f"unknown filter {name!r} (registered: {', '.join(REGISTRY)})")
    return REGISTRY[name]


def signal_names(names: list[str]) -> list[str]:
    return [signal for name in names for signal, _ in get_filter(name).signals]


def is_default(name: str, config: Any) -> bool:
    return dataclasses.asdict(config) == dataclasses.asdict(get_filter(name).config_class())

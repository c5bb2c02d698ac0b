"""The filter contract: what a filter is, for the built-in families and for plugins alike.

A **Filter** measures signals of one document and decides from them (annotate, then decide):

- ``name``: the name a recipe uses (``filters: [my_filter, gopher_quality]``);
- ``config_class``: a frozen dataclass of its thresholds, defaults being the published ones
  (its fields become ``settings.<name>.*`` config keys, checked like every other key);
- ``signals``: the declared signal schema, ``(column, int | float)`` pairs, in output order;
  every signal the filter measures must be declared, as it becomes a Parquet column;
- ``measure(doc, config, resources) -> Verdict``: the signals and the verdict;
- ``decide(signals, config) -> reason | None``: the same decision from stored signal columns
  (what ``annotated: true`` re-runs with new thresholds, without recomputing any text);
- ``load_resources(config, storage)``: optional, word lists or models, loaded once per process;
  the pure ``measure`` receives them loaded.

A **Transform** is the kind of rule that edits text (C4's line removal, RefinedWeb's line
corrections): its ``measure`` returns ``(new_text or None, Verdict)`` and the rest of the chain,
and ``kept/``, see the edited text.

Filters are found through the ``webcurate.filters`` entry-point group (each entry point names a
Filter, a Transform, or a sequence of them), so ``pip install my-filters`` makes a filter usable
by name in a recipe, on the driver and on every executor that has the package, and the built-in
families register the same way (``setup.py``). Like datatrove's ``BaseFilter`` in spirit, with
the measuring separated from the deciding as dolma's taggers do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from webcurate.filters.base import Signals, Verdict
from webcurate.text.segmenters import words_of
from webcurate.text.words import split_words

SIGNAL_TYPES = (int, float)


class Document:
    """What a filter may look at. The word split is shared along the chain until text changes."""

    __slots__ = ("_language_words", "_text", "_words", "language", "language_score", "url")

    def __init__(self, text: str, url: str | None = None, language: str | None = None,
                 language_score: float | None = None):
        self._text, self._words, self._language_words = text, None, None
        self.url, self.language, self.language_score = url, language, language_score

    @property
    def text(self) -> str:
        return self._text

    @text.setter
    def text(self, value: str) -> None:
        if value != self._text:
            self._text, self._words, self._language_words = value, None, None

    @property
    def words(self) -> list[str]:
        """``split_words(text)``: Gopher's two filters and FineWeb's each need it."""
        if self._words is None:
            self._words = split_words(self._text)
        return self._words

    @property
    def language_words(self) -> list[str]:
        """The words in the document's own language (``webcurate.text.segmenters``: jieba for
        Chinese, ...); the same as ``words`` for a space-separated language. ``words`` stays
        English-rules for every document, as datatrove's filters default to."""
        if self._language_words is None:
            self._language_words = words_of(self._text, self.language)
        return self._language_words


@dataclass(frozen=True)
class Filter:
    """A rule that measures and decides; it never edits the text (see :class:`Transform`)."""

    name: str
    config_class: type
    signals: tuple[tuple[str, type], ...]
    measure: Callable[[Document, Any, Any], Any]
    decide: Callable[[Signals, Any], str | None]
    load_resources: Callable[[Any, Any], Any] | None = None
    summary: str = ""

    edits_text: ClassVar[bool] = False

    def __post_init__(self):
        if not self.name.isidentifier() or self.name != self.name.lower():
            raise ValueError(f"filter name {self.name!r}: use snake_case (a config key)")
        for column, kind in self.signals:
            if kind not in SIGNAL_TYPES:
                raise ValueError(f"filter {self.name!r}: signal {column!r} is declared as "
                                 f"{kind!r}; signals are int or float")

    def apply(self, doc: Document, config, resources) -> tuple[str | None, Verdict]:
        """``(new text or None, verdict)``: one call shape for the chain, whatever the kind."""
        return None, self.measure(doc, config, resources)


@dataclass(frozen=True)
class Transform(Filter):
    """A rule that edits text: ``measure`` returns ``(new_text or None, Verdict)``."""

    edits_text: ClassVar[bool] = True

    def apply(self, doc: Document, config, resources) -> tuple[str | None, Verdict]:
        return self.measure(doc, config, resources)

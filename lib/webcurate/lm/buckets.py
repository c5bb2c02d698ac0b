"""CCNet's perplexity buckets (Wenzek et al. 2020, section 3.3; cc_net ``PerplexityBucket``).

Per language, two cut-offs are perplexity percentiles of a reference distribution: ``head``
below the first, ``middle`` below the second, ``tail`` from there on; a document without a
perplexity (no model for its language, no text) is in bucket ``all``, as in CCNet. The paper
splits each language into thirds (33rd / 66th percentiles); cc_net's code defaults to the
30th / 60th of its ``cutoff.csv``. Lower perplexity is better, so head is the *low* end
(the reverse of the quality classifier's buckets in :mod:`webcurate.quality.decide`).
Quantiles are Spark's ``percentile_approx`` definition
(:func:`webcurate.quality.decide.exact_quantile`).
"""

from __future__ import annotations

from collections.abc import Sequence

from webcurate.quality.decide import exact_quantile

LM_BUCKETS = ("head", "middle", "tail")
NO_BUCKET = "all"
CCNET_PAPER_PERCENTILES = (33.3333, 66.6667)


def bucket_of_perplexity(perplexity: float | None, cutoffs: Sequence[float] | None) -> str:
    """``head`` / ``middle`` / ``tail`` by the two cut-offs, ``all`` without a score or cut-offs."""
    if perplexity is None or perplexity < 0 or cutoffs is None:
        return NO_BUCKET
    head, tail = cutoffs
    if perplexity < head:
        return "head"
    if perplexity < tail:
        return "middle"
    return "tail"


def cutoffs_from(perplexities: Sequence[float], percentiles: Sequence[float]) -> list[float]:
    """The perplexities at ``percentiles`` (0-100) of a reference sample."""
    return [exact_quantile(perplexities, p / 100.0) for p in percentiles]


def check_cutoffs(cutoffs: dict) -> dict[str, list[float]]:
    """A ``{language: [head, tail]}`` mapping (a cut-offs file) checked: two ascending numbers."""
    checked = {}
    for language, values in cutoffs.items():
        if (not isinstance(values, list | tuple) or len(values) != 2
                or not all(isinstance(v, int | float) for v in values) or values[0] > values[1]):
            raise ValueError(f"cut-offs of {language!r} must be two ascending numbers, "
                             f"got {values!r}")
        checked[str(language)] = [float(values[0]), float(values[1])]
    return checked

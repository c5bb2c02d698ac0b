"""Mixing sources by token share: the arithmetic of a Pile-style mixture (pure Python).

The Pile (Gao et al. 2020, "The Pile: An 800GB Dataset of Diverse Text for Language Modeling")
gives each component a number of epochs (Wikipedia 3, books 1.5 to 2.5, web 1); other mixtures
give each source a share of a total token budget. Both end as a *rate* per source, the copies
of each of its token units that go into the mix:

* ``epochs: e`` -> rate ``e`` (Pile style); with a ``budget`` every rate is scaled so that the
  mix has exactly ``budget`` tokens, keeping the epochs' proportions;
* ``weight: w`` -> the source's target is ``budget * w / sum(w)`` tokens, rate = target /
  its tokens; without a budget, the largest mix in which no source repeats a document
  (``min(tokens_i / share_i)``).

A rate ``r`` is applied to each unit as ``floor(r)`` whole copies plus one more for the units
whose uniform key ``u`` (a hash of seed, source, doc_id and unit) falls in chosen key ranges,
found from the tokens per key bucket (:func:`fractional_ranges`), so the extra copies carry
the fractional part's tokens to within a fraction of one document, not a sampling error.

Rehydration (FineWeb-2, Penedo et al. 2025, ``fineweb-2/misc/rehydration``): a document kept by
dedup stands for a cluster of ``size`` near-duplicates (1 + the documents removed in its
favour). A schedule ``{min cluster size: repetitions}``, piecewise constant, gives each survivor
its number of units before the rate applies. FineWeb-2 derived its schedules per language from
filtering rates by cluster size (no upsampling where the rate was at or above the global one,
the maximum where it was lowest, linear in between); its published ``ita_Latn`` schedule for up
to 10 repetitions is :data:`FINEWEB2_ITA_UP_TO_10`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

#: FineWeb-2's published rehydration schedule for Italian, up to 10 repetitions
#: (``weights/up_to_10_reps.json``): cluster size from which a weight applies -> repetitions.
FINEWEB2_ITA_UP_TO_10 = {1: 1, 2: 3, 3: 4, 4: 5, 5: 6, 7: 7, 8: 8, 11: 9, 17: 10, 26: 9, 31: 8,
                         46: 7, 52: 6, 63: 5, 75: 4, 96: 3, 118: 2, 123: 3, 125: 2, 145: 1}
KEY_BUCKETS = 4096  # per level of the threshold search (two levels: 1 / 16.7 M of the key range)


class MixError(ValueError):
    """A mix that cannot be made as configured (one line, naming the key)."""


def parse_schedule(schedule: Mapping) -> list[tuple[int, int]]:
    """``{min cluster size: repetitions}`` (keys may be strings, from YAML) -> sorted pairs."""
    pairs = []
    for size, reps in schedule.items():
        try:
            size_i, reps_i = int(size), int(reps)
        except (TypeError, ValueError):
            raise MixError(f"rehydration schedule: {size!r}: {reps!r} is not "
                           f"cluster size: repetitions") from None
        if size_i < 1 or reps_i < 0:
            raise MixError(f"rehydration schedule: cluster size {size_i} must be >= 1 and "
                           f"repetitions {reps_i} >= 0")
        pairs.append((size_i, reps_i))
    return sorted(pairs)


def repetitions(cluster_size: int, schedule: list[tuple[int, int]]) -> int:
    """Units of a survivor of ``cluster_size`` documents: the weight of the largest schedule
    size <= ``cluster_size``; 1 below the smallest (as FineWeb-2's Rehydrater)."""
    reps = 1
    for size, weight in schedule:
        if cluster_size >= size:
            reps = weight
        else:
            break
    return reps


@dataclass(frozen=True)
class SourcePlan:
    name: str
    tokens: int  # tokens of its units (rehydrated), before the rate
    rate: float
    target_tokens: float

    @property
    def whole_copies(self) -> int:
        return math.floor(self.rate)

    @property
    def fractional_tokens(self) -> float:
        """Tokens the units above the whole copies must bring."""
        return max(0.0, self.target_tokens - self.whole_copies * self.tokens)


def plan_rates(tokens: Mapping[str, int], weights: Mapping[str, float | None],
               epochs: Mapping[str, float | None], budget: int | None) -> dict[str, SourcePlan]:
    """Each source's rate and target tokens (module docstring). Sources use either all
    weights or all epochs."""
    names = list(tokens)
    with_weight = [n for n in names if weights.get(n) is not None]
    with_epochs = [n for n in names if epochs.get(n) is not None]
    if with_weight and with_epochs:
        raise MixError("config key 'sources': give every source a weight or every source "
                       "epochs, not both")
    if len(with_weight) + len(with_epochs) != len(names):
        missing = next(n for n in names if n not in with_weight and n not in with_epochs)
        raise MixError(f"config key 'sources.{missing}': needs a weight or epochs")
    empty = [n for n in names if tokens[n] <= 0]
    if empty:
        raise MixError(f"config key 'sources.{empty[0]}': the source has no tokens")
    if with_epochs:
        targets = {n: float(epochs[n]) * tokens[n] for n in names}
        if budget is not None:
            scale = budget / sum(targets.values())
            targets = {n: t * scale for n, t in targets.items()}
    else:
        total_weight = sum(float(weights[n]) for n in names)
        if total_weight <= 0:
            raise MixError("config key 'sources': the weights add up to zero")
        shares = {n: float(weights[n]) / total_weight for n in names}
        if budget is None:
            budget = min(tokens[n] / shares[n] for n in names if shares[n] > 0)
        targets = {n: budget * shares[n] for n in names}
    return {n: SourcePlan(n, int(tokens[n]), targets[n] / tokens[n], targets[n]) for n in names}


def crossing(bucket_tokens: Mapping[int, int], target: float) -> tuple[int, float]:
    """The bucket where the running total of tokens (buckets in key order) reaches ``target``,
    and the tokens still wanted inside it. Past the last bucket: (buckets, 0)."""
    running = 0.0
    for bucket in sorted(bucket_tokens):
        tokens = bucket_tokens[bucket]
        if running + tokens >= target:
            return bucket, target - running
        running += tokens
    return KEY_BUCKETS, 0.0


def closest_boundary(bucket_tokens: Mapping[int, int], target: float) -> int:
    """The sub-bucket boundary ``j`` (keep keys below boundary ``j``) whose running total is
    closest to ``target``."""
    best_j, best_err, running = 0, abs(target), 0.0
    for bucket in sorted(bucket_tokens):
        running += bucket_tokens[bucket]
        if abs(running - target) < best_err:
            best_j, best_err = bucket + 1, abs(running - target)
    return best_j


def key_threshold(level1: int, level2_boundary: int) -> float:
    """The key threshold ``t`` in [0, 1] from a level-1 bucket and a level-2 boundary."""
    return (level1 + level2_boundary / KEY_BUCKETS) / KEY_BUCKETS


def fractional_ranges(level1: Mapping[int, int], bucket: int, level2: Mapping[int, int],
                      wanted: float) -> tuple[list[tuple[float, float]], float]:
    """Key ranges whose units bring closest to ``wanted`` tokens, and their tokens.

    ``bucket`` is the level-1 bucket where the running total crosses ``wanted`` (from
    :func:`crossing`) and ``level2`` its sub-bucket totals. Two plans are compared: a prefix
    of the key order cut at the closest sub-bucket boundary (its error is at most half the
    unit at the cut: negligible with many documents), and the same prefix up to the crossing
    sub-bucket, that sub-bucket skipped (one large document in a small source), then filled on
    from the keys after it. Both are deterministic in the keys."""
    before = sum(t for b, t in level1.items() if b < bucket)
    j = closest_boundary(level2, wanted - before)
    prefix_tokens = before + sum(t for s, t in level2.items() if s < j)
    best = ([(0.0, key_threshold(bucket, j))], prefix_tokens)
    skip, rest = crossing(level2, wanted - before)
    if skip >= KEY_BUCKETS:
        return best
    running = wanted - rest  # tokens below the skipped sub-bucket
    start = key_threshold(bucket, skip + 1)
    end, best_end_err = start, abs(wanted - running)
    pieces = [(key_threshold(bucket, s + 1), t) for s, t in sorted(level2.items()) if s > skip]
    pieces += [((b + 1) / KEY_BUCKETS, t) for b, t in sorted(level1.items()) if b > bucket]
    filled = running
    chosen = running
    for upper, tokens in pieces:
        filled += tokens
        if abs(wanted - filled) < best_end_err:
            end, best_end_err, chosen = upper, abs(wanted - filled), filled
        if filled > wanted:
            break
    if best_end_err < abs(wanted - prefix_tokens):
        ranges = [(0.0, key_threshold(bucket, skip))] + ([(start, end)] if end > start else [])
        return ranges, chosen
    return best

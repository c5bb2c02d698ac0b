"""Exact per-class top-k by sampling key, found with counts instead of a per-class sort.

train-quality keeps, per class, the ``k`` documents of smallest ``(sample_key, doc_id)`` and
holds out the first ``h`` of them. Ranking a class with a window partitioned by class puts the
whole class in one task; here the cut (the ``k``-th smallest key) is found by bracketing:

1. The keys are uniform in [0, 1) (SHA-1 of seed, class and doc_id, :func:`.training.unit_key`),
   so about ``k`` of ``n`` keys lie below ``k / n``, within a few ``sqrt(k)``. Probe keys either
   side of the guess are counted per class in one distributed aggregation.
2. The bracket ``[lo, hi)`` with ``count(key < lo) < k <= count(key < hi)`` narrows until it
   holds at most ``MAX_BOUNDARY_ROWS`` documents (usually after the first round: ~12
   ``sqrt(k)`` rows), interpolating as if the keys were uniform, then by quarters.
3. Only the bracket's ``(key, doc_id)`` pairs go to the driver; sorted, the
   ``(k - count(key < lo))``-th is the cut, and a filter ``(key, doc_id) <= cut`` keeps the
   class's exact top-k, whatever the partitioning (ties need equal doc_ids in a class).

Everything here is pure; :mod:`.spark.training` runs the counts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

#: At most this many (key, doc_id) pairs per cut come to the driver.
MAX_BOUNDARY_ROWS = 50_000
#: Probes this many standard deviations (binomial) either side of the guess.
PROBE_SIGMAS = 6.0
#: Rounds that interpolate before falling back to quarters of the bracket.
INTERPOLATING_ROUNDS = 3
#: After this many rounds the bracket is collected as it is (only many equal keys, i.e. a
#: doc_id repeated within a class, keep it from shrinking).
MAX_ROUNDS = 12


@dataclass
class Bracket:
    """The search for the ``rank``-th smallest key of one class (``rank`` 1-based)."""

    label: str
    rank: int
    lo: float = 0.0
    below_lo: int = 0
    hi: float = 1.0
    below_hi: int = 0  # count(key < hi): the class size at hi = 1.0
    rounds: int = 0
    probes: list[float] = field(default_factory=list)

    @property
    def boundary_rows(self) -> int:
        return self.below_hi - self.below_lo

    def done(self) -> bool:
        """Small enough to collect, or no way left to narrow it (equal keys)."""
        return (self.boundary_rows <= MAX_BOUNDARY_ROWS or self.rounds >= MAX_ROUNDS
                or not self.next_probes())

    def next_probes(self) -> list[float]:
        """Keys to count next: either side of the interpolated guess, later the quarters."""
        width = self.hi - self.lo
        inside = self.boundary_rows
        if self.rounds < INTERPOLATING_ROUNDS:
            share = (self.rank - self.below_lo) / inside
            sigma = math.sqrt(inside * share * (1.0 - share)) + 1.0
            guesses = [share - PROBE_SIGMAS * sigma / inside, share + PROBE_SIGMAS * sigma / inside]
        else:
            guesses = [0.25, 0.5, 0.75]
        probes = sorted({self.lo + width * g for g in guesses})
        return [p for p in probes if self.lo < p < self.hi]

    def update(self, counts: dict[float, int]) -> None:
        """Narrow with ``counts[probe] = count(key < probe)`` for this class."""
        self.rounds += 1
        for probe, below in counts.items():
            if below < self.rank and probe > self.lo:
                self.lo, self.below_lo = probe, below
            elif below >= self.rank and probe < self.hi:
                self.hi, self.below_hi = probe, below


def cut_of(bracket: Bracket, boundary: list[tuple[float, str]]) -> tuple[float, str]:
    """The ``rank``-th smallest ``(key, doc_id)`` given the pairs with ``lo <= key < hi``."""
    # Spark orders strings by their UTF-8 bytes.
    inside = sorted((pair for pair in boundary if bracket.lo <= pair[0] < bracket.hi),
                    key=lambda pair: (pair[0], pair[1].encode("utf-8", "surrogatepass")))
    if len(inside) != bracket.boundary_rows:
        raise RuntimeError(f"class {bracket.label}: {len(inside)} keys in [{bracket.lo}, "
                           f"{bracket.hi}) where the counts said {bracket.boundary_rows}")
    return inside[bracket.rank - bracket.below_lo - 1]

"""Token-count statistics that merge exactly: a histogram with fixed power-of-two buckets (so
per-task or per-group counts add up without seeing the data twice)."""

from __future__ import annotations

from collections.abc import Iterable

#: Bucket i holds counts in [EDGES[i], EDGES[i+1]); the last bucket is open.
HISTOGRAM_BUCKETS = 22  # 0, 1, 2-3, 4-7, ..., 2^20 and more (about a million tokens)


def histogram_bucket(tokens: int) -> int:
    """The bucket of a token count: 0 for 0, else 1 + floor(log2(n)), capped."""
    if tokens <= 0:
        return 0
    return min(int(tokens).bit_length(), HISTOGRAM_BUCKETS - 1)


def histogram_edges() -> list[int]:
    """Lower edge of each bucket: 0, 1, 2, 4, ..., 2^20."""
    return [0] + [1 << i for i in range(HISTOGRAM_BUCKETS - 1)]


def bucket_label(bucket: int) -> str:
    edges = histogram_edges()
    low = edges[bucket]
    if bucket == HISTOGRAM_BUCKETS - 1:
        return f"{low}+"
    high = edges[bucket + 1] - 1
    return str(low) if low == high else f"{low}-{high}"


class TokenHistogram:
    """Document counts per token-count bucket; ``add`` counts, ``merge`` adds another."""

    def __init__(self, counts: dict[int, int] | None = None):
        self.counts = [0] * HISTOGRAM_BUCKETS
        for bucket, n in (counts or {}).items():
            self.counts[int(bucket)] += int(n)

    def add(self, tokens: int, n: int = 1) -> None:
        self.counts[histogram_bucket(tokens)] += n

    def add_all(self, token_counts: Iterable[int]) -> None:
        for tokens in token_counts:
            self.add(tokens)

    def merge(self, other: TokenHistogram) -> TokenHistogram:
        for i, n in enumerate(other.counts):
            self.counts[i] += n
        return self

    def as_dict(self) -> dict[str, int]:
        """``{"0": n, "1": n, "2-3": n, ...}`` up to the last non-empty bucket (stats.json)."""
        last = max((i for i, n in enumerate(self.counts) if n), default=-1)
        return {bucket_label(i): self.counts[i] for i in range(last + 1)}

    def total(self) -> int:
        return sum(self.counts)

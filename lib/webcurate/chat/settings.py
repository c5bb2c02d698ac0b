"""The chat job's prompt dedup settings (MinHash through :mod:`webcurate.dedup`'s core)."""

from __future__ import annotations

from dataclasses import dataclass

from webcurate.config import option
from webcurate.dedup.settings import NormalizeSettings

PROMPTS = ("first_user", "all_user")


@dataclass(frozen=True)
class PromptDedupSettings:
    """Exact, then near dedup of prompts; the dialogue with the lowest ``doc_id`` survives."""

    exact: bool = option(True, help="drop dialogues whose normalised prompt was seen")
    near: bool = option(True, help="MinHash-LSH near-duplicate prompts (connected components)")
    prompt: str = option("first_user", choices=PROMPTS,
                         help="what is compared: the first user turn or all user turns")
    normalize: NormalizeSettings = option(NormalizeSettings, help="text normalisation")
    ngram: int = option(3, min=1, max=16,
                        help="words per shingle (prompts are short: 3, not FineWeb's 5)")
    num_perm: int = option(112, min=2, max=1024, help="MinHash permutations")
    bands: int = option(14, min=1, max=1024, help="LSH bands (bands x rows = num_perm)")
    rows: int = option(8, min=1, max=1024, help="rows per band (14 x 8: ~0.72 Jaccard)")
    seed: int = option(42, min=0, max=2**32 - 1, help="seed of the permutations")
    max_iterations: int = option(30, min=1, help="connected-components rounds at most")

    def __post_init__(self):
        if self.bands * self.rows != self.num_perm:
            raise ValueError(f"config key 'dedup.bands': bands x rows ({self.bands} x "
                             f"{self.rows}) must equal num_perm ({self.num_perm})")

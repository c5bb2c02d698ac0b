"""The ``substring:`` settings: plain frozen values that executors receive as they are."""

from __future__ import annotations

from dataclasses import dataclass

from webcurate.config import option

TOKENIZERS = ("words",)


@dataclass(frozen=True)
class SubstringSettings:
    """RefinedWeb's exact-substring dedup (Penedo et al. 2023, section 3.3 / Appendix G.3; Lee
    et al. 2022): spans of at least ``min_tokens`` tokens that occur twice anywhere are cut."""

    min_tokens: int = option(
        50, min=2, max=10_000,
        help="window length in tokens: a span this long that occurs twice in the corpus (two "
             "documents or twice in one) is removed from every copy (RefinedWeb / Lee et al.: 50)")
    tokenizer: str = option(
        "words", choices=TOKENIZERS,
        help="words: maximal runs of non-whitespace (50 words ~ 65 GPT-2 tokens, so a little "
             "stricter than RefinedWeb's 50 GPT-2 tokens)")
    min_doc_words: int = option(
        1, min=0, max=1_000_000,
        help="a document with fewer words left after the cut is dropped (1: only emptied ones)")

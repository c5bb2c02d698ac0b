"""One text normalisation for fastText quality classifiers, the same at training and scoring.

fastText splits words on ASCII whitespace only and predicts one line at a time, so what a
model sees is decided here; a model trained on one normalisation and scored on another loses
accuracy silently. The train-quality job records the settings beside the model
(``<model>.metrics.json``) and the quality job reuses them unless told otherwise.

What the steps are and where they come from:

- **newlines and runs of whitespace -> one space**, text stripped: fastText's ``predict`` takes
  one line; DCLM's fastText scorer (``quality_prediction_enrichers_calc_fasttext.py``) and
  RedPajama-v1's Wikipedia classifier join a document's lines with spaces the same way.
- **lowercase** (default on): GPT-3's classifier (Brown et al. 2020, appendix A) tokenised with
  Spark's standard ``Tokenizer``, which lowercases; fastText's own supervised tutorial lowercases
  too. Case carries little quality signal and splits the vocabulary in two.
- **punctuation spacing** (default on): a space on both sides of ``. , ! ? ; : ( ) " /`` and
  similar ASCII punctuation, as the fastText tutorial's preprocessing does (``sed -e
  "s/\\([.\\!?,'/()]\\)/ \\1 /g"``), so ``word.`` and ``word`` are one word and punctuation
  habits (``!!!``) become features of their own. Apostrophes inside words (``don't``) and
  hyphens are left alone. CCNet's normaliser (Wenzek et al. 2020, ``text_normalizer.py``) also
  maps digits to 0 and strips accents for its KenLM perplexity model; that is not done here:
  fastText's word n-grams and a small hash bucket already absorb rare tokens.
- **max_chars** (default none): cut a document to its first N characters before the rest, to
  bound the cost of very long documents. Scores change only slightly (fastText averages word
  vectors) but change they may, so the value is part of the recorded settings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from webcurate.config import option

#: ASCII punctuation except the apostrophe and hyphen (kept inside words: don't, well-known).
SPACED_PUNCTUATION = "!\"#$%&()*+,./:;<=>?@[\\]^_`{|}~"
_PUNCTUATION = re.compile(f"[{re.escape(SPACED_PUNCTUATION)}]")
_SPACED = {char: f" {char} " for char in SPACED_PUNCTUATION}


@dataclass(frozen=True)
class TextNormalization:
    """How a document becomes the one line fastText reads (see the module docstring)."""

    lowercase: bool = option(True, help="lowercase the text (GPT-3's tokenizer, fastText tutorial)")
    punctuation_spacing: bool = option(
        True, help="put spaces around ASCII punctuation so it becomes separate tokens")
    max_chars: int | None = option(
        None, min=1, help="use only the first N characters of a document; null = all of it")


def normalize_for_fasttext(text: str | None, settings: TextNormalization) -> str:
    """``text`` as one normalised line ("" for None or blank text)."""
    if not text:
        return ""
    if settings.max_chars is not None:
        text = text[: settings.max_chars]
    if settings.lowercase:
        text = text.lower()
    if settings.punctuation_spacing:
        # A callable replacement is ~2x faster than a template here (no group expansion).
        text = _PUNCTUATION.sub(lambda match: _SPACED[match.group()], text)
    # str.split() splits on every Unicode whitespace character, newlines included.
    return " ".join(text.split())


def normalization_from_dict(raw: dict | None) -> TextNormalization | None:
    """Settings recorded beside a model (plain dict) back as an object; None stays None."""
    if raw is None:
        return None
    from webcurate.config import build

    return build(TextNormalization, raw, prefix="normalization.")

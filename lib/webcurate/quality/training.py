"""Training a fastText quality classifier: labels, sampling keys, class sizes, the fastText call.

The recipe is GPT-3's (Brown et al. 2020, appendix A: a classifier of curated text vs raw
Common Crawl) with DCLM's model (Li et al. 2024, section 4.4: fastText, word bigrams,
``__label__hq`` vs ``__label__cc``): supervised fastText (Joulin et al. 2017) on one line per
document, ``__label__<class> <normalised text>``.

- Labels are DCLM's, ``hq`` for positives and ``cc`` for negatives, so a config written for our
  models also scores with DCLM's published ``openhermes_reddit_eli5_vs_rw_v2_bigram_200k_train``.
- ``wordNgrams >= 2`` is enforced: bigrams are what DCLM's ablations found best, and fastText's
  supervised loss can diverge to NaN at random with unigrams only (a known fastText issue).
- ``bucket`` (the hash table of n-gram vectors) defaults to 200,000 instead of fastText's 2 M:
  the model is ``(vocabulary + bucket) x dim`` floats, 2 M x 64 would be 512 MB; 200 k gives
  ~51 MB plus the vocabulary, and the classifier barely notices.
- Determinism: fastText's Hogwild SGD is reproducible only with one thread; with ``thread=1`` and
  a fixed ``seed`` the same lines in the same order give the same model, bit for bit. The lines
  are ordered by a per-document sampling key, so a rerun writes the same training file.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

from webcurate.config import option

LABEL_PREFIX = "__label__"
POSITIVE_LABEL = "hq"
NEGATIVE_LABEL = "cc"
LOSSES = ("softmax", "hs", "ova", "ns")
_KEY_BITS = 53  # a double holds 53-bit integers exactly


@dataclass(frozen=True)
class FastTextParams:
    """The ``fasttext:`` section: fastText supervised training settings."""

    epoch: int = option(5, min=1, max=1000, help="passes over the training data")
    lr: float = option(0.1, min=1e-5, max=10.0, help="learning rate")
    wordNgrams: int = option(
        2, min=2, max=6, help="word n-gram length; >= 2 (DCLM uses bigrams; 1 can diverge to NaN)")
    dim: int = option(64, min=2, max=1024, help="vector dimension")
    bucket: int = option(
        200_000, min=1000, max=10_000_000,
        help="hash buckets for word n-grams (model size ~ (vocabulary + bucket) x dim)")
    minCount: int = option(
        1, min=1, help="minimal number of occurrences of a word")
    loss: str = option("softmax", choices=LOSSES, help="loss function")
    thread: int = option(
        1, min=1, max=256, help="training threads; only 1 is deterministic (Hogwild SGD)")
    seed: int = option(0, min=0, help="fastText's random seed")


def label_token(label: str) -> str:
    """``hq`` -> ``__label__hq`` (a label already prefixed is returned as is)."""
    return label if label.startswith(LABEL_PREFIX) else f"{LABEL_PREFIX}{label}"


def fasttext_line(label: str, normalized_text: str) -> str:
    """One fastText training line; the text must already be normalised (one line)."""
    return f"{label_token(label)} {normalized_text}\n"


def unit_key(*parts: object) -> float:
    """A deterministic uniform number in [0, 1) from ``parts`` (doc id, seed, purpose)."""
    digest = hashlib.sha1("\x1f".join(map(str, parts)).encode("utf-8")).digest()
    return (int.from_bytes(digest[:8], "big") >> (64 - _KEY_BITS)) / float(1 << _KEY_BITS)


def class_sample_sizes(available: dict[str, int], max_per_class: int | None,
                       balance: bool) -> dict[str, int]:
    """How many documents to take per class: all, capped by ``max_per_class``, and with
    ``balance`` as many of each as the smallest class has (GPT-3 and DCLM train on balanced
    classes; an unbalanced set shifts the probability the classifier reports)."""
    sizes = {label: count if max_per_class is None else min(count, max_per_class)
             for label, count in available.items()}
    if balance and sizes:
        smallest = min(sizes.values())
        sizes = dict.fromkeys(sizes, smallest)
    return sizes


def holdout_size(count: int, fraction: float) -> int:
    """Documents of a class held out: ``round(count * fraction)``, at least one when both the
    fraction and the class are non-empty, and never the whole class."""
    if fraction <= 0 or count == 0:
        return 0
    return min(count - 1, max(1, math.floor(count * fraction + 0.5)))


def _train_and_save(train_file: str, params: FastTextParams, model_path: str) -> None:
    train_classifier(train_file, params).save_model(model_path)


def train_in_subprocess(train_file: str, params: FastTextParams, model_path: str) -> None:
    """Train in a fresh Python process and save the model to ``model_path``.

    Measured with fasttext-numpy2-wheel 0.9.2: the same file and settings train fine in a new
    process every time (6 of 6), but repeated trainings in one process start failing with
    "Encountered NaN." (the 7th and 8th of 8, also at ``thread=1``, any ``lr``), so some state
    survives between trainings. A new process per training costs ~0.3 s and makes the result
    depend on the inputs only; it also keeps a crash in fastText's C++ out of the driver.
    """
    import concurrent.futures
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        pool.submit(_train_and_save, train_file, params, model_path).result()


def train_classifier(train_file: str, params: FastTextParams):
    """Train on a fastText-format file; returns the fastText model (needs the full ``fasttext``
    module, from fasttext-numpy2-wheel, not the predict-only fasttext-predict)."""
    import fasttext

    if not hasattr(fasttext, "train_supervised"):
        raise RuntimeError(
            "the installed 'fasttext' module cannot train (fasttext-predict replaced it): "
            "pip install --force-reinstall --no-deps fasttext-numpy2-wheel")
    return fasttext.train_supervised(
        input=train_file, epoch=params.epoch, lr=params.lr, wordNgrams=params.wordNgrams,
        dim=params.dim, bucket=params.bucket, minCount=params.minCount, loss=params.loss,
        thread=params.thread, seed=params.seed, verbose=0)

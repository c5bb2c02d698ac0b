"""C4's language step, filter ``c4_langdetect``: langdetect, English with p >= 0.99.

Paper: Raffel et al. 2020, §2.2 ("we used langdetect to filter out any pages that were not
classified as English with a probability of at least 0.99"). Reference implementation: TFDS
``tensorflow_datasets/text/c4_utils.py``, ``detect_english`` (``is_language`` in older
versions), which runs after ``clean_page`` and the line dedup, on the cleaned text. Its rules,
each a reason here, in TFDS's order:

1. ``c4_langdetect_failed``: langdetect raises (no usable features, e.g. a text of digits only)
   or predicts nothing (TFDS's ``langdetect_exception`` / ``no_predictions``);
2. ``c4_langdetect_low_score``: the best prediction's probability is below ``min_probability``
   (0.99; TFDS's ``low_confidence``), whatever its language;
3. ``c4_langdetect_not_allowed``: the best language is not in ``allowed_languages`` (``[en]``;
   TFDS's ``ignored_language``).

langdetect (the PyPI port of Shuyo's language-detection, 55 languages) samples n-grams at
random; ``DetectorFactory.seed = 0``, as TFDS sets it, makes every prediction deterministic.
Its profiles load once per process, on the first document (about 2 s), under a lock (langdetect
is not thread-safe, hence TFDS's lock too). The filter reads the text the chain hands it, so
after ``c4_tfds`` it judges the cleaned page, as C4 did. lid.176 on the extract job's label is the
other choice (the ``language`` filter).

Signals: ``c4_langdetect_score`` (the best probability; ``None`` when langdetect failed) and
``c4_langdetect_allowed`` (1 / 0; ``None`` when it failed); ``c4_langdetect_decision`` decides
from them alone.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from webcurate.config import option
from webcurate.filters.base import Signals, Verdict

REASON_FAILED = "c4_langdetect_failed"
REASON_LOW_SCORE = "c4_langdetect_low_score"
REASON_NOT_ALLOWED = "c4_langdetect_not_allowed"

SIGNALS = (("c4_langdetect_score", float), ("c4_langdetect_allowed", int))

_LOCK = threading.Lock()


@dataclass(frozen=True)
class LangdetectConfig:
    """TFDS ``detect_english``: English with probability >= 0.99."""

    allowed_languages: tuple[str, ...] = option(
        ("en",), help="langdetect codes a page may have (TFDS C4: en)")
    min_probability: float = option(
        0.99, min=0.0, max=1.0, help="lowest probability of the best prediction (C4: 0.99)")
    seed: int = option(0, min=0, help="langdetect's DetectorFactory.seed (TFDS: 0)")


def detect(text: str, seed: int = 0) -> tuple[str, float] | None:
    """langdetect's best ``(language, probability)`` for ``text``, or None when it fails."""
    import langdetect
    from langdetect.lang_detect_exception import LangDetectException

    with _LOCK:
        langdetect.DetectorFactory.seed = seed
        try:
            predictions = langdetect.detect_langs(text)
        except LangDetectException:
            return None
    if not predictions:
        return None
    return predictions[0].lang, float(predictions[0].prob)


def c4_langdetect_decision(signals: Signals, config: LangdetectConfig) -> str | None:
    score, allowed = signals["c4_langdetect_score"], signals["c4_langdetect_allowed"]
    if score is None or allowed is None:
        return REASON_FAILED
    if score < config.min_probability:
        return REASON_LOW_SCORE
    if not allowed:
        return REASON_NOT_ALLOWED
    return None


def c4_langdetect(text: str, config: LangdetectConfig | None = None) -> Verdict:
    """Keep or reject ``text`` by langdetect's best prediction, with both signals."""
    config = config or LangdetectConfig()
    best = detect(text, config.seed)
    signals: Signals = {"c4_langdetect_score": None, "c4_langdetect_allowed": None}
    if best is not None:
        signals = {"c4_langdetect_score": best[1],
                   "c4_langdetect_allowed": int(best[0] in config.allowed_languages)}
    return Verdict.decided(c4_langdetect_decision(signals, config), signals)

"""Language filter: allowed languages and the minimum lid.176 score, exact reasons, re-decision
from signals; and on real documents, the language the extract job's identifier gives them."""

from __future__ import annotations

import dataclasses
import gzip
import json

import pytest

from webcurate.config import ConfigError, build
from webcurate.filters.language import (
    REASON_LOW_SCORE,
    REASON_MISSING,
    REASON_MISSING_SCORE,
    REASON_NOT_ALLOWED,
    SIGNALS,
    LanguageFilterConfig,
    language_decision,
    language_filter,
)

DEFAULT = LanguageFilterConfig()


@pytest.mark.parametrize(("language", "score", "reason"), [
    (None, 0.0, REASON_MISSING), ("", 0.9, REASON_MISSING),
    ("de", 0.99, REASON_NOT_ALLOWED), ("EN", 0.99, REASON_NOT_ALLOWED),
    ("en", None, REASON_MISSING_SCORE),
    ("en", 0.65, REASON_LOW_SCORE),  # strictly above, as datatrove and DCLM compare
    ("en", 0.2, REASON_LOW_SCORE),
])
def test_reasons(language, score, reason):
    verdict = language_filter(language, score, DEFAULT)
    assert not verdict.keep and verdict.reason == reason


def test_keeps_english_above_the_threshold():
    verdict = language_filter("en", 0.6500001)
    assert verdict.keep
    assert verdict.signals == {"language_allowed": 1, "language_filter_score": 0.6500001}
    assert set(verdict.signals) == {name for name, _ in SIGNALS}


def test_settings():
    several = LanguageFilterConfig(allowed_languages=("de", "fr"), min_language_score=None)
    assert language_filter("fr", None, several).keep
    assert language_filter("en", 0.99, several).reason == REASON_NOT_ALLOWED
    anything = LanguageFilterConfig(allowed_languages=None)
    assert language_filter("zh", 0.9, anything).keep
    assert language_filter("zh", 0.5, anything).reason == REASON_LOW_SCORE


def test_threshold_retunes_from_signals():
    signals = language_filter("en", 0.7).signals
    assert language_decision(signals, DEFAULT) is None
    stricter = dataclasses.replace(DEFAULT, min_language_score=0.8)
    assert language_decision(signals, stricter) == REASON_LOW_SCORE


def test_config_from_yaml_values():
    config = build(LanguageFilterConfig, {"allowed_languages": ["en", "de"],
                                          "min_language_score": 0.5})
    assert config.allowed_languages == ("en", "de")
    with pytest.raises(ConfigError, match="min_language_score"):
        build(LanguageFilterConfig, {"min_language_score": 1.5})


def test_real_documents_with_their_identified_language(shared_data):
    from webcurate.extract.language import get_language_identifier

    identify = get_language_identifier()
    with gzip.open(shared_data / "text/cc/CC-MAIN-2019-30-697docs.jsonl.gz", "rt",
                   encoding="utf-8") as f:
        texts = [json.loads(line)["text"] for _, line in zip(range(100), f, strict=False)]
    verdicts = [language_filter(*identify.predict(text)) for text in texts]
    reasons = {v.reason for v in verdicts}
    assert any(v.keep for v in verdicts)
    assert {REASON_NOT_ALLOWED, REASON_LOW_SCORE} <= reasons
    for text, verdict in zip(texts, verdicts, strict=True):
        language, score = identify.predict(text)
        assert verdict.keep == (language == "en" and score > 0.65)

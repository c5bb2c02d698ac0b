"""The pure core of the language-model domain: CCNet's normalisation and perplexity buckets."""

from __future__ import annotations

import pytest

from webcurate.lm.buckets import bucket_of_perplexity, check_cutoffs, cutoffs_from
from webcurate.lm.model import perplexity
from webcurate.lm.normalize import normalize_line, normalized_lines


def test_ccnet_normalisation_lowercases_strips_accents_zeroes_digits_and_maps_punctuation():
    assert normalize_line("  Café au LAIT, 1984!  ") == "cafe au lait, 0000!"
    assert normalize_line("\u201cQuoted\u201d \u2013 end\u3002Next") == '"quoted" - end. next'
    assert normalize_line("zero\u200bwidth\x07bell") == "zerowidthbell"
    assert normalize_line("\uff11\uff12 \u0663") == "00 0"  # full-width and Arabic-Indic digits
    assert normalized_lines("One\n\n  \nTwo 2\n") == ["one", "two 0"]
    assert normalized_lines(None) == []


def test_perplexity_is_ten_to_the_minus_mean_log10_probability():
    assert perplexity(-2.0, 2) == pytest.approx(10.0)
    assert perplexity(-6.0, 3) == pytest.approx(100.0)


def test_buckets_put_low_perplexity_in_head_and_unscored_documents_in_all():
    cutoffs = (100.0, 300.0)
    assert bucket_of_perplexity(50.0, cutoffs) == "head"
    assert bucket_of_perplexity(100.0, cutoffs) == "middle"  # CCNet: head is pp < cut-off
    assert bucket_of_perplexity(299.9, cutoffs) == "middle"
    assert bucket_of_perplexity(300.0, cutoffs) == "tail"
    assert bucket_of_perplexity(None, cutoffs) == "all"
    assert bucket_of_perplexity(50.0, None) == "all"


def test_cutoffs_are_spark_quantiles_of_the_reference_perplexities():
    values = [float(v) for v in range(1, 101)]  # 1..100
    assert cutoffs_from(values, [33.3333, 66.6667]) == [34.0, 67.0]  # ceil(q * n)-th smallest
    thirds = [bucket_of_perplexity(v, cutoffs_from(values, [33.3333, 66.6667])) for v in values]
    assert (thirds.count("head"), thirds.count("middle"), thirds.count("tail")) == (33, 33, 34)


def test_a_cutoffs_file_must_hold_two_ascending_numbers_per_language():
    assert check_cutoffs({"en": [1, 2.5]}) == {"en": [1.0, 2.5]}
    with pytest.raises(ValueError, match="'de'"):
        check_cutoffs({"de": [3, 2]})
    with pytest.raises(ValueError, match="'fr'"):
        check_cutoffs({"fr": "high"})


def test_missing_kenlm_programs_fail_train_lm_at_start_with_one_line(monkeypatch):
    from webcurate.config import ConfigError
    from webcurate.jobs.train_lm import require_kenlm
    from webcurate.lm import training

    require_kenlm()  # make install built them into the virtualenv
    assert training.kenlm_tool("lmplz") and training.kenlm_tool("build_binary")
    monkeypatch.setattr(training, "kenlm_tool", lambda name: None)
    with pytest.raises(ConfigError) as raised:
        require_kenlm()
    message = str(raised.value)
    assert "lmplz, build_binary missing" in message and "make install" in message
    assert "\n" not in message

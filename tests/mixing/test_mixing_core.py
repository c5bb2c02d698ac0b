"""The mixing arithmetic: rates from weights or epochs and a budget, the threshold search, and
FineWeb-2's piecewise-constant rehydration schedule."""

from __future__ import annotations

import pytest

from webcurate.mixing import (
    FINEWEB2_ITA_UP_TO_10,
    KEY_BUCKETS,
    MixError,
    closest_boundary,
    crossing,
    key_threshold,
    parse_schedule,
    plan_rates,
    repetitions,
)


def test_weights_share_the_budget():
    plans = plan_rates({"web": 1000, "wiki": 400}, {"web": 2, "wiki": 1}, {}, 600)
    assert plans["web"].target_tokens == pytest.approx(400)
    assert plans["wiki"].target_tokens == pytest.approx(200)
    assert plans["wiki"].rate == pytest.approx(0.5) and plans["wiki"].whole_copies == 0


def test_weights_without_budget_repeat_no_document():
    plans = plan_rates({"web": 1000, "wiki": 400}, {"web": 1, "wiki": 1}, {}, None)
    assert plans["wiki"].rate == pytest.approx(1.0) and plans["web"].rate == pytest.approx(0.4)


def test_epochs_pile_style_and_scaled_to_a_budget():
    plans = plan_rates({"web": 1000, "wiki": 100}, {}, {"web": 1, "wiki": 3}, None)
    assert plans["wiki"].whole_copies == 3 and plans["wiki"].fractional_tokens == 0
    scaled = plan_rates({"web": 1000, "wiki": 100}, {}, {"web": 1, "wiki": 3}, 650)
    assert scaled["web"].target_tokens == pytest.approx(500)
    assert scaled["wiki"].target_tokens == pytest.approx(150)
    assert scaled["wiki"].whole_copies == 1 and scaled["wiki"].fractional_tokens == \
        pytest.approx(50)


def test_bad_mixes_are_one_line():
    with pytest.raises(MixError, match="not both"):
        plan_rates({"a": 1, "b": 1}, {"a": 1}, {"b": 1}, None)
    with pytest.raises(MixError, match="no tokens"):
        plan_rates({"a": 0}, {"a": 1}, {}, None)


def test_threshold_search():
    assert crossing({0: 10, 1: 10, 3: 10}, 25) == (3, 5)
    assert crossing({0: 10}, 50) == (KEY_BUCKETS, 0.0)
    assert closest_boundary({0: 4, 1: 4, 2: 4}, 7) == 2  # 8 is closer to 7 than 4
    assert closest_boundary({5: 100}, 10) == 0
    assert key_threshold(1, KEY_BUCKETS // 2) == pytest.approx(1.5 / KEY_BUCKETS)


def test_fineweb2_schedule():
    schedule = parse_schedule({str(k): v for k, v in FINEWEB2_ITA_UP_TO_10.items()})
    assert [repetitions(s, schedule) for s in (1, 2, 6, 10, 20, 30, 124, 1000)] == \
        [1, 3, 6, 8, 10, 9, 3, 1]
    with pytest.raises(MixError):
        parse_schedule({"0": 2})

"""LSH banding: bands x rows from a threshold (as datasketch chooses), band keys, the S-curve."""

from __future__ import annotations

import numpy as np
import pytest
from datasketch.lsh import _optimal_param

from webcurate.dedup.lsh import (
    band_keys,
    collision_probability,
    optimal_bands_rows,
    s_curve_midpoint,
)


@pytest.mark.parametrize("num_perm", [112, 256])
@pytest.mark.parametrize("threshold", [0.5, 0.7, 0.8, 0.95])
def test_bands_rows_from_a_threshold_are_datasketchs(threshold, num_perm):
    assert optimal_bands_rows(threshold, num_perm) == _optimal_param(threshold, num_perm,
                                                                     0.5, 0.5)


def test_weights_move_the_choice_as_datasketchs_do():
    for weight in (0.1, 0.3, 0.7, 0.9):
        assert optimal_bands_rows(0.8, 128, weight) == _optimal_param(0.8, 128, weight,
                                                                      1 - weight)
    with pytest.raises(ValueError):
        optimal_bands_rows(1.0, 128)


def test_fineweb_s_curve():
    """14 x 8: a pair at Jaccard 0.8 collides in some band with probability ~0.92 (the
    recall the issue quotes); the curve's midpoint is ~0.72."""
    assert collision_probability(0.8, 14, 8) == pytest.approx(0.924, abs=0.001)
    assert collision_probability(0.5, 14, 8) < 0.06
    assert s_curve_midpoint(14, 8) == pytest.approx(0.719, abs=0.001)


def test_band_keys_change_exactly_with_their_band():
    rng = np.random.default_rng(0)
    sig = rng.integers(0, 2**32, (3, 112), dtype=np.uint64).astype(np.uint32)
    sig[1] = sig[0]
    sig[1, 5 * 8 + 3] ^= 1  # one value of band 5
    keys = band_keys(sig, 14, 8)
    assert keys.shape == (3, 14) and keys.dtype == np.int64
    assert (keys[0] == keys[1]).sum() == 13 and keys[0, 5] != keys[1, 5]
    assert not (keys[0] == keys[2]).any()
    same_values = np.zeros((1, 112), dtype=np.uint32)
    assert len(set(band_keys(same_values, 14, 8)[0].tolist())) == 14  # bands stay apart
    assert band_keys(sig, 5, 22).shape == (3, 5)  # b * r < num_perm uses the first b * r

"""The One-Euro filter of the stream mode (zedo.runtime.video.filters)."""

from __future__ import annotations

import numpy as np
import pytest

from zedo.runtime.video.filters import OneEuroConfig, OneEuroFilter


def test_one_euro_filter_properties():
    f = OneEuroFilter(OneEuroConfig(min_cutoff=1.0), rows=2, shape=(1, 3))
    still = np.array([[[1.0, 2.0, 3.0]], [[0.0, 0.0, 0.0]]])
    for k in range(5):
        np.testing.assert_allclose(f([0, 1], still, [k / 25] * 2), still)  # a constant passes unchanged
    noisy = still + np.random.default_rng(0).normal(0, 0.01, (40, 2, 1, 3))
    out = np.stack([f([0, 1], n, [(5 + k) / 25] * 2) for k, n in enumerate(noisy)])
    assert out.std(axis=0).mean() < 0.5 * noisy.std(axis=0).mean()  # jitter at rest is smoothed
    f.reset([1])
    np.testing.assert_allclose(f([1], still[1:] + 5.0, [2.0])[0], still[1] + 5.0)  # a reset row passes through
    with pytest.raises(ValueError, match="increase"):
        f([0], still[:1], [0.0])
    with pytest.raises(ValueError, match="min_cutoff"):
        OneEuroConfig(min_cutoff=0.0)

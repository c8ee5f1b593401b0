"""Training clusters (zedo.training.clusters): facing the camera, k-means on planted clusters."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import standing_poses as _poses

from zedo.runtime.core.skeleton import bone_lengths
from zedo.training.clusters import face_camera, kmeans_poses


def test_face_camera_puts_the_hips_on_x_and_keeps_lengths():
    rng = np.random.default_rng(0)
    x = _poses(16)
    a = rng.uniform(-np.pi, np.pi, 16)
    R = np.zeros((16, 3, 3))
    R[:, 0, 0], R[:, 0, 2], R[:, 1, 1], R[:, 2, 0], R[:, 2, 2] = np.cos(a), np.sin(a), 1, -np.sin(a), np.cos(a)
    turned = x @ np.swapaxes(R, 1, 2)
    f = face_camera(turned)
    hips = f[:, 4] - f[:, 1]
    assert np.all(hips[:, 0] > 0) and np.allclose(hips[:, 2], 0, atol=1e-9)
    np.testing.assert_allclose(face_camera(x), f, atol=1e-9)  # yaw removed: same result
    np.testing.assert_allclose(bone_lengths(f), bone_lengths(x), rtol=1e-6)


def test_kmeans_finds_planted_clusters():
    rng = np.random.default_rng(0)
    base = _poses(3, seed=5)
    data = np.concatenate([base[i] + 0.001 * rng.standard_normal((40 * (i + 1), 17, 3)) for i in range(3)])
    c = kmeans_poses(face_camera(data).astype(np.float32), 3)
    # Largest cluster first; each centre is one of the planted poses.
    np.testing.assert_allclose(c[0], face_camera(base[2:3])[0], atol=2e-3)
    with pytest.raises(ValueError):
        kmeans_poses(data[:2], 5)

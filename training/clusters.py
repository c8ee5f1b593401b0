"""Clusters: k-means centres of root-relative training poses, the candidate start poses of ZeDO's
loop (each hypothesis starts from one).

Poses are first turned about the camera's vertical (y) axis to face the camera (left hip towards +x):
training poses are seen from every side, so without this the mean pose has both hips at the pelvis
and the IPO, which fits yaw and distance, has nothing to fit. Orientation is the IPO's job; the
clusters only carry articulation. See docs/decisions.md, "Clusters are taken facing the camera".
"""

from __future__ import annotations

import numpy as np

# The sets a checkpoint carries (sizes larger than the training set are skipped): S = 1 and S = 50
# start that many hypotheses (the paper's settings); the 1000 are the candidates one hypothesis
# chooses its start from (zedo.runtime.solve.candidates.choose_start).
CLUSTER_SIZES: tuple[int, ...] = (1, 50, 1000)


def face_camera(poses: np.ndarray) -> np.ndarray:
    """Rotate root-relative poses (M, 17, 3) about the y axis so l_hip - r_hip points along +x."""
    poses = np.asarray(poses, dtype=np.float64)
    hips = poses[:, 4] - poses[:, 1]
    yaw = np.arctan2(hips[:, 2], hips[:, 0])  # angle of the hip vector in the x-z plane
    c, s = np.cos(yaw), np.sin(yaw)
    R = np.zeros((len(poses), 3, 3))
    # Rotation about y by -yaw in the x-z plane: x' = c x + s z, z' = -s x + c z.
    R[:, 0, 0], R[:, 0, 2], R[:, 1, 1], R[:, 2, 0], R[:, 2, 2] = c, s, 1.0, -s, c
    return poses @ np.swapaxes(R, 1, 2)


def kmeans_poses(
    poses: np.ndarray, k: int, seed: int = 0, iterations: int = 50, max_points: int = 100_000
) -> np.ndarray:
    """k-means (k-means++ seeding, Lloyd iterations) of camera-facing poses (M, 17, 3) metres; (k, 17, 3).

    Centres are sorted by cluster size, largest first, so the first S of them are the S most
    common poses. At most ``max_points`` poses (a seeded random subset) are clustered.
    """
    poses = np.asarray(poses, dtype=np.float64)
    if poses.ndim != 3 or poses.shape[1:] != (17, 3):
        raise ValueError(f"kmeans_poses expects (M, 17, 3) poses, got shape {poses.shape}")
    if not 1 <= k <= len(poses):
        raise ValueError(f"k must be in [1, {len(poses)}], got {k}")
    rng = np.random.default_rng(seed)
    if len(poses) > max_points:
        poses = poses[rng.choice(len(poses), max_points, replace=False)]
    x = face_camera(poses).reshape(len(poses), -1)
    centres = [x[rng.integers(len(x))]]
    d2 = ((x - centres[0]) ** 2).sum(1)
    for _ in range(1, k):
        centres.append(x[rng.choice(len(x), p=d2 / d2.sum())])
        d2 = np.minimum(d2, ((x - centres[-1]) ** 2).sum(1))
    c = np.stack(centres)
    x_sq = (x**2).sum(1, keepdims=True)
    for _ in range(iterations):
        labels = np.argmin(x_sq - 2 * x @ c.T + (c**2).sum(1), axis=1)
        new = np.stack([x[labels == j].mean(0) if np.any(labels == j) else c[j] for j in range(k)])
        if np.allclose(new, c):
            break
        c = new
    labels = np.argmin(x_sq - 2 * x @ c.T + (c**2).sum(1), axis=1)
    order = np.argsort(-np.bincount(labels, minlength=k), kind="stable")
    return c[order].reshape(k, 17, 3).astype(np.float32)

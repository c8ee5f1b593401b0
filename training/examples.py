"""The example input shipped with zedo-infer, made from open motion capture (Bandai-Namco, CC BY-NC 4.0).

Root-relative camera-frame poses (M, 17, 3) metres are placed in front of a camera and projected
with pinhole intrinsics, giving a ``zedo-infer`` input: keypoints (N, 17, 2) pixels, scores (N, 17)
(ones), K (3, 3), plus the true ``joints_3d`` (N, 17, 3) for checking the estimate.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from zedo.runtime.io.atomic import save_npz_atomic

# A 1000 x 1000 px camera with Human3.6M-like focal length.
EXAMPLE_K = np.array([[1145.0, 0.0, 500.0], [0.0, 1145.0, 500.0], [0.0, 0.0, 1.0]])


def make_example(poses_npz: str | Path, out: str | Path, n: int = 32, seed: int = 0) -> Path:
    """Pick ``n`` poses from a prepared pose file, place each 3.5-5.5 m in front of the camera,
    and write the example input (with its truth) to ``out``; ValueError naming the file if it
    holds fewer than ``n`` poses."""
    with np.load(poses_npz) as d:
        poses = d["poses"]
        provenance = json.loads(str(d["provenance"])) if "provenance" in d.files else {}
    if not 1 <= n <= len(poses):
        raise ValueError(f"{poses_npz}: holds {len(poses)} poses, cannot pick n = {n}")
    rng = np.random.default_rng(seed)
    pick = np.sort(rng.choice(len(poses), n, replace=False))
    root = np.stack([rng.uniform(-0.5, 0.5, n), rng.uniform(-0.2, 0.4, n), rng.uniform(3.5, 5.5, n)], -1)
    joints = poses[pick].astype(np.float64) + root[:, None]
    uvw = joints @ EXAMPLE_K.T
    keypoints = uvw[..., :2] / uvw[..., 2:]
    save_npz_atomic(
        out,
        keypoints=keypoints.astype(np.float32),
        scores=np.ones((n, 17), np.float32),
        K=EXAMPLE_K.astype(np.float32),
        joints_3d=joints.astype(np.float32),
        provenance=json.dumps(
            {"made_from": provenance, "seed": seed, "licence": "CC BY-NC 4.0 (Bandai Namco Research Inc.)"}
        ),
    )
    return Path(out)

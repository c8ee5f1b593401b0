"""A picture of estimates: each pose's 2D input with the reprojected estimate, and the 3D estimate
seen from the front and from the side (camera frame, y down: drawn with up at the top).
matplotlib is optional (``pip install zedo[viz]``); nothing else in the runtime needs it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .atomic import atomic_path
from .skeleton import BONES, LEFT_JOINTS


def _bone_colour(child: int) -> str:
    return "tab:blue" if child in LEFT_JOINTS else ("tab:red" if child in {1, 2, 3, 14, 15, 16} else "0.3")


def plot_estimates(path, joints_3d, keypoints, K, max_poses: int = 4) -> Path:
    """Write a PNG: one row per pose (at most ``max_poses``), joints_3d (N, 17, 3) metres camera frame,
    keypoints (N, 17, 2) pixels (NaN for missing), K (3, 3) or (N, 3, 3). Left limbs blue, right red."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise RuntimeError("plotting needs matplotlib: pip install matplotlib (or zedo[viz])") from None
    joints_3d, keypoints = np.asarray(joints_3d, float), np.asarray(keypoints, float)
    K = np.broadcast_to(np.asarray(K, float), (len(joints_3d), 3, 3))
    n = min(max_poses, len(joints_3d))
    fig, axes = plt.subplots(n, 3, figsize=(9, 3 * n), squeeze=False)
    for i in range(n):
        uvw = joints_3d[i] @ K[i].T
        reproj = uvw[:, :2] / uvw[:, 2:]
        root = joints_3d[i] - joints_3d[i, :1]
        views = [
            (axes[i, 0], keypoints[i], reproj, "2D px: input dots, estimate lines"),
            (axes[i, 1], root[:, [0, 1]], None, "front view, m"),
            (axes[i, 2], root[:, [2, 1]], None, "side view (z depth), m"),
        ]
        for ax, pts, lines_pts, title in views:
            drawn = pts if lines_pts is None else lines_pts
            for p, c in BONES:
                ax.plot(drawn[[p, c], 0], drawn[[p, c], 1], color=_bone_colour(c), lw=2)
            if lines_pts is not None:
                ax.scatter(pts[:, 0], pts[:, 1], s=12, color="k", zorder=3)
            ax.set_aspect("equal")
            ax.invert_yaxis()  # image and camera y point down
            ax.set_title(f"pose {i}: {title}", fontsize=8)
            ax.tick_params(labelsize=7)
    fig.tight_layout()
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=80, format="png")
    plt.close(fig)
    return path

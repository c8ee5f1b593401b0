"""Human3.6M training poses: camera-frame 17-joint poses of the training subjects, all four cameras.

Reading the files (VideoPose3D layout) is ``zedo.datasets.h36m``'s; this module only turns them
into a training pose file. Camera frame: x right, y down, z forward, metres.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from zedo.datasets.h36m import CAMERA_IDS, CAMERAS_FILE, POSITIONS_FILE, iter_takes, load_cameras, load_positions

TRAIN_SUBJECTS: tuple[str, ...] = ("S1", "S5", "S6", "S7", "S8")


def camera_frame_poses(
    npz_path: str | Path, cameras_path: str | Path, subjects=TRAIN_SUBJECTS, every: int = 1
) -> np.ndarray:
    """Root-relative camera-frame 17-joint poses (M, 17, 3) float32 metres, all four cameras."""
    positions = load_positions(npz_path)
    cameras = load_cameras(cameras_path)
    out = [
        cam_pose[::every] - cam_pose[::every, :1] for *_, cam_pose in iter_takes(positions, cameras, subjects, npz_path)
    ]
    return np.concatenate(out).astype(np.float32)


def prepare_h36m(data_dir: str | Path, out: str | Path, subjects=TRAIN_SUBJECTS, every: int = 1) -> Path:
    """Write ``out`` (.npz): ``poses`` (M, 17, 3) float32 root-relative camera-frame metres of
    ``subjects`` seen by all four cameras, and ``provenance`` (JSON). Atomic: nothing on failure."""
    from zedo.runtime.io.atomic import save_npz_atomic

    data_dir = Path(data_dir)
    poses = camera_frame_poses(data_dir / POSITIONS_FILE, data_dir / CAMERAS_FILE, subjects, every)
    provenance = {
        "source": "Human3.6M (VideoPose3D layout)",
        "subjects": list(subjects),
        "cameras": list(CAMERA_IDS),
        "every": every,
        "licence": "Human3.6M licence: non-commercial research only",
    }
    save_npz_atomic(out, poses=poses, provenance=json.dumps(provenance))
    return Path(out)

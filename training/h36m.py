"""Human3.6M in the VideoPose3D layout: world-frame mocap to camera-frame 17-joint poses.

Files: ``data_3d_h36m.npz`` with ``positions_3d[subject][action]`` (N, 32, 3) world metres, and
``cameras.json`` with ``[subject][camera_id]`` -> ``R`` (world to camera, X_cam = R (X_world - center)),
``center`` (metres), ``f``, ``c`` (pixels). Camera frame: x right, y down, z forward, metres.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from zedo.runtime.layouts import H36M32_TO_17

CAMERA_IDS: tuple[str, ...] = ("54138969", "55011271", "58860488", "60457274")
TRAIN_SUBJECTS: tuple[str, ...] = ("S1", "S5", "S6", "S7", "S8")


@dataclass(frozen=True)
class Camera:
    """One calibrated Human3.6M camera."""

    R: np.ndarray  # (3, 3) world-to-camera rotation
    center: np.ndarray  # (3,) camera centre in world metres
    K: np.ndarray  # (3, 3) pinhole intrinsics in pixels (distortion ignored)


def load_positions(npz_path: str | Path) -> dict:
    """``positions_3d`` of a VideoPose3D npz as {subject: {action: (N, 32, 3)}}; ValueError if malformed."""
    npz_path = Path(npz_path)
    try:
        data = np.load(npz_path, allow_pickle=True)
    except (OSError, ValueError) as e:
        raise ValueError(f"{npz_path}: not a readable .npz file ({e})") from None
    if "positions_3d" not in data.files:
        raise ValueError(f"{npz_path}: no 'positions_3d' key (found {data.files}); expected the VideoPose3D layout")
    positions = data["positions_3d"].item()
    if not isinstance(positions, dict):
        raise ValueError(f"{npz_path}: 'positions_3d' is not a {{subject: {{action: array}}}} dict")
    for subject, actions in positions.items():
        for action, arr in actions.items():
            if arr.ndim != 3 or arr.shape[1:] != (32, 3):
                raise ValueError(f"{npz_path}: positions_3d[{subject!r}][{action!r}] has shape {arr.shape}, expected (N, 32, 3)")
    return positions


def load_cameras(json_path: str | Path) -> dict[str, dict[str, Camera]]:
    """cameras.json as {subject: {camera_id: Camera}}."""
    json_path = Path(json_path)
    try:
        raw = json.loads(json_path.read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise ValueError(f"{json_path}: not a readable cameras JSON file ({e})") from None
    cams: dict[str, dict[str, Camera]] = {}
    for subject, by_id in raw.items():
        cams[subject] = {}
        for cam_id, c in by_id.items():
            try:
                K = np.array([[c["f"][0], 0.0, c["c"][0]], [0.0, c["f"][1], c["c"][1]], [0.0, 0.0, 1.0]])
                cams[subject][cam_id] = Camera(np.asarray(c["R"], float), np.asarray(c["center"], float), K)
            except (KeyError, IndexError, TypeError) as e:
                raise ValueError(f"{json_path}: camera {subject}/{cam_id} lacks field {e}") from None
    return cams


def world_to_camera(points: np.ndarray, cam: Camera) -> np.ndarray:
    """(..., 3) world metres to (..., 3) camera-frame metres: X_cam = R (X_world - center)."""
    return (points - cam.center) @ cam.R.T


def project(points_cam: np.ndarray, K: np.ndarray) -> np.ndarray:
    """Pinhole projection of (..., 3) camera-frame points to (..., 2) pixels."""
    uvw = points_cam @ K.T
    return uvw[..., :2] / uvw[..., 2:3]


def iter_takes(positions: dict, cameras: dict, subjects, npz_path="data_3d_h36m.npz"):
    """Yield (subject, action, camera_id, camera, joints (N, 17, 3) camera-frame metres with translation)."""
    for subject in subjects:
        if subject not in positions:
            raise ValueError(f"{npz_path}: subject {subject!r} is not in the file (it has {sorted(positions)})")
        if subject not in cameras:
            raise ValueError(f"cameras: subject {subject!r} has no cameras (have {sorted(cameras)})")
        for action in sorted(positions[subject]):
            world = positions[subject][action][:, H36M32_TO_17].astype(np.float64)
            for cam_id in CAMERA_IDS:
                cam = cameras[subject][cam_id]
                yield subject, action, cam_id, cam, world_to_camera(world, cam)


def camera_frame_poses(npz_path: str | Path, cameras_path: str | Path, subjects=TRAIN_SUBJECTS, every: int = 1) -> np.ndarray:
    """Root-relative camera-frame 17-joint poses (M, 17, 3) float32 metres, all four cameras."""
    positions = load_positions(npz_path)
    cameras = load_cameras(cameras_path)
    out = [cam_pose[::every] - cam_pose[::every, :1] for *_, cam_pose in iter_takes(positions, cameras, subjects, npz_path)]
    return np.concatenate(out).astype(np.float32)


def prepare_h36m(data_dir: str | Path, out: str | Path, subjects=TRAIN_SUBJECTS, every: int = 1) -> Path:
    """Write ``out`` (.npz): ``poses`` (M, 17, 3) float32 root-relative camera-frame metres of
    ``subjects`` seen by all four cameras, and ``provenance`` (JSON). Atomic: nothing on failure."""
    from zedo.runtime.atomic import save_npz_atomic

    data_dir = Path(data_dir)
    poses = camera_frame_poses(data_dir / "data_3d_h36m.npz", data_dir / "cameras.json", subjects, every)
    provenance = {
        "source": "Human3.6M (VideoPose3D layout)",
        "subjects": list(subjects),
        "cameras": list(CAMERA_IDS),
        "every": every,
        "licence": "Human3.6M licence: non-commercial research only",
    }
    save_npz_atomic(out, poses=poses, provenance=json.dumps(provenance))
    return Path(out)

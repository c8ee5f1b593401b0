"""Human3.6M in the VideoPose3D layout: the one reader of its files (torch-free).

Files in the data folder:

- ``data_3d_h36m.npz``: ``positions_3d[subject][action]`` (N, 32, 3) world metres (mocap joints).
- ``cameras.json``: ``[subject][camera_id]`` -> ``R`` (3, 3) world to camera
  (X_cam = R (X_world - center)), ``center`` (3,) metres, ``f``, ``c`` (2,) pixels.
- ``data_2d_h36m_sh_pt_mpii.npz``: ``positions_2d[subject][action]`` -> one (N, 16, 2) pixel array
  per camera, in ``CAMERA_IDS`` order: Stacked Hourglass detections trained on MPII (the 17 joints
  without neck/nose; NaN where absent).

Camera frame: x right, y down, z forward, metres. The .npz files hold pickled Python dicts, so
reading them needs ``allow_pickle=True`` (``_pickled_dict`` is the one place): they can run code
when loaded and must come from a trusted source (the VideoPose3D preparation scripts).
"""

from __future__ import annotations

import json
import pickle
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from zedo.runtime.layouts import H36M32_TO_17

POSITIONS_FILE = "data_3d_h36m.npz"
CAMERAS_FILE = "cameras.json"
DETECTIONS_FILE = "data_2d_h36m_sh_pt_mpii.npz"
CAMERA_IDS: tuple[str, ...] = ("54138969", "55011271", "58860488", "60457274")
DETECTED_JOINTS = 16  # the detections' joints: the prior's 17 without neck/nose (joint 9)


@dataclass(frozen=True)
class Camera:
    """One calibrated Human3.6M camera."""

    R: np.ndarray  # (3, 3) world-to-camera rotation
    center: np.ndarray  # (3,) camera centre in world metres
    K: np.ndarray  # (3, 3) pinhole intrinsics in pixels (distortion ignored)


def _pickled_dict(path: str | Path, key: str) -> dict:
    """``key`` of a VideoPose3D .npz, a pickled dict keyed by subject; ValueError naming the file.

    Unpickling can run code: only read files from a trusted source.
    """
    path = Path(path)
    try:
        data = np.load(path, allow_pickle=True)
    except (OSError, EOFError, ValueError, pickle.UnpicklingError) as e:
        raise ValueError(f"{path}: not a readable .npz file ({e})") from None
    if not isinstance(data, np.lib.npyio.NpzFile):
        raise ValueError(f"{path}: not an .npz archive; expected the VideoPose3D layout")
    with data:
        if key not in data.files:
            raise ValueError(f"{path}: no {key!r} key (found {data.files}); expected the VideoPose3D layout")
        try:
            value = data[key]
        except (OSError, EOFError, ValueError, zipfile.BadZipFile, pickle.UnpicklingError) as e:
            raise ValueError(f"{path}: {key!r} is not readable ({e})") from None
    value = value.item() if value.dtype == object and value.shape == () else value
    if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
        raise ValueError(f"{path}: {key!r} is not a {{subject: {{action: ...}}}} dict")
    return value


def load_positions(npz_path: str | Path) -> dict:
    """``positions_3d`` as {subject: {action: (N, 32, 3) world metres}}; ValueError if malformed."""
    positions = _pickled_dict(npz_path, "positions_3d")
    for subject, actions in positions.items():
        for action, arr in actions.items():
            if not isinstance(arr, np.ndarray) or arr.ndim != 3 or arr.shape[1:] != (32, 3):
                raise ValueError(f"{npz_path}: positions_3d[{subject!r}][{action!r}] has shape {np.shape(arr)}, expected (N, 32, 3)")
    return positions


def load_detections(npz_path: str | Path, subject: str) -> dict[str, list[np.ndarray]]:
    """``positions_2d[subject]`` as {action: [(N, 16, 2) pixels per camera, in CAMERA_IDS order]}."""
    by_subject = _pickled_dict(npz_path, "positions_2d")
    if subject not in by_subject:
        raise ValueError(f"{npz_path}: no detections for {subject!r} (it has {sorted(by_subject)})")
    detections = by_subject[subject]
    for action, per_camera in detections.items():
        shapes = [np.shape(a) for a in per_camera] if isinstance(per_camera, (list, tuple)) else None
        if shapes is None or len(shapes) != len(CAMERA_IDS) or any(len(s) != 3 or s[1:] != (DETECTED_JOINTS, 2) for s in shapes):
            raise ValueError(f"{npz_path}: positions_2d[{subject!r}][{action!r}] must be {len(CAMERA_IDS)} arrays (N, {DETECTED_JOINTS}, 2), got {shapes}")
    return detections


def load_cameras(json_path: str | Path) -> dict[str, dict[str, Camera]]:
    """cameras.json as {subject: {camera_id: Camera}}; ValueError naming the file and the camera."""
    json_path = Path(json_path)
    try:
        raw = json.loads(json_path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"{json_path}: not a readable cameras JSON file ({e})") from None
    if not isinstance(raw, dict) or not all(isinstance(v, dict) for v in raw.values()):
        raise ValueError(f"{json_path}: expected {{subject: {{camera_id: camera}}}}")
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


def iter_takes(positions: dict, cameras: dict, subjects, npz_path=POSITIONS_FILE):
    """Yield (subject, action, camera_id, camera, joints (N, 17, 3) camera-frame metres, pelvis
    included) for each action of each subject (sorted) seen by each camera of ``CAMERA_IDS``."""
    for subject in subjects:
        if subject not in positions:
            raise ValueError(f"{npz_path}: subject {subject!r} is not in the file (it has {sorted(positions)})")
        if subject not in cameras:
            raise ValueError(f"{CAMERAS_FILE}: subject {subject!r} has no cameras (have {sorted(cameras)})")
        missing = [c for c in CAMERA_IDS if c not in cameras[subject]]
        if missing:
            raise ValueError(f"{CAMERAS_FILE}: subject {subject!r} lacks camera(s) {', '.join(missing)}")
        for action in sorted(positions[subject]):
            world = positions[subject][action][:, H36M32_TO_17].astype(np.float64)
            for cam_id in CAMERA_IDS:
                cam = cameras[subject][cam_id]
                yield subject, action, cam_id, cam, world_to_camera(world, cam)

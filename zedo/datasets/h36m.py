"""Human3.6M in the VideoPose3D layout: the one reader of its files (torch-free).

Files in the data folder:

- ``data_3d_h36m.npz``: ``positions_3d[subject][action]`` (N, 32, 3) world metres (mocap joints).
- ``cameras.json``: ``[subject][camera_id]`` -> ``R`` (3, 3) world to camera
  (X_cam = R (X_world - center)), ``center`` (3,) metres, ``f``, ``c`` (2,) pixels.
- ``data_2d_h36m_sh_pt_mpii.npz``: ``positions_2d[subject][action]`` -> one (N, 16, 2) pixel array
  per camera, in ``CAMERA_IDS`` order: Stacked Hourglass detections trained on MPII (the 17 joints
  without neck/nose; NaN where absent).

Camera frame: x right, y down, z forward, metres. The .npz files hold pickled Python dicts of
arrays. They are read by ``_pickled_dict``, the one place that unpickles, with an unpickler that
builds only dicts, lists and NumPy arrays: a file that asks for anything else (a function to call,
any other class) is refused with one line naming it, so a hostile file cannot run code. Still,
these files should come from a trusted source (the VideoPose3D preparation scripts).
"""

from __future__ import annotations

import json
import pickle
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.lib import format as npy_format

from zedo.runtime.io.intrinsics import MAX_PIXELS
from zedo.runtime.io.layouts import H36M32_TO_17
from zedo.runtime.io.numbers import as_numbers

POSITIONS_FILE = "data_3d_h36m.npz"
CAMERAS_FILE = "cameras.json"
DETECTIONS_FILE = "data_2d_h36m_sh_pt_mpii.npz"
CAMERA_IDS: tuple[str, ...] = ("54138969", "55011271", "58860488", "60457274")
DETECTED_JOINTS = 16  # the detections' joints: the prior's 17 without neck/nose (joint 9)
MAX_WORLD_M = 1000.0  # mocap coordinates beyond this many metres are another unit


@dataclass(frozen=True)
class Camera:
    """One calibrated Human3.6M camera."""

    R: np.ndarray  # (3, 3) world-to-camera rotation
    center: np.ndarray  # (3,) camera centre in world metres
    K: np.ndarray  # (3, 3) pinhole intrinsics in pixels (distortion ignored)


# The globals a pickled {subject: {action: array}} dict of NumPy arrays refers to (NumPy 1 and 2
# spell its module differently); nothing else is ever resolved.
SAFE_GLOBALS = frozenset(
    {
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy._core.multiarray", "scalar"),
    }
)


class _ArraysOnly(pickle.Unpickler):
    """An unpickler that builds Python containers and NumPy arrays, and nothing that could run code."""

    def find_class(self, module: str, name: str):
        if (module, name) not in SAFE_GLOBALS:
            raise pickle.UnpicklingError(f"it asks for {module}.{name}, which a pickled dict of arrays never does")
        return super().find_class(module, name)


def _pickled_dict(path: str | Path, key: str) -> dict:
    """``key`` of a VideoPose3D .npz, a pickled dict keyed by subject; ValueError naming the file.

    The member's .npy header is read first (an object array of shape (), the pickle); its pickle
    is then read by ``_ArraysOnly``, which refuses anything but containers and arrays.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(
            f"{path}: no such file "
            f"(expected the VideoPose3D layout: {POSITIONS_FILE}, {CAMERAS_FILE}, {DETECTIONS_FILE})"
        )
    try:
        with zipfile.ZipFile(path) as archive:
            names = [n.removesuffix(".npy") for n in archive.namelist()]
            if key not in names:
                raise ValueError(f"{path}: no {key!r} key (found {names}); expected the VideoPose3D layout")
            with archive.open(f"{key}.npy") as f:
                value = _read_pickled_member(f, path, key)
    except (OSError, EOFError, zipfile.BadZipFile) as e:
        raise ValueError(
            f"{path}: not a readable .npz archive ({' '.join(str(e).split())[:160]}); expected the VideoPose3D layout"
        ) from None
    if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
        raise ValueError(f"{path}: {key!r} is not a {{subject: {{action: ...}}}} dict")
    return value


def _read_pickled_member(f, path: Path, key: str):
    """The object an .npy member holds as a pickled object array of shape ()."""
    try:
        major, _ = npy_format.read_magic(f)
        shape, _, dtype = (npy_format.read_array_header_1_0 if major == 1 else npy_format.read_array_header_2_0)(f)
    except ValueError as e:
        raise ValueError(f"{path}: {key!r} is not a readable .npy member ({' '.join(str(e).split())[:160]})") from None
    if not dtype.hasobject or shape != ():
        raise ValueError(
            f"{path}: {key!r} is a {dtype} array of shape {shape}, not the pickled dict of the VideoPose3D layout"
        )
    try:
        array = _ArraysOnly(f).load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError, MemoryError) as e:
        raise ValueError(
            f"{path}: {key!r} is not a readable pickled dict of arrays ({' '.join(str(e).split())[:160]})"
        ) from None
    return array.item() if isinstance(array, np.ndarray) and array.dtype == object and array.shape == () else array


def _check_array(value, path, where: str, shape_tail: tuple, what: str, limit: float) -> None:
    """ValueError naming the entry unless ``value`` is an array (N, *shape_tail) of real numbers
    within ``limit`` of 0 (NaN allowed: the caller says whether it may be there)."""
    if not isinstance(value, np.ndarray) or value.ndim != 1 + len(shape_tail) or value.shape[1:] != shape_tail:
        raise ValueError(
            f"{path}: {where} has shape "
            f"{np.shape(value) if isinstance(value, np.ndarray) else type(value).__name__}, expected {what}"
        )
    if value.dtype.kind not in "iuf":
        raise ValueError(f"{path}: {where} holds {value.dtype} values, expected real numbers")
    if (np.abs(value) > limit).any():
        raise ValueError(f"{path}: {where} holds values beyond {limit:g} (infinite, or another unit)")


def load_positions(npz_path: str | Path) -> dict:
    """``positions_3d`` as {subject: {action: (N, 32, 3) world metres}}; ValueError if malformed
    (another shape, values that are not real numbers, or NaN: the mocap has no missing joints)."""
    positions = _pickled_dict(npz_path, "positions_3d")
    for subject, actions in positions.items():
        for action, arr in actions.items():
            where = f"positions_3d[{subject!r}][{action!r}]"
            _check_array(arr, npz_path, where, (32, 3), "(N, 32, 3) metres", MAX_WORLD_M)
            if np.isnan(arr).any():
                raise ValueError(f"{npz_path}: {where} holds NaN values")
    return positions


def load_detections(npz_path: str | Path, subject: str) -> dict[str, list[np.ndarray]]:
    """``positions_2d[subject]`` as {action: [(N, 16, 2) pixels per camera, in CAMERA_IDS order]}."""
    by_subject = _pickled_dict(npz_path, "positions_2d")
    if subject not in by_subject:
        raise ValueError(f"{npz_path}: no detections for {subject!r} (it has {sorted(by_subject)})")
    detections = by_subject[subject]
    for action, per_camera in detections.items():
        where = f"positions_2d[{subject!r}][{action!r}]"
        if not isinstance(per_camera, (list, tuple)) or len(per_camera) != len(CAMERA_IDS):
            got = len(per_camera) if isinstance(per_camera, (list, tuple)) else type(per_camera).__name__
            raise ValueError(
                f"{npz_path}: {where} must be {len(CAMERA_IDS)} arrays (N, {DETECTED_JOINTS}, 2), "
                f"one per camera, got {got}"
            )
        for c, arr in enumerate(per_camera):
            _check_array(
                arr, npz_path, f"{where}[{c}]", (DETECTED_JOINTS, 2), f"(N, {DETECTED_JOINTS}, 2) pixels", MAX_PIXELS
            )
    return detections


def load_cameras(json_path: str | Path) -> dict[str, dict[str, Camera]]:
    """cameras.json as {subject: {camera_id: Camera}}; ValueError naming the file and the camera."""
    json_path = Path(json_path)
    if not json_path.is_file():
        raise ValueError(
            f"{json_path}: no such file "
            f"(expected the VideoPose3D layout: {POSITIONS_FILE}, {CAMERAS_FILE}, {DETECTIONS_FILE})"
        )
    try:
        raw = json.loads(json_path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"{json_path}: not a readable cameras JSON file ({e})") from None
    if not isinstance(raw, dict) or not all(isinstance(v, dict) for v in raw.values()):
        raise ValueError(f"{json_path}: expected {{subject: {{camera_id: camera}}}}")
    return {
        subject: {cam_id: _camera(c, f"{json_path}: camera {subject}/{cam_id}") for cam_id, c in by_id.items()}
        for subject, by_id in raw.items()
    }


def _camera(c, where: str) -> Camera:
    """One camera of cameras.json: R (3, 3) a rotation, center (3,) metres, f (2,) > 0 and c (2,)
    pixels, all real and finite (other fields, such as distortion, are ignored)."""
    if not isinstance(c, dict):
        raise ValueError(f"{where} is a {type(c).__name__}, expected an object with R, center, f, c")
    fields = {}
    for name, shape in (("f", (2,)), ("c", (2,)), ("R", (3, 3)), ("center", (3,))):
        if name not in c:
            raise ValueError(f"{where} lacks field {name!r}")
        value = as_numbers(c[name], where, name)
        if value.shape != shape:
            raise ValueError(f"{where}: {name} has shape {value.shape}, expected {shape}")
        if not np.isfinite(value).all():
            raise ValueError(f"{where}: {name} = {value.tolist()} is not finite")
        fields[name] = value
    R = fields["R"]
    if np.abs(R @ R.T - np.eye(3)).max() > 1e-3 or np.linalg.det(R) < 0:
        raise ValueError(f"{where}: R is not a rotation (R R^T = I, det +1 within 1e-3)")
    if not (fields["f"] > 0).all():
        raise ValueError(f"{where}: focal lengths f = {fields['f'].tolist()} must be positive")
    (fx, fy), (cx, cy) = fields["f"], fields["c"]
    return Camera(R, fields["center"], np.array([[fx, 0.0, cx], [0.0, fy, cy], [0.0, 0.0, 1.0]]))


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

"""A calibrated camera from a file (``zedo-infer --camera FILE[:NAME]``), and keypoints undistorted.

Formats (``io.camera_files``), told apart by suffix and first line:

- OpenCV's FileStorage YAML (``.yml``/``.yaml``, ``%YAML:1.0``): ``camera_matrix`` or ``K`` as
  ``!!opencv-matrix`` (rows, cols, data), ``distortion_coefficients``/``dist_coeffs``/``D``,
  ``image_width``/``image_height``;
- OpenCV-style JSON (``.json``): ``{"K": [[...]], "dist": [...]}`` or ``camera_matrix``/``dist_coeffs``;
- COLMAP's ``cameras.txt`` (``.txt``): SIMPLE_PINHOLE, PINHOLE, SIMPLE_RADIAL, RADIAL, OPENCV,
  FULL_OPENCV; several cameras: ``cameras.txt:ID``;
- Pose2Sim's / Anipose's calibration ``.toml``: ``[cam_01]`` tables with ``matrix``,
  ``distortions``, ``size``, ``name``; several cameras: ``calib.toml:NAME`` (the table's key or
  its ``name``).

Units: pixels. ``Camera.K`` (3, 3) is checked as ``io.intrinsics.check_K`` checks any K;
``Camera.distortion`` (4,), (5,) or (8,) OpenCV's k1 k2 p1 p2 [k3 [k4 k5 k6]], or None where the
file has none or all zeros. Errors: ValueError, one line naming the file and what is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.camera import check_image_size
from .camera_files import parse_calibration_toml, parse_colmap, parse_opencv_json, parse_opencv_yaml
from .intrinsics import check_K
from .numbers import as_numbers
from .undistort import DISTORTION_SIZES, undistort_points

PARSERS = {
    ".yml": parse_opencv_yaml,
    ".yaml": parse_opencv_yaml,
    ".json": parse_opencv_json,
    ".txt": parse_colmap,
    ".toml": parse_calibration_toml,
}
MAX_CAMERA_FILE_BYTES = 1 << 22


@dataclass(frozen=True)
class Camera:
    """A calibrated camera: ``K`` (3, 3) px, ``distortion`` (n,) or None, ``size`` (width,
    height) px or None, ``name`` (the file's name for it; "" where it has one camera only)."""

    K: np.ndarray
    distortion: np.ndarray | None
    size: tuple[float, float] | None
    name: str


def split_spec(spec) -> tuple[Path, str | None]:
    """``FILE`` or ``FILE:NAME`` -> (path, name or None); a path that exists as written wins."""
    text = str(spec)
    path, _, name = text.rpartition(":")
    if Path(text).exists() or not path or not name or "/" in name or "\\" in name:
        return Path(text), None
    return Path(path), name


def _parser(path: Path, text: str):
    if text.lstrip().startswith("%YAML"):
        return parse_opencv_yaml
    parser = PARSERS.get(path.suffix.lower())
    if parser is None:
        raise ValueError(
            f"{path}: unknown camera file format {path.suffix or '(no suffix)'!r}; expected OpenCV's .yml/.yaml "
            "or .json, COLMAP's cameras.txt or a Pose2Sim/Anipose .toml"
        )
    return parser


def _choose(cameras: list[dict], name: str | None, path: Path) -> dict:
    if name is not None:
        for cam in cameras:
            if name in (cam["name"], cam.get("table")):
                return cam
        have = ", ".join(repr(c["name"]) for c in cameras)
        raise ValueError(f"{path}: no camera named {name!r}; the file has {have}")
    if len(cameras) > 1:
        have = ", ".join(repr(c["name"]) for c in cameras)
        raise ValueError(f"{path}: the file has {len(cameras)} cameras ({have}); choose one as {path}:NAME")
    return cameras[0]


def _check(raw: dict, where: str) -> Camera:
    """The raw fields as a ``Camera``; ValueError naming ``where`` for a wrong shape or number."""
    try:
        K = np.asarray(raw["K"], dtype=np.float64)
        dist = None if raw["distortion"] is None else np.asarray(raw["distortion"], dtype=np.float64).ravel()
    except (TypeError, ValueError):
        raise ValueError(f"{where}: the camera matrix or distortion is not numbers") from None
    if K.shape != (3, 3):
        raise ValueError(f"{where}: the camera matrix has shape {K.shape}, expected (3, 3)")
    size = None if raw["size"] is None else check_image_size(raw["size"], where)
    K = check_K(K, 1, where, size)[0]
    if dist is not None and not np.isfinite(dist).all():
        raise ValueError(f"{where}: the distortion coefficients are not all finite: {dist.tolist()}")
    if dist is not None and dist.size not in DISTORTION_SIZES + (0,):
        raise ValueError(
            f"{where}: {dist.size} distortion coefficients; expected 4, 5 or 8 (OpenCV's k1 k2 p1 p2 [k3 [k4 k5 k6]])"
        )
    dist = None if dist is None or not dist.any() else dist
    return Camera(K, dist, size, raw["name"])


def read_camera(spec) -> Camera:
    """The camera of ``spec`` = ``FILE`` or ``FILE:NAME`` (see the module docstring).
    FileNotFoundError for a missing file; ValueError naming the file for anything else."""
    path, name = split_spec(spec)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such camera file")
    if path.stat().st_size > MAX_CAMERA_FILE_BYTES:
        raise ValueError(f"{path}: too large for a camera file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not a text file") from None
    try:
        cameras = _parser(path, text)(text)
    except ValueError as e:
        raise ValueError(f"{path}: {e}" if not str(e).startswith(str(path)) else str(e)) from None
    if name is not None and len(cameras) == 1 and cameras[0]["name"] == "":
        raise ValueError(f"{path}: holds one unnamed camera; drop :{name}")
    raw = _choose(cameras, name, path)
    return _check(raw, f"{path}" + (f" camera {raw['name']!r}" if raw["name"] else ""))


def undistort_fields(fields: dict, K, distortion, source: str) -> dict:
    """A file's fields with its raw ``keypoints`` ((N, J, 2), (J, 2) or with the score last,
    (..., 3), pixels in its own layout, before any joint is derived from others) undistorted by K
    (3, 3) and ``distortion`` (``undistort.undistort_points``; None: ``fields`` unchanged); a
    keypoint without an inverse (far beyond the calibrated field) becomes missing (score 0 in
    ``scores`` (..., J) or the score column). Keypoints of any other shape are left for
    ``validation`` to name. Reprojection is then measured against the undistorted pixels."""
    scores = fields["scores"]
    kp = None if distortion is None else np.array(as_numbers(fields["keypoints"], source, "keypoints"))
    if kp is None or kp.ndim not in (2, 3) or kp.shape[-1] not in (2, 3):
        return fields
    out = undistort_points(kp[..., :2], K, distortion)
    lost = ~np.isfinite(out).all(-1) & np.isfinite(kp[..., :2]).all(-1)
    kp[..., :2] = out
    if lost.any() and kp.shape[-1] == 3:
        kp[..., 2][lost] = 0.0
    elif lost.any() and np.shape(scores if scores is not None else lost) == lost.shape:
        scores = np.array(np.ones(lost.shape) if scores is None else as_numbers(scores, source, "scores"))
        scores[lost] = 0.0
    return dict(fields, keypoints=kp, scores=scores)

"""The calibration files people have, parsed into plain fields (checked in ``io.cameras``).

Each ``parse_*`` takes the file's text and returns a list of raw cameras, dicts with ``name``
(str), ``K`` (3, 3) px, ``distortion`` (n,) OpenCV order k1 k2 p1 p2 [k3 [k4 k5 k6]], ``size``
(width, height) px or None. A problem raises ValueError (the caller adds the file's name).
"""

from __future__ import annotations

import json
import re

import numpy as np

K_NODES = ("camera_matrix", "K", "cameraMatrix", "intrinsics")
DIST_NODES = ("distortion_coefficients", "dist_coeffs", "dist", "D", "distCoeffs", "distortion")
# COLMAP model -> how its parameters map to (fx, fy, cx, cy) and OpenCV's k1 k2 p1 p2 [k3 k4 k5 k6].
COLMAP_MODELS = {
    "SIMPLE_PINHOLE": (3, lambda p: (p[0], p[0], p[1], p[2], [])),
    "PINHOLE": (4, lambda p: (p[0], p[1], p[2], p[3], [])),
    "SIMPLE_RADIAL": (4, lambda p: (p[0], p[0], p[1], p[2], [p[3], 0, 0, 0])),
    "RADIAL": (5, lambda p: (p[0], p[0], p[1], p[2], [p[3], p[4], 0, 0])),
    "OPENCV": (8, lambda p: (p[0], p[1], p[2], p[3], p[4:8])),
    "FULL_OPENCV": (12, lambda p: (p[0], p[1], p[2], p[3], p[4:12])),
}


def _numbers(text: str, what: str) -> list[float]:
    try:
        return [float(v) for v in re.split(r"[\s,]+", text.strip()) if v]
    except ValueError:
        raise ValueError(f"{what} holds something that is not a number: {text.strip()[:60]!r}") from None


def _yaml_node(text: str, names) -> tuple[str, np.ndarray] | None:
    """The first of ``names`` present as a top-level ``!!opencv-matrix`` node: (name, rows x cols)."""
    for name in names:
        m = re.search(rf"^{re.escape(name)}\s*:\s*!!opencv-matrix(.*?)(?=^\S|\Z)", text, re.M | re.S)
        if m is None:
            continue
        block = m.group(1)
        rows, cols = re.search(r"\brows\s*:\s*(\d+)", block), re.search(r"\bcols\s*:\s*(\d+)", block)
        data = re.search(r"\bdata\s*:\s*\[(.*?)\]", block, re.S)
        if rows is None or cols is None or data is None:
            raise ValueError(f"node {name!r} lacks rows, cols or data")
        values = _numbers(data.group(1), f"node {name!r}")
        shape = (int(rows.group(1)), int(cols.group(1)))
        if len(values) != shape[0] * shape[1]:
            raise ValueError(f"node {name!r} has {len(values)} numbers for {shape[0]} x {shape[1]}")
        return name, np.array(values).reshape(shape)
    return None


def parse_opencv_yaml(text: str) -> list[dict]:
    """OpenCV's FileStorage YAML (``%YAML:1.0``): a camera matrix node (``K_NODES``), optional
    distortion (``DIST_NODES``) and ``image_width``/``image_height``."""
    K = _yaml_node(text, K_NODES)
    if K is None:
        raise ValueError(f"no camera matrix: expected a !!opencv-matrix node named one of {', '.join(K_NODES)}")
    dist = _yaml_node(text, DIST_NODES)
    w, h = (re.search(rf"^{k}\s*:\s*([-+.\deE]+)\s*$", text, re.M) for k in ("image_width", "image_height"))
    size = (float(w.group(1)), float(h.group(1))) if w and h else None
    return [dict(name="", K=K[1], distortion=None if dist is None else dist[1].ravel(), size=size)]


def _json_matrix(value, key: str):
    """A JSON value as numbers: nested lists, or OpenCV's ``{"rows", "cols", "data"}``."""
    if isinstance(value, dict):
        if not {"rows", "cols", "data"} <= set(value):
            raise ValueError(f"{key!r} is an object without rows, cols and data")
        return np.asarray(value["data"], dtype=np.float64).reshape(int(value["rows"]), int(value["cols"]))
    return value


def parse_opencv_json(text: str) -> list[dict]:
    """OpenCV-style JSON: an object with a camera matrix (``K_NODES``: nested lists or OpenCV's
    rows/cols/data), optional distortion (``DIST_NODES``) and ``image_size``/``size`` or
    ``image_width``/``image_height``."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f"not valid JSON ({e.msg} at line {e.lineno})") from None
    if not isinstance(doc, dict):
        raise ValueError("expected a JSON object with a camera matrix")
    k_key = next((k for k in K_NODES if k in doc), None)
    if k_key is None:
        raise ValueError(f"no camera matrix: expected a key named one of {', '.join(K_NODES)}")
    d_key = next((k for k in DIST_NODES if k in doc), None)
    size = doc.get("image_size", doc.get("size"))
    if size is None and "image_width" in doc and "image_height" in doc:
        size = (doc["image_width"], doc["image_height"])
    dist = None if d_key is None else np.ravel(_json_matrix(doc[d_key], d_key))
    return [dict(name="", K=_json_matrix(doc[k_key], k_key), distortion=dist, size=size)]


def parse_colmap(text: str) -> list[dict]:
    """COLMAP's ``cameras.txt``: ``CAMERA_ID MODEL WIDTH HEIGHT PARAMS...`` a line (``COLMAP_MODELS``).
    COLMAP puts the first pixel's centre at (0.5, 0.5), OpenCV and detectors at (0, 0): the
    principal point is moved by -0.5 px."""
    cameras = []
    for number, line in enumerate(text.splitlines(), 1):
        fields = line.split()
        if not fields or fields[0].startswith("#"):
            continue
        if len(fields) < 4 or fields[1] not in COLMAP_MODELS:
            what = f"unknown camera model {fields[1]!r}" if len(fields) >= 4 else "too few fields"
            raise ValueError(f"line {number}: {what}; expected one of {', '.join(COLMAP_MODELS)}")
        count, unpack = COLMAP_MODELS[fields[1]]
        params = _numbers(" ".join(fields[2:]), f"line {number}")
        if len(params) != 2 + count:
            raise ValueError(f"line {number}: {fields[1]} has {count} parameters, got {len(params) - 2}")
        fx, fy, cx, cy, dist = unpack(params[2:])
        K = [[fx, 0.0, cx - 0.5], [0.0, fy, cy - 0.5], [0.0, 0.0, 1.0]]
        cameras.append(dict(name=fields[0], K=K, distortion=np.asarray(dist, float) if dist else None, size=params[:2]))
    if not cameras:
        raise ValueError("no camera line (CAMERA_ID MODEL WIDTH HEIGHT PARAMS...)")
    return cameras


def parse_calibration_toml(text: str) -> list[dict]:
    """Pose2Sim's / Anipose's calibration TOML: one table a camera with ``matrix`` (3, 3) px,
    ``distortions`` (OpenCV order), ``size`` (width, height) px and ``name``; tables without a
    ``matrix`` (``[metadata]``) are skipped; a ``fisheye = true`` camera is refused."""
    try:
        import tomllib  # Python 3.11+
    except ModuleNotFoundError:  # Python 3.10: the same parser as the package tomli, if installed
        try:
            import tomli as tomllib
        except ModuleNotFoundError:
            raise ValueError("reading a .toml camera needs Python 3.11 or later, or pip install tomli") from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ValueError(f"not valid TOML ({e})") from None
    cameras = []
    for key, table in doc.items():
        if not isinstance(table, dict) or "matrix" not in table:
            continue
        if table.get("fisheye") is True:
            raise ValueError(f"camera {key!r} is a fisheye calibration; only OpenCV's pinhole lens model is supported")
        name = str(table.get("name", key))
        cameras.append(dict(name=name, K=table["matrix"], distortion=table.get("distortions"), size=table.get("size")))
        cameras[-1]["table"] = key
    if not cameras:
        raise ValueError("no camera: expected tables like [cam_01] with a matrix")
    return cameras

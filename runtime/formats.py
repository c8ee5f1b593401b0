"""The file formats of ``zedo-infer``: 2D keypoints and intrinsics in, 3D poses out.

Input (``.npz`` arrays or a ``.json`` object of nested lists), units as ``zedo.runtime.geometry``:

- ``keypoints``: (N, 17, 2) pixels, Human3.6M joint order; a single pose (17, 2) means N = 1.
  NaN (JSON: null) marks a missing joint, which then needs score 0.
- ``K``: (3, 3) or (N, 3, 3) pixel intrinsics.
- ``scores`` (optional): (N, 17) in [0, 1], 0 for a missing joint; a single pose may give (17,).

Output (``.npz`` or ``.json`` with the same fields as lists): ``joints_3d`` (N, 17, 3) metres in
the camera frame, ``translation`` (N, 3) metres (the pelvis); with S > 1 hypotheses also
``hypotheses`` (N, S, 17, 3), ``selected`` (N,), ``selection`` (str), ``reprojection_px`` (N, S)
and ``prior_residual`` (N, S). Outputs are written atomically: a failed write leaves no file.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np

from .atomic import atomic_path, save_npz_atomic
from .result import Estimate
from .skeleton import NUM_JOINTS
from .validation import Inputs, validate_inputs

INPUT_KEYS = ("keypoints", "K", "scores")
REQUIRED_KEYS = ("keypoints", "K")
# Carried by the shipped example (its ground truth and where it came from); read past, not used.
IGNORED_KEYS = ("joints_3d", "provenance")
SUFFIXES = (".npz", ".json")
RESULT_FIELDS = ("joints_3d", "translation", "hypotheses", "selected", "selection", "reprojection_px", "prior_residual")


def _suffix(path: Path, role: str) -> str:
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ValueError(f"{path}: unknown {role} format {path.suffix or '(no suffix)'!r}; use {' or '.join(SUFFIXES)}")
    return suffix


def check_output_path(path) -> Path:
    """Raise ValueError unless ``path`` ends in a writable output suffix; checked before a long run."""
    path = Path(path)
    _suffix(path, "output")
    if path.is_dir():
        raise ValueError(f"{path}: output path is a directory")
    return path


def _read_npz(path: Path) -> dict:
    try:
        with np.load(path, allow_pickle=False) as f:
            return {k: f[k] for k in f.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        # allow_pickle=False also lands here for object arrays, which we never execute.
        raise ValueError(f"{path}: not a readable .npz file ({str(e).splitlines()[0][:200]})") from None


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"{path}: not a readable .json file ({e})") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a JSON object with keys {', '.join(INPUT_KEYS)}, got {type(data).__name__}")
    return data


def _as_float(value, path: Path, key: str) -> np.ndarray:
    # JSON null becomes NaN here, so a missing joint can be written as null.
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{path}: {key} is not a numeric array ({str(e).splitlines()[0][:200]})") from None


def load_input(path) -> Inputs:
    """Read keypoints, K and optional scores from ``path`` (.npz or .json) and validate them.

    Returns ``Inputs`` (keypoints (N, 17, 2) px, scores (N, 17), K (N, 3, 3), float64), ready for
    ``estimate(inputs.keypoints, inputs.K, inputs.scores)``. Raises FileNotFoundError for a
    missing file and ValueError naming the file and the field for anything else.
    """
    path = Path(path)
    suffix = _suffix(path, "input")
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such input file")
    data = _read_npz(path) if suffix == ".npz" else _read_json(path)
    unknown = sorted(set(data) - set(INPUT_KEYS) - set(IGNORED_KEYS))
    if unknown:
        # Strict on purpose: a misspelt "score" would otherwise silently mean all scores 1.
        raise ValueError(f"{path}: unknown key(s) {', '.join(map(repr, unknown))}; expected {', '.join(INPUT_KEYS)}")
    for key in REQUIRED_KEYS:
        if key not in data:
            raise ValueError(f"{path}: missing key {key!r} (expected keypoints (N, {NUM_JOINTS}, 2) pixels and K (3, 3))")
    keypoints = _as_float(data["keypoints"], path, "keypoints")
    K = _as_float(data["K"], path, "K")
    scores = None if data.get("scores") is None else _as_float(data["scores"], path, "scores")
    if keypoints.shape == (NUM_JOINTS, 2):
        keypoints = keypoints[None]
        if scores is not None and scores.shape == (NUM_JOINTS,):
            scores = scores[None]
    return validate_inputs(keypoints, K, scores, source=str(path))


def _fields(result: Estimate, extra: dict) -> dict:
    fields = {"joints_3d": result.joints_3d, "translation": result.translation}
    if result.hypotheses.shape[1] > 1:
        fields.update(
            hypotheses=result.hypotheses,
            selected=result.selected,
            selection=result.selection,
            reprojection_px=result.reprojection_px,
            prior_residual=result.prior_residual,
        )
    clash = sorted(set(extra) & set(RESULT_FIELDS))
    if clash:
        raise ValueError(f"extra output field(s) {', '.join(clash)} would overwrite result fields")
    for key, value in extra.items():
        arr = np.asarray(value)
        if arr.dtype == object:
            raise ValueError(f"extra output field {key!r} is not a number, string or numeric array")
        fields[key] = arr
    return fields


def save_output(path, result: Estimate, **extra) -> None:
    """Write ``result`` to ``path`` (.npz arrays or .json lists) atomically.

    ``extra`` adds fields (numbers, strings or numeric arrays; e.g. the engine name) beside the
    result's. Raises ValueError for an unknown suffix or unusable extra field; on any failure no
    file is left at ``path`` (an existing one is kept unchanged).
    """
    path = check_output_path(path)
    fields = _fields(result, extra)
    if path.suffix.lower() == ".npz":
        save_npz_atomic(path, **fields)
        return
    doc = {k: np.asarray(v).tolist() for k, v in fields.items()}
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(doc), encoding="utf-8")

"""The files of ``zedo-infer``: 2D keypoints in (zedo's own, or what detectors write), 3D poses out.

Input, one of:

- zedo's ``.npz`` (arrays) or ``.json`` (an object of nested lists; null marks a missing value):
  ``keypoints`` (N, J, 2) px in a layout of ``zedo.runtime.io.layouts`` (a single pose (J, 2) is
  N = 1; (N, J, 3) carries the score last), optional ``scores`` (N, J) in [0, 1], ``K`` (3, 3) or
  (N, 3, 3) or instead ``image_size`` (width, height) px, optional ``layout`` (a name), ``frame``
  and ``track`` (N,) integers, ``fps`` (a video's frame rate, ``io.frame_rate``);
- a folder of OpenPose or MMPose per-frame ``.json`` files (``zedo.runtime.io.folders``), MMPose's
  prediction ``.json`` or AlphaPose's ``alphapose-results.json`` (``zedo.runtime.io.readers``; no
  ``track`` where they carry no person ids); these need ``image_size`` or K from the command line.

Output (``.npz`` or ``.json`` with the same fields as lists): ``joints_3d`` (N, 17, 3) metres in the camera
frame, ``translation`` (N, 3) metres (the pelvis), ``valid`` (N,), ``K`` (N, 3, 3) the intrinsics used,
``layout``, ``noise_px`` and ``starts`` (N,) (``core.result.Estimate``); ``frame`` and ``track`` where the
input had them; with S > 1 hypotheses also ``hypotheses``
(N, S, 17, 3), ``selected`` (N,), ``selection``, ``reprojection_px`` and ``prior_residual`` (N, S).
``write_mmpose_json`` writes MMPose's per-frame shape instead; .csv, .trc, .bvh: ``io.exports``.
Outputs are written atomically: a failed write leaves no file.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import numpy as np

from ..core.result import Estimate
from .atomic import check_writable, save_npz_atomic, write_json_atomic
from .cameras import undistort_fields
from .exports import EXPORT_SUFFIXES, export_joints
from .folders import read_openpose_folder
from .layouts import file_layout, get_layout
from .npz import read_npz
from .numbers import as_numbers, whole_numbers
from .readers import Detections, is_detector_doc, read_detector_json, read_json
from .validation import Inputs, check_placeable, validate_inputs

ARRAY_KEYS = ("keypoints", "K", "scores", "image_size", "frame", "track")
INPUT_KEYS = ARRAY_KEYS + ("layout", "fps")  # fps: read by io.frame_rate (--fps's default)
IGNORED_KEYS = ("joints_3d", "provenance")  # the shipped example's ground truth and origin: read past
SUFFIXES = (".npz", ".json")
# An input's arrays are refused (from the .npz headers, before loading) beyond this: about 3.9 M
# poses of float64 keypoints; the run's peak memory is about 1.3 kB a pose (benchmarks/memory.py).
MAX_INPUT_BYTES = 1 << 30
# The fields of an output: per pose, then the S > 1 hypotheses' own.
POSE_FIELDS = ("joints_3d", "translation", "valid", "K", "layout", "frame", "track", "noise_px", "starts")
RESULT_FIELDS = POSE_FIELDS + ("hypotheses", "selected", "selection", "reprojection_px", "prior_residual")


def _suffix(path: Path, role: str, known=SUFFIXES) -> str:
    suffix = path.suffix.lower()
    if suffix not in known:
        raise ValueError(f"{path}: unknown {role} format {path.suffix or '(no suffix)'!r}; use {', '.join(known)}")
    return suffix


def check_output_path(path, inputs=()) -> Path:
    """Raise ValueError unless ``path`` ends in an output suffix, is not a folder and is none of
    ``inputs``, OSError unless its folder can be written; checked before a long run."""
    path = Path(path)
    _suffix(path, "output", SUFFIXES + EXPORT_SUFFIXES)
    if path.is_dir():
        raise ValueError(f"{path}: output path is a directory")
    if any(Path(i).exists() and path.exists() and path.resolve() == Path(i).resolve() for i in inputs):
        raise ValueError(f"{path}: the output would overwrite the input")
    return check_writable(path)


def _zedo_fields(data: dict, path: Path) -> dict:
    """The fields of zedo's own format, checked for unknown and missing keys and converted."""
    unknown = sorted(set(data) - set(INPUT_KEYS) - set(IGNORED_KEYS))
    if unknown:
        # Strict on purpose: a misspelt "score" would otherwise silently mean all scores 1.
        raise ValueError(f"{path}: unknown key(s) {', '.join(map(repr, unknown))}; expected {', '.join(INPUT_KEYS)}")
    if "keypoints" not in data:
        raise ValueError(
            f"{path}: missing key 'keypoints' (expected keypoints (N, J, 2) pixels and K (3, 3) or image_size)"
        )
    out = {k: None if data.get(k) is None else as_numbers(data[k], str(path), k) for k in ARRAY_KEYS}
    out["layout"] = file_layout(data.get("layout"), str(path))
    return out


def _merge(path: Path, key: str, in_file, given):
    """A setting from the file or the caller; both must agree when both are there."""
    a, b = np.asarray(in_file, dtype=object), np.asarray(given, dtype=object)
    if in_file is not None and given is not None and (a.shape != b.shape or np.any(a != b)):
        raise ValueError(
            f"{path}: the file's {key} {np.asarray(in_file).tolist()} differs from the one given "
            f"({np.asarray(given).tolist()})"
        )
    return given if in_file is None else in_file


def _detections_fields(det: Detections) -> dict:
    fields = dict(keypoints=det.keypoints, scores=det.scores, K=None, image_size=None, frame=det.frame)
    return dict(fields, track=det.track, layout=det.layout)


def _a_path(value, name: str) -> Path:
    """``value`` (a str or os.PathLike) as a Path; ValueError naming the argument ``name`` otherwise."""
    if not isinstance(value, (str, os.PathLike)):
        raise ValueError(f"{name} must be a file name (a str or pathlib.Path), got {type(value).__name__}")
    return Path(value)


def load_input(path, layout=None, image_size=None, K=None, distortion=None) -> Inputs:
    """Read and validate an input (see the module docstring) into ``Inputs`` (prior joint order).

    ``layout``, ``image_size`` and ``K`` come from the caller (the command line) where the file
    lacks them; where both give one they must agree. ``distortion`` (OpenCV's, with K): the file's
    pixel keypoints are undistorted first (``cameras.undistort_fields``).
    Raises FileNotFoundError for a missing path and ValueError naming the file and the field for
    anything else, or when no pose can be placed.
    """
    path, notes = _a_path(path, "path"), ()
    K = None if K is None else as_numbers(K, "", "K")
    if path.is_dir():
        det = read_openpose_folder(path)
        fields = _detections_fields(det)
    else:
        suffix = _suffix(path, "input")
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such input file")
        doc = read_npz(path, "zedo input .npz file", MAX_INPUT_BYTES) if suffix == ".npz" else read_json(path)
        det = read_detector_json(path, doc) if is_detector_doc(doc) else None
        fields = _zedo_fields(doc, path) if det is None else _detections_fields(det)
    if det is not None and det.skipped_frames:
        notes = (f"frames with nobody in them, skipped: {det.skipped_frames}",)
    K = _merge(path, "K", fields["K"], K)
    fields = undistort_fields(fields, K, distortion, str(path))
    inputs = validate_inputs(
        fields["keypoints"],
        K,
        fields["scores"],
        source=str(path),
        layout=_merge(path, "layout", fields["layout"], layout),
        image_size=_merge(path, "image_size", fields["image_size"], image_size),
    )
    if distortion is not None and get_layout(inputs.layout).normalised:
        raise ValueError(f"{path}: layout {inputs.layout} is in [0, 1] image units; a lens is undone on pixels")
    n = len(check_placeable(inputs, str(path)).keypoints)
    frame, track = (
        None if fields[k] is None else whole_numbers(fields[k], n, str(path), k) for k in ("frame", "track")
    )
    return replace(inputs, frame=frame, track=track, notes=notes + inputs.notes)


def _fields(result: Estimate, inputs: Inputs | None, extra: dict) -> dict:
    fields = {
        "joints_3d": result.joints_3d,
        "translation": result.translation,
        "valid": result.valid,
        "K": result.K,
        "layout": result.layout,
    }
    fields.update({k: getattr(result, k) for k in ("noise_px", "starts") if getattr(result, k) is not None})
    for key in ("frame", "track"):
        if inputs is not None and getattr(inputs, key) is not None:
            fields[key] = getattr(inputs, key)
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


def save_output(path, result: Estimate, inputs: Inputs | None = None, **extra) -> list[Path] | None:
    """Write ``result`` to ``path`` atomically: .npz arrays or .json lists (.csv, .trc, .bvh: ``io.exports``).
    ``inputs`` adds their ``frame`` and ``track`` indices; ``extra`` adds fields (numbers, strings or numeric
    arrays; e.g. the engine name) beside the result's. ValueError for an unknown suffix or unusable extra
    field; on any failure no file is left (an existing one is kept unchanged). An export: its files."""
    if not isinstance(result, Estimate):
        raise ValueError(f"result must be an Estimate, got {type(result).__name__}")
    if inputs is not None and not (hasattr(inputs, "frame") and hasattr(inputs, "track")):
        raise ValueError(f"inputs must be Inputs (their frame and track are written), got {type(inputs).__name__}")
    path = check_output_path(_a_path(path, "path"))
    if path.suffix.lower() in EXPORT_SUFFIXES:
        return export_joints(path, result.joints_3d, inputs, **extra)
    fields = _fields(result, inputs, extra)
    if path.suffix.lower() == ".npz":
        save_npz_atomic(path, **fields)
        return
    write_json_atomic(path, {k: np.asarray(v).tolist() for k, v in fields.items()})


def write_mmpose_json(path, result: Estimate, inputs: Inputs | None = None) -> None:
    """Write MMPose's per-frame shape: ``[{"frame_id", "instances": [{"keypoints_3d" (17, 3) metres,
    camera frame, "track_id", "valid"}]}]``, one entry per frame in order; atomically."""
    path = Path(path)
    if path.suffix.lower() != ".json":
        raise ValueError(f"{path}: the mmpose output format is JSON; name a .json file")
    n = len(result.joints_3d)
    frame = np.arange(n) if inputs is None or inputs.frame is None else inputs.frame
    track = np.zeros(n, np.int64) if inputs is None or inputs.track is None else inputs.track
    frames: dict[int, list] = {}
    for i in range(n):
        inst = {"keypoints_3d": result.joints_3d[i].tolist(), "track_id": int(track[i]), "valid": bool(result.valid[i])}
        frames.setdefault(int(frame[i]), []).append(inst)
    write_json_atomic(path, [{"frame_id": f, "instances": frames[f]} for f in sorted(frames)])

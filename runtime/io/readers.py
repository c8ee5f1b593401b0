"""Readers for the files 2D detectors write: MMPose's prediction JSON and AlphaPose's result JSON
(folders of files: ``zedo.runtime.io.folders``). Each returns ``Detections``: one row per (frame,
person).

Units: keypoints in pixels as the detector wrote them. Several people in a frame are several rows;
``frame`` is the frame's index (OpenPose: from its file's name; MMPose: ``frame_id``; AlphaPose: the
rank of its ``image_id`` in order of appearance) and ``track`` the person's id where the file has
one for every person (MMPose ``track_id``, AlphaPose ``idx`` as a number or a list such as
``[1.0]``, OpenPose ``person_id`` >= 0), else None: "no ids", never an id invented from the
person's place in the file (the video mode tracks such people itself, ``zedo.runtime.video.tracker``).
A frame with nobody in it is skipped and counted, never an error. Ids and frame indices are whole
numbers below 2^53 (``io.numbers.whole_number``); MMPose's ``frame_id`` increase from entry to
entry, and two people of a frame never share a ``track_id`` (AlphaPose's shared ``idx``, what it
writes without its tracker, is "no ids"); the rest is refused naming the file and the field.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from .numbers import as_numbers, whole_number


@dataclass(frozen=True)
class Detections:
    """What a detector file holds, flattened to rows."""

    keypoints: np.ndarray  # (N, J, 2) pixels
    scores: np.ndarray  # (N, J) detector confidences
    frame: np.ndarray  # (N,) int frame index
    track: np.ndarray | None  # (N,) int person id; None where the file has no ids
    layout: str | None  # the layout the format implies, None to infer it from J
    skipped_frames: int  # frames with nobody in them


# Parsed JSON takes several times its size in memory (a Python object per number): larger files
# are refused before reading (about 400 k poses of zedo's JSON; .npz carries more).
MAX_JSON_BYTES = 256 << 20


def read_json(path: Path, limit: int = MAX_JSON_BYTES):
    """The parsed JSON document at ``path``; ValueError naming the file when it is unreadable or
    larger than ``limit`` bytes."""
    try:
        size = path.stat().st_size
        if size > limit:
            raise ValueError(
                f"{path}: {size / 2**20:.0f} MiB of JSON is more than the {limit / 2**20:.0f} MiB zedo reads as JSON; "
                "split it, or give zedo's .npz"
            )
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise ValueError(
            f"{path}: not a readable .json file ({' '.join(str(e).split())[:200] or type(e).__name__})"
        ) from None


def _flat_xys(values, path: Path, what: str) -> np.ndarray:
    """A flat [x, y, score, ...] list -> (J, 3); ValueError naming the file and field otherwise."""
    arr = as_numbers(values, str(path), what)
    if arr.ndim != 1 or len(arr) == 0 or len(arr) % 3:
        raise ValueError(f"{path}: {what} must be a flat list of x, y, score triples, got {np.shape(values)} values")
    return arr.reshape(-1, 3)


def _rows(rows: list, path: Path, skipped: int, layout: str | None, id_name: str | None = None) -> Detections:
    """Stack (frame, track, (J, 3)) rows into Detections; every row must have the same J. A track
    of None (a person without an id) makes ``track`` None; so does an id given twice in one frame
    where ``id_name`` is None (AlphaPose writes idx 0 for everyone without its tracker), else that
    is a ValueError naming ``id_name``."""
    if not rows:
        raise ValueError(f"{path}: no people in any of its frames ({skipped} frames)")
    counts = {len(r[2]) for r in rows}
    if len(counts) > 1:
        raise ValueError(f"{path}: people have different keypoint counts {sorted(counts)}")
    xys = np.stack([r[2] for r in rows])
    frame = np.array([r[0] for r in rows], dtype=np.int64)
    ids = [r[1] for r in rows]
    track = None if any(i is None for i in ids) else np.array(ids, dtype=np.int64)
    pairs = [(r[0], r[1]) for r in rows]
    if track is not None and len(set(pairs)) < len(pairs):
        if id_name is not None:
            f, i = _first_repeat(pairs)
            raise ValueError(f"{path}: frame {f} has two people with {id_name} {i}; ids must differ within a frame")
        track = None
    return Detections(xys[..., :2], np.clip(xys[..., 2], 0.0, 1.0), frame, track, layout, skipped)


def _first_repeat(pairs: list[tuple]):
    """The first of ``pairs`` that an earlier one equals (None where all differ)."""
    seen: set = set()
    for pair in pairs:
        if pair in seen:
            return pair
        seen.add(pair)
    return None


def _whole(value, path: Path, where: str) -> int:
    """A frame index or track id as written in a detector file: a whole number (3 or 3.0) in
    [0, 2^53), never a boolean or string; ValueError naming the file and field otherwise."""
    return whole_number(value, str(path), where)


def _mmpose_instance(inst, path: Path, where: str) -> np.ndarray:
    if not isinstance(inst, dict) or "keypoints" not in inst:
        raise ValueError(f"{path}: {where} has no keypoints")
    kp = as_numbers(inst["keypoints"], str(path), f"{where}.keypoints")
    sc = (
        as_numbers(inst["keypoint_scores"], str(path), f"{where}.keypoint_scores")
        if "keypoint_scores" in inst
        else np.ones(len(kp))
    )
    if kp.ndim != 2 or kp.shape[1] != 2 or sc.shape != (len(kp),):
        raise ValueError(
            f"{path}: {where}.keypoints has shape {kp.shape} and keypoint_scores {sc.shape}, expected (J, 2) and (J,)"
        )
    return np.concatenate([kp, sc[:, None]], axis=1)


def _coco_if_17(det: Detections) -> Detections:
    """Seventeen keypoints from MMPose or AlphaPose are COCO's order (their body models), never Human3.6M's."""
    return replace(det, layout="coco17") if det.keypoints.shape[1] == 17 else det


def read_mmpose_json(path, doc=None) -> Detections:
    """MMPose's ``pred_out_dir`` JSON: for a video a list of ``{"frame_id", "instances": [...]}``, for
    an image a list of instances; each instance has ``keypoints`` (J, 2), ``keypoint_scores`` (J,)
    and, when tracked, ``track_id``. ``doc``: the parsed file, if read already."""
    path = Path(path)
    doc = read_json(path) if doc is None else doc
    if not isinstance(doc, list) or not all(isinstance(d, dict) for d in doc):
        raise ValueError(
            f"{path}: expected a JSON object (zedo's input) or a detector's list of objects (MMPose, AlphaPose)"
        )
    frames = doc if all(isinstance(d, dict) and "instances" in d for d in doc) else [{"frame_id": 0, "instances": doc}]
    rows, skipped, last = [], 0, -1
    for k, fr in enumerate(frames):
        instances = fr.get("instances")
        if not isinstance(instances, list):
            raise ValueError(f"{path}: frame {k} has no instances list")
        skipped += not instances
        frame = _whole(fr.get("frame_id", k), path, f"frame {k} frame_id")
        if frame <= last:
            what = "repeats the one before" if frame == last else f"comes after frame_id {last}"
            raise ValueError(f"{path}: frame {k} frame_id {frame} {what}; frames must come in increasing order")
        last = frame
        for i, inst in enumerate(instances):
            where = f"frame {frame} instance {i}"
            xys = _mmpose_instance(inst, path, where)
            tid = inst.get("track_id")
            rows.append((frame, None if tid is None else _whole(tid, path, f"{where} track_id"), xys))
    return _coco_if_17(_rows(rows, path, skipped, None, "track_id"))


def read_alphapose_json(path, doc=None) -> Detections:
    """AlphaPose's ``alphapose-results.json``: a list of ``{"image_id", "keypoints": [x, y, s, ...],
    "score", "idx" (when tracked)}``, Halpe-26 for its default model (the count decides the layout).
    ``doc``: the parsed file, if read already."""
    path = Path(path)
    doc = read_json(path) if doc is None else doc
    if not isinstance(doc, list) or not all(isinstance(d, dict) for d in doc):
        raise ValueError(
            f"{path}: not an AlphaPose result file (expected a list of objects with image_id and keypoints)"
        )
    for i, d in enumerate(doc):
        missing = [key for key in ("image_id", "keypoints") if key not in d]
        if missing:
            raise ValueError(
                f"{path}: item {i} has no {' and no '.join(missing)} (AlphaPose writes both for each person)"
            )
    order: dict = {}
    rows = []
    for i, d in enumerate(doc):
        if not isinstance(d["image_id"], (str, int, float)) or isinstance(d["image_id"], bool):
            raise ValueError(f"{path}: item {i} image_id must be a name or a number, got {d['image_id']!r}")
        f = order.setdefault(d["image_id"], len(order))
        rows.append((f, _alphapose_idx(d.get("idx"), path, i), _flat_xys(d["keypoints"], path, f"item {i} keypoints")))
    return _coco_if_17(_rows(rows, path, 0, None))


def _alphapose_idx(idx, path: Path, i: int) -> int | None:
    """AlphaPose's person id: a number, or (its tracker's) a list whose first entry is the id, as
    ``[1.0]`` or ``[[1.0]]``; None where absent or negative."""
    while isinstance(idx, list):
        idx = idx[0] if idx else None
    if idx is None:
        return None
    idx = whole_number(idx, str(path), f"item {i} idx", low=-(2**53))
    return idx if idx >= 0 else None


def is_detector_doc(doc) -> bool:
    """Whether a parsed input is a detector's: a JSON list, or the object MMPose's demos write
    (``{"meta_info", "instance_info"}``); zedo's own input is any other object."""
    return isinstance(doc, list) or (isinstance(doc, dict) and "instance_info" in doc)


def read_detector_json(path, doc) -> Detections:
    """A parsed detector document (``is_detector_doc``): AlphaPose's list (objects with
    ``image_id``), MMPose's list, or MMPose's demo object (its ``instance_info`` list)."""
    doc = doc["instance_info"] if isinstance(doc, dict) else doc
    if isinstance(doc, list) and any(isinstance(d, dict) and "image_id" in d for d in doc):
        return read_alphapose_json(path, doc)
    return read_mmpose_json(path, doc)

"""Folders of per-frame detector files, read into ``readers.Detections``: OpenPose's
``--write_json`` folder (``*_keypoints.json``, or any ``*.json`` with OpenPose's ``people`` list, as
Pose2Sim renames them: ``cam01.0000.json``) and a folder of MMPose per-image JSON files (each a
list of instances, or MMPose's demo object with ``instance_info``).

Frames follow the numbers in the file names (natural order: ``f2`` before ``f10``); a frame's index
is the last number in its name where every name has a different one (so a missing file is a gap
in time), else its rank. OpenPose's layout is left to the keypoint count and the BODY_25/BODY_25B
guard of ``zedo.runtime.io.validation``; its ``person_id`` is a track id only where every person
has one >= 0 (OpenPose writes -1 without its tracker); two people with one id in a frame, or an
id that is not a whole number below 2^53, are refused naming the file.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import numpy as np

from .numbers import whole_number
from .readers import Detections, _flat_xys, _rows, is_detector_doc, read_detector_json, read_json


def natural_key(path: Path) -> tuple:
    """A sort key for file names in which runs of digits compare as numbers."""
    return tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", path.name))


def frame_files(folder: Path) -> tuple[list[Path], list[int]]:
    """The frame files of ``folder`` (``*_keypoints.json`` if any, else every ``*.json``) in
    natural order, and each one's frame index (see the module docstring)."""
    files = sorted(folder.glob("*_keypoints.json")) or sorted(folder.glob("*.json"))
    files.sort(key=natural_key)
    numbers = [re.findall(r"\d+", f.name.removesuffix("_keypoints.json").removesuffix(".json")) for f in files]
    last = [int(n[-1]) if n else None for n in numbers]
    if None not in last and len(set(last)) == len(last) and last == sorted(last):
        return files, last
    return files, list(range(len(files)))


def _person_id(person: dict, path: Path, p_index: int) -> int | None:
    """A person's OpenPose ``person_id`` (a number or a one-number list): None where absent or
    negative (OpenPose writes -1 without its tracker); ValueError naming the file and the field for
    what is not a whole number below 2^53."""
    pid = person.get("person_id", -1)
    pid = (pid or [-1])[0] if isinstance(pid, list) and len(pid) <= 1 else pid
    pid = whole_number(pid, str(path), f"people[{p_index}].person_id", low=-(2**53))
    return pid if pid >= 0 else None


def _openpose_people(doc, path: Path, frame: int, rows: list) -> bool:
    """Add the people of one OpenPose frame to ``rows``; whether it had nobody. ValueError naming
    the file for two people with one ``person_id``."""
    people = doc.get("people") if isinstance(doc, dict) else None
    if not isinstance(people, list):
        raise ValueError(f"{path}: not an OpenPose frame (no 'people' list)")
    ids: set[int] = set()
    for p_index, person in enumerate(people):
        if not isinstance(person, dict) or "pose_keypoints_2d" not in person:
            raise ValueError(f"{path}: people[{p_index}] has no pose_keypoints_2d")
        xys = _flat_xys(person["pose_keypoints_2d"], path, f"people[{p_index}].pose_keypoints_2d")
        pid = _person_id(person, path, p_index)
        if pid is not None and pid in ids:
            raise ValueError(f"{path}: people[{p_index}].person_id {pid} is another person's in this frame")
        ids.add(pid)
        rows.append((frame, pid, xys))
    return not people


def _mmpose_folder(folder: Path, files: list[Path], frames: list[int]) -> Detections:
    """A folder of MMPose per-image files, frame by frame."""
    parts, skipped = [], 0
    for path, frame in zip(files, frames):
        doc = read_json(path)
        if not isinstance(doc, (list, dict)) or not is_detector_doc(doc):
            raise ValueError(f"{path}: not an MMPose prediction file like the folder's first (a list of instances)")
        if not doc or (isinstance(doc, dict) and not doc["instance_info"]):
            skipped += 1
            continue
        det = read_detector_json(path, doc)
        parts.append(replace(det, frame=np.full(len(det.frame), frame)))
    if not parts:
        raise ValueError(f"{folder}: no people in any of its frames ({skipped} frames)")
    if len({p.keypoints.shape[1] for p in parts}) > 1:
        raise ValueError(f"{folder}: people have different keypoint counts in different files")
    track = None if any(p.track is None for p in parts) else np.concatenate([p.track for p in parts])
    return Detections(
        np.concatenate([p.keypoints for p in parts]),
        np.concatenate([p.scores for p in parts]),
        np.concatenate([p.frame for p in parts]),
        track,
        parts[0].layout,
        skipped + sum(p.skipped_frames for p in parts),
    )


def read_openpose_folder(folder) -> Detections:
    """A folder of per-frame files (see the module docstring): OpenPose's, each person's
    ``pose_keypoints_2d`` a flat x, y, confidence list, or MMPose's per-image files."""
    folder = Path(folder)
    files, frames = frame_files(folder)
    if not files:
        raise ValueError(f"{folder}: no OpenPose *_keypoints.json files or other .json frame files in this folder")
    first = read_json(files[0])
    if is_detector_doc(first):
        return _mmpose_folder(folder, files, frames)
    rows: list = []
    skipped = sum(
        _openpose_people(read_json(path) if k else first, path, frame, rows)
        for k, (path, frame) in enumerate(zip(files, frames))
    )
    return _rows(rows, folder, skipped, None)

"""Human3.6M video clips: consecutive frames of one subject, for the stream mode and time metrics.

Clip k is the k-th take of the subject (actions in sorted order, so each action and its second take
once), seen by camera ``CAMERA_IDS[k % 4]``: ``frames`` frames ``stride`` apart from the middle of
the take (Human3.6M is 50 fps; stride 2 gives 25 fps, a webcam's rate). Tracks as ``evalset``; a
clip with an absent detection in any of its frames is dropped whole (a clip must stay consecutive).
Truth in camera-frame metres, keypoints in pixels.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from zedo.datasets.h36m import CAMERA_IDS, CAMERAS_FILE, DETECTIONS_FILE, POSITIONS_FILE, iter_takes, load_cameras, load_detections, load_positions
from zedo.runtime.geometry import project
from zedo.runtime.skeleton import NUM_JOINTS

from .evalset import TRACKS, EvalSet, _camera_detections, detected_track


@dataclass(frozen=True)
class ClipSet:
    """M poses in clips: ``data`` row i is frame ``frame[i]`` of clip ``clip[i]``, rows in clip then frame order."""

    data: EvalSet
    clip: np.ndarray  # (M,) int clip index
    frame: np.ndarray  # (M,) int frame index within the clip (0, 1, ...), consecutive
    names: tuple[str, ...]  # per clip: "action camera"

    def clips(self):
        """Yield (clip index, rows (F,) of that clip in frame order)."""
        for c in np.unique(self.clip):
            yield int(c), np.flatnonzero(self.clip == c)


def load_h36m_clips(data_dir, subject: str = "S9", frames: int = 75, stride: int = 2, track: str = "gt") -> ClipSet:
    """The clips of ``subject`` (see the module docstring); ValueError naming the argument or file."""
    if track not in TRACKS:
        raise ValueError(f"track must be 'gt' or 'detected', got {track!r}")
    for name, value in (("frames", frames), ("stride", stride)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a whole number >= 1, got {value!r}")
    data_dir = Path(data_dir)
    positions = load_positions(data_dir / POSITIONS_FILE)
    cameras = load_cameras(data_dir / CAMERAS_FILE)
    detections = load_detections(data_dir / DETECTIONS_FILE, subject) if track == "detected" else None
    takes = [t for t in iter_takes(positions, cameras, [subject], data_dir / POSITIONS_FILE)]
    by_action = sorted({action for _, action, *_ in takes})
    parts, names, dropped = [], [], 0
    for k, action in enumerate(by_action):
        cam_id = CAMERA_IDS[k % len(CAMERA_IDS)]
        _, _, _, cam, joints = next(t for t in takes if t[1] == action and t[2] == cam_id)
        span = (frames - 1) * stride + 1
        if len(joints) < span:
            raise ValueError(f"{subject} {action} has {len(joints)} frames; a clip needs {span}")
        rows = (len(joints) - span) // 2 + stride * np.arange(frames)
        if detections is None:
            kp, sc, ok = project(joints[rows], cam.K), np.ones((frames, NUM_JOINTS)), np.ones(frames, bool)
        else:
            kp, sc, ok = detected_track(_camera_detections(detections, data_dir / DETECTIONS_FILE, action, cam_id, len(joints))[rows])
        if not ok.all():
            dropped += frames
            continue
        parts.append((joints[rows], kp, sc, np.broadcast_to(cam.K, (frames, 3, 3)), len(names)))
        names.append(f"{action} {cam_id}")
    data = EvalSet(
        np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]), np.concatenate([p[2] for p in parts]),
        np.concatenate([p[3] for p in parts]), np.repeat([n.rsplit(" ", 1)[0].split(" ")[0] for n in names], frames), dropped,
    )
    clip = np.repeat(np.arange(len(names)), frames)
    return ClipSet(data, clip, np.tile(np.arange(frames), len(names)), tuple(names))

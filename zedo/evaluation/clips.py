"""Human3.6M video clips: consecutive frames of one subject, for the stream mode and time metrics.

Clip k is the k-th take of the subject (actions in sorted order, so each action and its second take
once), seen by camera ``CAMERA_IDS[k % 4]``: ``frames`` frames ``stride`` apart from the middle of
the take (Human3.6M is 50 fps; stride 2 gives 25 fps, a webcam's rate). Tracks as ``evalset``; a
clip with an absent detection in any of its frames is dropped whole (a clip must stay consecutive).
Truth in camera-frame metres, keypoints in pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from zedo.datasets.h36m import CAMERA_IDS

from .evalset import EvalSet, subject_takes


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
    for name, value in (("frames", frames), ("stride", stride)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a whole number >= 1, got {value!r}")
    takes = list(subject_takes(data_dir, subject, track))
    parts, names, dropped = [], [], 0
    for k, action in enumerate(sorted({t[0] for t in takes})):
        cam_id = CAMERA_IDS[k % len(CAMERA_IDS)]
        _, _, cam, joints, two_d = next(t for t in takes if t[0] == action and t[1] == cam_id)
        span = (frames - 1) * stride + 1
        if len(joints) < span:
            raise ValueError(f"{subject} {action} has {len(joints)} frames; a clip needs {span}")
        rows = (len(joints) - span) // 2 + stride * np.arange(frames)
        kp, sc, ok = two_d(rows)
        if not ok.all():
            dropped += frames
            continue
        parts.append((joints[rows], kp, sc, np.broadcast_to(cam.K, (frames, 3, 3))))
        names.append(f"{action} {cam_id}")
    data = EvalSet(
        *(np.concatenate([p[i] for p in parts]) for i in range(4)),
        np.repeat([n.split(" ")[0] for n in names], frames),
        dropped,
    )
    return ClipSet(data, np.repeat(np.arange(len(names)), frames), np.tile(np.arange(frames), len(names)), tuple(names))

"""Keypoint layouts as data: which joints a detector or dataset gives, in which order, and the
table of known layouts (``LAYOUTS``), each mapped onto the 17 Human3.6M joints the prior knows by
the rules of ``zedo.runtime.io.layout_rules``; and the guards that tell COCO's order from
Human3.6M's (both 17 keypoints) and OpenPose's BODY_25B from BODY_25 (both 25). Keypoints are
(N, J, 2) pixels, scores (N, J) in [0, 1]. Left and right are the subject's own, as in every
layout below.
"""

from __future__ import annotations

import numpy as np

from ..core.skeleton import JOINT_NAMES, NUM_JOINTS
from .layout_rules import Layout, coco_like, named, point

COCO17_NAMES = (
    "nose",
    "left_eye",
    "right_eye",
    "left_ear",
    "right_ear",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
)
FEET6 = ("left_big_toe", "left_small_toe", "left_heel", "right_big_toe", "right_small_toe", "right_heel")
HALPE26_NAMES = COCO17_NAMES + (
    "head",
    "neck",
    "hip",
    "left_big_toe",
    "right_big_toe",
    "left_small_toe",
    "right_small_toe",
    "left_heel",
    "right_heel",
)
WHOLEBODY133_NAMES = (
    COCO17_NAMES
    + FEET6
    + tuple(f"face_{i}" for i in range(68))
    + tuple(f"left_hand_{i}" for i in range(21))
    + tuple(f"right_hand_{i}" for i in range(21))
)
OPENPOSE25_NAMES = (
    "nose",
    "neck",
    "right_shoulder",
    "right_elbow",
    "right_wrist",
    "left_shoulder",
    "left_elbow",
    "left_wrist",
    "mid_hip",
    "right_hip",
    "right_knee",
    "right_ankle",
    "left_hip",
    "left_knee",
    "left_ankle",
    "right_eye",
    "left_eye",
    "right_ear",
    "left_ear",
    "left_big_toe",
    "left_small_toe",
    "left_heel",
    "right_big_toe",
    "right_small_toe",
    "right_heel",
)
# OpenPose's experimental BODY_25B (openpose_train; Pose2Sim's skeleton BODY_25B): COCO's 17 in COCO's
# order, then the upper neck, the top of the head and the feet.
OPENPOSE25B_NAMES = COCO17_NAMES + ("upper_neck", "head_top") + FEET6
MEDIAPIPE33_NAMES = (
    "nose",
    "left_eye_inner",
    "left_eye",
    "left_eye_outer",
    "right_eye_inner",
    "right_eye",
    "right_eye_outer",
    "left_ear",
    "right_ear",
    "mouth_left",
    "mouth_right",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_pinky",
    "right_pinky",
    "left_index",
    "right_index",
    "left_thumb",
    "right_thumb",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
    "left_heel",
    "right_heel",
    "left_foot_index",
    "right_foot_index",
)

# Human3.6M's 17-joint layout is the prior's own.
H36M17 = Layout(
    "h36m17",
    JOINT_NAMES,
    tuple(point(j) for j in range(NUM_JOINTS)),
    used_by="Human3.6M, VideoPose3D, MotionBERT, zedo",
)
# The 32-joint motion-capture layout of Human3.6M (VideoPose3D ``positions_3d``): its 17 joints.
H36M32_TO_17: tuple[int, ...] = (0, 1, 2, 3, 6, 7, 8, 12, 13, 14, 15, 17, 18, 19, 25, 26, 27)

LAYOUTS: dict[str, Layout] = {
    layout.name: layout
    for layout in (
        H36M17,
        coco_like("coco17", COCO17_NAMES, "RTMPose (rtmlib, MMPose), YOLO-pose (ultralytics), ViTPose, Detectron2"),
        named(
            "halpe26",
            HALPE26_NAMES,
            {"pelvis": "hip", "thorax": "neck", "head": "head"},
            "AlphaPose, RTMPose Halpe models",
        ),
        coco_like("coco_wholebody133", WHOLEBODY133_NAMES, "RTMW / DWPose (rtmlib, MMPose wholebody models)"),
        named("openpose25", OPENPOSE25_NAMES, {"pelvis": "mid_hip", "thorax": "neck"}, "OpenPose BODY_25"),
        coco_like("openpose25b", OPENPOSE25B_NAMES, "OpenPose BODY_25B (experimental models), Pose2Sim"),
        coco_like(
            "mediapipe33", MEDIAPIPE33_NAMES, "MediaPipe Pose (BlazePose), coordinates in [0, 1]", normalised=True
        ),
        # The same joints in pixels: what zedo's own mediapipe detector gives (zedo.runtime.detect),
        # so its output reaches the lifter unscaled. After mediapipe33: 33 keypoints without a
        # layout are still read as MediaPipe's own [0, 1] files.
        coco_like("mediapipe33_px", MEDIAPIPE33_NAMES, "zedo's mediapipe detector (BlazePose), coordinates in pixels"),
    )
}


def get_layout(name: str) -> Layout:
    """The layout called ``name``; ValueError listing the known ones otherwise."""
    if name not in LAYOUTS:
        raise ValueError(f"unknown keypoint layout {name!r}; known layouts: {', '.join(LAYOUTS)}")
    return LAYOUTS[name]


def layouts_with(count: int) -> list[str]:
    """Names of the layouts with ``count`` keypoints."""
    return [name for name, layout in LAYOUTS.items() if len(layout.joint_names) == count]


def _face_near_nose(keypoints, scores) -> bool:
    """Whether, in most poses with keypoints 0-4 observed (and some extent), keypoints 1-4 lie within
    0.2 of the pose's extent from keypoint 0: eyes and ears around the nose, as COCO's order has them."""
    kp, sc = np.asarray(keypoints, dtype=np.float64), np.asarray(scores, dtype=np.float64)
    seen = (sc > 0) & np.isfinite(kp).all(-1)
    lo = np.where(seen[..., None], kp, np.inf).min(1)
    hi = np.where(seen[..., None], kp, -np.inf).max(1)
    extent = (hi - lo).max(-1)
    usable = seen[:, :5].all(-1) & (seen.sum(-1) >= 8) & (extent > 1e-6)
    if not usable.any():
        return False
    spread = np.linalg.norm(kp[usable, 1:5] - kp[usable, :1], axis=-1).max(-1)
    return bool(np.mean(spread < 0.2 * extent[usable]) > 0.5)


def looks_like_coco(keypoints, scores) -> bool:
    """Whether (N, 17, 2) keypoints given as Human3.6M look like COCO's order instead: in COCO,
    keypoints 1-4 are the eyes and ears, within a small fraction of the body's size from keypoint 0
    (the nose); in Human3.6M they are the right leg and left hip, which reach to the ankle. True
    when most poses with keypoints 0-4 observed (and some extent: keypoints all at one pixel tell
    nothing) have them within 0.2 of the pose's extent."""
    return _face_near_nose(keypoints, scores)


def looks_like_body25b(keypoints, scores) -> bool:
    """Whether (N, 25, 2) keypoints are OpenPose's BODY_25B rather than BODY_25: in BODY_25B
    keypoints 1-4 are the eyes and ears beside the nose (keypoint 0); in BODY_25 they are the neck
    and the right arm (shoulder, elbow, wrist), which reach well away from it. The same test as
    ``looks_like_coco``."""
    return _face_near_nose(keypoints, scores)


def file_layout(value, source: str) -> str | None:
    """The known layout named by ``value`` (a file's ``layout`` field or a caller's: a string, bytes
    of ASCII text, or a 0-d array of either); None for None. ValueError naming ``source`` for
    anything else or an unknown name."""
    if value is None:
        return None
    name = np.asarray(value)
    if name.ndim != 0 or name.dtype.kind not in "US":
        raise ValueError(f"{source}: layout must be one layout name (a string), got {name.tolist()!r}")
    name = name.item()
    if isinstance(name, bytes):
        name = name.decode("ascii", errors="replace")
    if name not in LAYOUTS:
        raise ValueError(f"{source}: layout {name!r} is not a known keypoint layout; known: {', '.join(LAYOUTS)}")
    return name

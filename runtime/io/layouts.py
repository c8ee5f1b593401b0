"""Keypoint layouts as data: which joints a detector or dataset gives, and how they map onto the
17 Human3.6M joints the prior knows (``zedo.runtime.core.skeleton.JOINT_NAMES``).

Each prior joint is an affine combination of the layout's keypoints, ``((index, weight), ...)``
with weights summing to 1 (one pair: the keypoint itself), or ``()`` where the layout has no rule
for it: that joint then enters as missing (score 0). A synthesised joint's score is the smallest
score of the keypoints it is made from. The rules for joints a layout lacks (pelvis, thorax, spine,
head) were fitted on Human3.6M's training subjects (docs/decisions.md, "Synthesised joints").
Left and right are the subject's own, as in every layout below.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core.skeleton import JOINT_NAMES, NUM_JOINTS

Rule = tuple[tuple[int, float], ...]

# Fitted on Human3.6M S1, S5, S6, S7, S8 (every 50th frame, 4 cameras, projected ground truth), as
# fractions of the torso vector (mid-shoulders minus mid-hips): see docs/decisions.md.
THORAX_ABOVE_SHOULDERS = 0.130
SPINE_ALONG_TORSO = 0.543
HEAD_ABOVE_NOSE = 0.233
SPINE_ALONG_PELVIS_THORAX = 0.480


def point(i: int) -> Rule:
    return ((i, 1.0),)


def mid(a: int, b: int) -> Rule:
    return ((a, 0.5), (b, 0.5))


def _torso(base: Rule, k: float, shoulders: tuple[int, int], hips: tuple[int, int]) -> Rule:
    """base + k (mid(shoulders) - mid(hips)), as one affine rule."""
    terms = list(base) + [(s, 0.5 * k) for s in shoulders] + [(h, -0.5 * k) for h in hips]
    return tuple(terms)


@dataclass(frozen=True)
class Layout:
    """A keypoint layout: its joint names in order, how each prior joint is made from them, and
    whether its coordinates are normalised to [0, 1] of the image (MediaPipe)."""

    name: str
    joint_names: tuple[str, ...]
    to_h36m: tuple[Rule, ...]  # (17,) one rule per prior joint, () if the layout cannot give it
    normalised: bool = False
    used_by: str = ""

    def __post_init__(self):
        J = len(self.joint_names)
        if len(self.to_h36m) != NUM_JOINTS or any(not 0 <= i < J for rule in self.to_h36m for i, _ in rule):
            raise ValueError(f"layout {self.name!r}: to_h36m must give {NUM_JOINTS} rules over its {J} joints")
        if any(rule and abs(sum(w for _, w in rule) - 1.0) > 1e-9 for rule in self.to_h36m):
            raise ValueError(f"layout {self.name!r}: each rule's weights must sum to 1")

    def to_prior(self, keypoints, scores):
        """Keypoints (N, J, 2) and scores (N, J) of this layout -> (N, 17, 2) px and (N, 17) in the
        prior's order. A joint without a rule, or whose sources include a missing keypoint (score 0
        or not finite), gets NaN and score 0."""
        kp, sc = np.asarray(keypoints, dtype=np.float64), np.asarray(scores, dtype=np.float64)
        observed = (sc > 0) & np.isfinite(kp).all(-1)
        out_kp = np.full(kp.shape[:1] + (NUM_JOINTS, 2), np.nan)
        out_sc = np.zeros(kp.shape[:1] + (NUM_JOINTS,))
        for j, rule in enumerate(self.to_h36m):
            if not rule:
                continue
            idx = [i for i, _ in rule]
            ok = observed[:, idx].all(-1)
            w = np.array([w for _, w in rule])
            vals = np.einsum("k,nkc->nc", w, np.where(observed[:, idx, None], kp[:, idx], 0.0))
            out_kp[:, j] = np.where(ok[:, None], vals, np.nan)
            out_sc[:, j] = np.where(ok, sc[:, idx].min(-1), 0.0)
        return out_kp, out_sc

    def from_prior(self, keypoints, scores):
        """The inverse on the joints this layout shares with the prior: (N, 17, 2) and (N, 17) in the
        prior's order -> (N, J, 2) and (N, J); the layout's other joints get NaN and score 0. For
        writing ground truth as a detector would (eyes, ears, toes absent)."""
        kp, sc = np.asarray(keypoints, dtype=np.float64), np.asarray(scores, dtype=np.float64)
        J = len(self.joint_names)
        out_kp, out_sc = np.full(kp.shape[:1] + (J, 2), np.nan), np.zeros(kp.shape[:1] + (J,))
        for j, rule in enumerate(self.to_h36m):
            if len(rule) == 1:
                out_kp[:, rule[0][0]], out_sc[:, rule[0][0]] = kp[:, j], sc[:, j]
        return out_kp, out_sc


def _coco_like(name: str, names: tuple[str, ...], used_by: str, normalised: bool = False) -> Layout:
    """A layout with COCO's body joints (nose, shoulders, elbows, wrists, hips, knees, ankles) found by
    name; pelvis, thorax, spine and head synthesised by the fitted rules above."""
    ix = {n: i for i, n in enumerate(names)}
    sh, hp = (ix["left_shoulder"], ix["right_shoulder"]), (ix["left_hip"], ix["right_hip"])
    pelvis = mid(*hp)
    rules = {
        "pelvis": pelvis,
        "r_hip": point(ix["right_hip"]),
        "r_knee": point(ix["right_knee"]),
        "r_ankle": point(ix["right_ankle"]),
        "l_hip": point(ix["left_hip"]),
        "l_knee": point(ix["left_knee"]),
        "l_ankle": point(ix["left_ankle"]),
        "spine": _torso(pelvis, SPINE_ALONG_TORSO, sh, hp),
        "thorax": _torso(mid(*sh), THORAX_ABOVE_SHOULDERS, sh, hp),
        "neck_nose": point(ix["nose"]),
        "head": _torso(point(ix["nose"]), HEAD_ABOVE_NOSE, sh, hp),
        "l_shoulder": point(ix["left_shoulder"]),
        "l_elbow": point(ix["left_elbow"]),
        "l_wrist": point(ix["left_wrist"]),
        "r_shoulder": point(ix["right_shoulder"]),
        "r_elbow": point(ix["right_elbow"]),
        "r_wrist": point(ix["right_wrist"]),
    }
    return Layout(name, names, tuple(rules[j] for j in JOINT_NAMES), normalised, used_by)


def _named(name: str, names: tuple[str, ...], given: dict[str, str], used_by: str) -> Layout:
    """A layout that names its own pelvis and thorax (``given``: prior joint -> layout joint); the
    spine is synthesised between them and the head, where not given, from the nose and torso."""
    ix = {n: i for i, n in enumerate(names)}
    base = _coco_like(name, names, used_by)
    rules = dict(zip(JOINT_NAMES, base.to_h36m))
    for prior_joint, own in given.items():
        rules[prior_joint] = point(ix[own])
    pelvis, thorax = ix[given["pelvis"]], ix[given["thorax"]]
    rules["spine"] = ((pelvis, 1.0 - SPINE_ALONG_PELVIS_THORAX), (thorax, SPINE_ALONG_PELVIS_THORAX))
    return Layout(name, names, tuple(rules[j] for j in JOINT_NAMES), False, used_by)


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
        _coco_like("coco17", COCO17_NAMES, "RTMPose (rtmlib, MMPose), YOLO-pose (ultralytics), ViTPose, Detectron2"),
        _named(
            "halpe26",
            HALPE26_NAMES,
            {"pelvis": "hip", "thorax": "neck", "head": "head"},
            "AlphaPose, RTMPose Halpe models",
        ),
        _coco_like("coco_wholebody133", WHOLEBODY133_NAMES, "RTMW / DWPose (rtmlib, MMPose wholebody models)"),
        _named("openpose25", OPENPOSE25_NAMES, {"pelvis": "mid_hip", "thorax": "neck"}, "OpenPose BODY_25"),
        _coco_like(
            "mediapipe33", MEDIAPIPE33_NAMES, "MediaPipe Pose (BlazePose), coordinates in [0, 1]", normalised=True
        ),
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


def looks_like_coco(keypoints, scores) -> bool:
    """Whether (N, 17, 2) keypoints given as Human3.6M look like COCO's order instead: in COCO,
    keypoints 1-4 are the eyes and ears, within a small fraction of the body's size from keypoint 0
    (the nose); in Human3.6M they are the right leg and left hip, which reach to the ankle. True
    when most poses with keypoints 0-4 observed (and some extent: keypoints all at one pixel tell
    nothing) have them within 0.2 of the pose's extent."""
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

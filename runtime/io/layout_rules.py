"""How a keypoint layout makes the prior's 17 joints: ``Layout`` and the rules it is built from.

Each prior joint (``zedo.runtime.core.skeleton.JOINT_NAMES``) is an affine combination of the
layout's keypoints, ``((index, weight), ...)`` with weights summing to 1 (one pair: the keypoint
itself), or ``()`` where the layout has no rule for it: that joint then enters as missing (score
0). A synthesised joint's score is the smallest score of the keypoints it is made from. The rules
for joints a layout lacks (pelvis, thorax, spine, head) were fitted on Human3.6M's training subjects
(docs/decisions.md, "Synthesised joints"). Keypoints are (N, J, 2) pixels, scores (N, J) in [0, 1].
Left and right are the subject's own. The layouts themselves are data: ``zedo.runtime.io.layouts``.
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
    """The keypoint ``i`` itself."""
    return ((i, 1.0),)


def mid(a: int, b: int) -> Rule:
    """The midpoint of keypoints ``a`` and ``b``."""
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


def coco_like(name: str, names: tuple[str, ...], used_by: str, normalised: bool = False) -> Layout:
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


def named(name: str, names: tuple[str, ...], given: dict[str, str], used_by: str) -> Layout:
    """A layout that names its own pelvis and thorax (``given``: prior joint -> layout joint); the
    spine is synthesised between them and the head, where not given, from the nose and torso."""
    ix = {n: i for i, n in enumerate(names)}
    base = coco_like(name, names, used_by)
    rules = dict(zip(JOINT_NAMES, base.to_h36m))
    for prior_joint, own in given.items():
        rules[prior_joint] = point(ix[own])
    pelvis, thorax = ix[given["pelvis"]], ix[given["thorax"]]
    rules["spine"] = ((pelvis, 1.0 - SPINE_ALONG_PELVIS_THORAX), (thorax, SPINE_ALONG_PELVIS_THORAX))
    return Layout(name, names, tuple(rules[j] for j in JOINT_NAMES), False, used_by)

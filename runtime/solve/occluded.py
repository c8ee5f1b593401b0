"""Poses without their pelvis or hips: where the start anchors them, and how their loop runs.

Units and frames as ``zedo.runtime.core.geometry``. The start places a root-relative pose by its
pelvis ray (``zedo.runtime.solve.ipo``, ``zedo.runtime.solve.candidates``). A pose whose pelvis is
missing gets an anchor in its place (joint 0's keypoint, its score kept 0 so that no fit uses it):

- both hips observed: their midpoint, where Human3.6M's pelvis lies; the pose stays root-relative;
- otherwise: the mean of the observed keypoints (the "centroid fit"); the start then centres each
  candidate pose on the mean of the same observed joints (``centre_on_seen``), places it with that
  mean on the anchor's ray, and makes it root-relative again (``reroot``).

The loop's translation is solved on every observed joint and needs no pelvis. Poses without both
hips run ``OCCLUDED_ENSEMBLE`` loops from their best starts and report the mean
(``occluded_config``; docs/occlusion.md). A complete pose's arrays pass through unchanged, bit for bit.
"""

from __future__ import annotations

from dataclasses import replace

from ..core.config import LoopConfig

LEFT_HIP, RIGHT_HIP = 4, 1
# Loops (from the best-ranked starts) whose mean a pose without both hips reports.
OCCLUDED_ENSEMBLE = 4


def seen_mean(points, mask, xp):
    """The mean (B, D) of each row's points (B, 17, D) where ``mask`` (B, 17) is 1 (none: 0)."""
    return (points * mask[..., None]).sum(1) / xp.maximum(mask.sum(1), 1.0)[:, None]


def anchor_keypoints(keypoints, scores, xp):
    """(keypoints (B, 17, 2) px with joint 0 the anchor where the pelvis is missing, centred (B,)
    1 where that anchor is the mean of the observed keypoints, else 0), arrays of ``xp`` in the
    keypoints' dtype; scores (B, 17) (0: missing). Rows with a pelvis are returned unchanged."""
    seen = (scores > 0).astype(keypoints.dtype)
    missing = seen[:, 0] == 0
    centred = (missing & ((seen[:, LEFT_HIP] == 0) | (seen[:, RIGHT_HIP] == 0))).astype(keypoints.dtype)
    if not bool(missing.any()):
        return keypoints, centred
    hips = 0.5 * (keypoints[:, LEFT_HIP] + keypoints[:, RIGHT_HIP])
    anchor = xp.where(centred[:, None] > 0, seen_mean(keypoints, seen, xp), hips)
    first = xp.where(missing[:, None], anchor, keypoints[:, 0])
    return xp.concatenate([first[:, None], keypoints[:, 1:]], axis=1), centred


def centre_on_seen(pose, mask, centred, xp):
    """Root-relative poses (B, 17, 3) moved so that the mean of their observed joints (mask (B, 17)
    1) lies at the origin, in the rows where ``centred`` (B,) is 1; the others unchanged."""
    if not bool((centred > 0).any()):
        return pose
    return xp.where(centred[:, None, None] > 0, pose - seen_mean(pose, mask, xp)[:, None], pose)


def reroot(x, T, centred, xp):
    """Placed poses x (B, 17, 3) at T (B, 3), centred where ``centred`` (B,) is 1, as root-relative
    poses and pelvis translations (the same camera-frame points)."""
    if not bool((centred > 0).any()):
        return x, T
    on = centred > 0
    return xp.where(on[:, None, None], x - x[:, :1], x), xp.where(on[:, None], T + x[:, 0], T)


def centred_sums(sums, weight_sums, total):
    """Weak-perspective sums of products about the observed joints' mean instead of the pelvis:
    ``sums`` (sxx, sxz, szz, syy) minus (sx sx, sx sz, sz sz, sy sy) / total, with
    ``weight_sums`` (sx, sy, sz) the weighted coordinate sums and ``total`` the weights' sum,
    each (B, L) (or broadcastable)."""
    sx, sy, sz = weight_sums
    sxx, sxz, szz, syy = sums
    return sxx - sx * sx / total, sxz - sx * sz / total, szz - sz * sz / total, syy - sy * sy / total


def occluded_config(config: LoopConfig, has_library: bool) -> LoopConfig:
    """The loop of poses without both hips: ``OCCLUDED_ENSEMBLE`` starts where the start chooses
    among a library (and the config asks for fewer); ``config`` otherwise."""
    if not has_library or config.start_ensemble >= OCCLUDED_ENSEMBLE:
        return config
    return replace(config, start_ensemble=min(OCCLUDED_ENSEMBLE, config.start_shortlist))

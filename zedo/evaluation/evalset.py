"""The Human3.6M evaluation set: every ``every``-th frame of one subject, each camera, one 2D track.

Tracks: ``gt`` (the ground-truth 3D projected with each camera's pinhole intrinsics, every joint
observed), ``detected`` (Stacked Hourglass detections trained on MPII only: 16 joints, no scores;
the joints of ``DETECTIONS_MISSING`` enter as missing, and frames with an absent detection are
dropped) or ``detected-raw`` (the same detections as a user has them: every joint the detector
gives at score 1, only the neck/nose it lacks missing). ``add_noise`` puts Gaussian pixel noise on
any track. Truth in camera-frame metres, keypoints in pixels; files are read by
``zedo.datasets.h36m``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from zedo.datasets.h36m import (
    CAMERA_IDS,
    CAMERAS_FILE,
    DETECTIONS_FILE,
    POSITIONS_FILE,
    iter_takes,
    load_cameras,
    load_detections,
    load_positions,
)
from zedo.runtime.core.camera import check_image_size
from zedo.runtime.core.geometry import project
from zedo.runtime.core.skeleton import NUM_JOINTS
from zedo.runtime.io.layouts import get_layout

TRACKS: tuple[str, ...] = ("gt", "detected", "detected-raw")
NECK_NOSE = 9  # the prior's joint that the detections lack
# Detected joints that enter as missing: neck/nose (absent) and the spine (MPII has none; the
# file's lies far from the truth and bends the torso). Measured: docs/decisions.md, Evaluation.
DETECTIONS_MISSING: tuple[int, ...] = (7, NECK_NOSE)


@dataclass(frozen=True)
class EvalSet:
    """Evaluation inputs: M poses with their truth and 2D."""

    gt: np.ndarray  # (M, 17, 3) camera-frame metres
    keypoints: np.ndarray  # (M, 17, 2) pixels
    scores: np.ndarray  # (M, 17), 0 for a missing joint
    K: np.ndarray  # (M, 3, 3)
    actions: np.ndarray  # (M,) action names without take numbers
    dropped: int  # frames left out because their detections are absent (NaN)

    def take(self, rows: np.ndarray) -> EvalSet:
        """The poses ``rows`` (index array) of this set; ``dropped`` is kept."""
        return EvalSet(
            self.gt[rows], self.keypoints[rows], self.scores[rows], self.K[rows], self.actions[rows], self.dropped
        )


def load_h36m_eval(data_dir, subject: str = "S9", every: int = 64, track: str = "gt") -> EvalSet:
    """Every ``every``-th frame of each action and camera of ``subject`` in ``data_dir`` (the
    VideoPose3D files); ``track`` "gt" or "detected". ValueError naming the argument or the file."""
    if isinstance(every, bool) or not isinstance(every, int) or every < 1:
        raise ValueError(f"every must be a whole number >= 1, got {every!r}")
    gts, kps, scs, Ks, acts, dropped = [], [], [], [], [], 0
    for action, _, cam, joints, two_d in subject_takes(data_dir, subject, track):
        frames = np.arange(0, len(joints), every)
        kp, sc, ok = two_d(frames)
        dropped += int((~ok).sum())
        frames, kp, sc = frames[ok], kp[ok], sc[ok]
        gts.append(joints[frames])
        kps.append(kp)
        scs.append(sc)
        Ks.append(np.broadcast_to(cam.K, (len(frames), 3, 3)))
        acts += [action.split(" ")[0]] * len(frames)
    if not acts:
        why = f"; all {dropped} frames were dropped, their detections absent" if dropped else ""
        raise ValueError(f"{data_dir}: no frames of {subject} to evaluate (track {track}, every {every}){why}")
    return EvalSet(
        np.concatenate(gts), np.concatenate(kps), np.concatenate(scs), np.concatenate(Ks), np.array(acts), dropped
    )


def subject_takes(data_dir, subject: str, track: str):
    """Yield (action, camera id, camera, joints (N, 17, 3) camera-frame metres, two_d) for each take
    of ``subject`` seen by each camera; ``two_d(frames)`` gives the ``track``'s keypoints (F, 17, 2)
    px, scores (F, 17) and ok (F,) (False: absent detections) of those frame indices."""
    if track not in TRACKS:
        raise ValueError(f"track must be one of {', '.join(TRACKS)}, got {track!r}")
    data_dir = Path(data_dir)
    positions = load_positions(data_dir / POSITIONS_FILE)
    cameras = load_cameras(data_dir / CAMERAS_FILE)
    detections = load_detections(data_dir / DETECTIONS_FILE, subject) if track != "gt" else None
    missing = DETECTIONS_MISSING if track == "detected" else (NECK_NOSE,)
    for _, action, cam_id, cam, joints in iter_takes(positions, cameras, [subject], data_dir / POSITIONS_FILE):
        if detections is None:

            def two_d(frames, joints=joints, cam=cam):
                return project(joints[frames], cam.K), np.ones((len(frames), NUM_JOINTS)), np.ones(len(frames), bool)
        else:
            d16 = _camera_detections(detections, data_dir / DETECTIONS_FILE, action, cam_id, len(joints))

            def two_d(frames, d16=d16):
                return detected_track(d16[frames], missing)

        yield action, cam_id, cam, joints, two_d


def detected_track(
    d16: np.ndarray, missing: tuple[int, ...] = DETECTIONS_MISSING
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Detections (F, 16, 2) px -> keypoints (F, 17, 2) px with neck/nose NaN, scores (F, 17) with
    0 on ``missing``, and ok (F,): the frames whose 16 joints were all detected."""
    kp = np.insert(d16, NECK_NOSE, np.nan, axis=1)  # the detections' 16 joints are the 17 without neck/nose
    sc = np.ones((len(d16), NUM_JOINTS))
    sc[:, list(missing)] = 0.0
    return kp, sc, np.isfinite(d16).all(axis=(1, 2))


def add_noise(data: EvalSet, sigma_px: float, seed: int = 0) -> EvalSet:
    """``data`` with Gaussian noise of ``sigma_px`` px per coordinate on every keypoint (a detector's
    error on clean 2D), drawn from ``seed``."""
    if isinstance(sigma_px, bool) or not isinstance(sigma_px, (int, float)) or not 0 <= sigma_px <= 1000:
        raise ValueError(f"added noise must be a number of pixels in [0, 1000], got {sigma_px!r}")
    noise = np.random.default_rng(seed).normal(0.0, sigma_px, data.keypoints.shape)
    return EvalSet(data.gt, data.keypoints + noise, data.scores, data.K, data.actions, data.dropped)


def _camera_detections(detections: dict, path: Path, action: str, cam_id: str, frames: int) -> np.ndarray:
    """The (N, 16, 2) detections of ``action`` seen by camera ``cam_id``; at least ``frames`` of them."""
    if action not in detections:
        raise ValueError(f"{path}: no detections of action {action!r}")
    d16 = detections[action][CAMERA_IDS.index(cam_id)]
    if len(d16) < frames:
        raise ValueError(
            f"{path}: detections of {action!r}, camera {cam_id}, have {len(d16)} frames; the 3D has {frames}"
        )
    return d16


def check_given(layout: str = "h36m17", image_size=None, focal_scale: float = 1.0) -> None:
    """ValueError naming the argument unless ``runtime_input`` can give the set this way (checked
    before the set is loaded)."""
    get_layout(layout)
    if not (isinstance(focal_scale, (int, float)) and not isinstance(focal_scale, bool) and 0 < focal_scale < 100):
        raise ValueError(f"focal_scale must be a number in (0, 100), got {focal_scale!r}")
    if image_size is not None and focal_scale != 1.0:
        raise ValueError("focal_scale scales the true K; with image_size there is none")
    if image_size is not None:
        check_image_size(image_size, "image_size")


def runtime_input(data: EvalSet, layout: str = "h36m17", image_size=None, focal_scale: float = 1.0) -> dict:
    """The set as a user would give it to ``zedo.runtime.estimate``: keypoints and scores written in
    ``layout`` (the joints it shares with Human3.6M; the rest absent, score 0), missing keypoints
    NaN; ``K`` with both focal lengths times ``focal_scale``, or none and ``image_size`` (w, h) px.
    Returns the keyword arguments keypoints, scores, K, image_size, layout."""
    check_given(layout, image_size, focal_scale)
    kp, sc = get_layout(layout).from_prior(np.where(data.scores[..., None] > 0, data.keypoints, np.nan), data.scores)
    K = None
    if image_size is None:
        K = data.K.copy()
        K[:, 0, 0] *= focal_scale
        K[:, 1, 1] *= focal_scale
    return {"keypoints": kp, "scores": sc, "K": K, "image_size": image_size, "layout": layout}

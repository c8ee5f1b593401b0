"""Tracking: which person of one frame is which person of the next, for inputs without person ids.

A detector without a tracker (an OpenPose folder, MMPose or AlphaPose without ``--track``, zedo's
input with ``frame`` and no ``track``) lists a frame's people in whatever order it found them;
lifting such a video as one track per position would smooth different people together. ``Tracker``
keeps each track's last pose, box and velocity; each frame it predicts every track's pose one step
ahead (its box moving at its velocity, which carries people through a crossing), prices every
(track, person) pair by the distance of their keypoints and of their boxes, both divided by the
person's size (so the gate means the same near the camera and far from it), and pairs them by an
optimal assignment (``assignment.assign``) in which pairs above ``TrackerConfig.gate`` are refused.
A person left unpaired starts a new track; a track unpaired for more than ``max_missing`` frames
ends, so a jump in the frame number (a scene cut, a new clip) ends every track. As rtmlib's
PoseTracker and MMPose's pose trackers do, in numpy. Keypoints (M, J, 2) px, scores (M, J); a
keypoint with score 0 or not finite is missing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .assignment import assign


@dataclass(frozen=True)
class TrackerConfig:
    """gate: the largest cost (keypoint and box distance over the person's size) of a pairing;
    max_missing: frames a track waits for its person before it ends; min_joints: keypoints two
    poses must share to be compared; box_weight: the box distance's share of the cost."""

    gate: float = 0.5
    max_missing: int = 10
    min_joints: int = 3
    box_weight: float = 0.5


def _boxes(kp: np.ndarray, seen: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(M, 4) boxes (x0, y0, x1, y1) of the seen keypoints and (M,) sizes (their diagonal; 1 px at
    least); a pose with nothing seen has a box of NaN."""
    lo = np.where(seen[..., None], kp, np.inf).min(1)
    hi = np.where(seen[..., None], kp, -np.inf).max(1)
    box = np.concatenate([lo, hi], axis=-1)
    box[~seen.any(-1)] = np.nan
    size = np.maximum(np.nan_to_num(np.linalg.norm(hi - lo, axis=-1), nan=1.0, posinf=1.0), 1.0)
    return box, size


def pair_costs(pred, pred_seen, kp, seen, config: TrackerConfig = TrackerConfig()) -> np.ndarray:
    """(T, M) costs of pairing T predicted poses with M detected ones: the mean distance of their
    shared keypoints and of their box corners, each over the larger pose's size, weighted by
    ``config.box_weight``; inf where fewer than ``config.min_joints`` keypoints are shared."""
    (box_t, size_t), (box_d, size_d) = _boxes(pred, pred_seen), _boxes(kp, seen)
    scale = np.maximum(size_t[:, None], size_d[None, :])
    shared = pred_seen[:, None] & seen[None, :]
    dist = np.linalg.norm(np.nan_to_num(pred[:, None] - kp[None, :]), axis=-1)
    n = shared.sum(-1)
    kp_cost = np.where(shared, dist, 0.0).sum(-1) / np.maximum(n, 1) / scale
    box_cost = np.abs(box_t[:, None] - box_d[None, :]).mean(-1) / scale
    cost = (1.0 - config.box_weight) * kp_cost + config.box_weight * box_cost
    return np.where((n >= config.min_joints) & np.isfinite(cost), cost, np.inf)


class Tracker:
    """Person ids across the frames of one video or live feed (see the module docstring).
    ``update(keypoints, scores, frame)`` per frame returns each person's id (ids count up from
    0 and are never reused); ``reset()`` ends every track (ids keep counting)."""

    def __init__(self, config: TrackerConfig = TrackerConfig()):
        self.config = config
        self.next_id = 0
        self.reset()

    def reset(self) -> None:
        self.ids = np.zeros(0, np.int64)
        self.kp, self.seen = np.zeros((0, 0, 2)), np.zeros((0, 0), bool)
        self.velocity, self.last = np.zeros((0, 2)), np.zeros(0, np.int64)
        self.frame: int | None = None

    def _predicted(self, frame: int) -> np.ndarray:
        """Each track's keypoints moved at its velocity to ``frame``."""
        return self.kp + (self.velocity * (frame - self.last)[:, None])[:, None, :]

    def _match(self, kp, seen, frame: int) -> np.ndarray:
        """(M,) the track index of each person, -1 for none."""
        match = np.full(len(kp), -1)
        if len(self.ids) and len(kp):
            cost = pair_costs(self._predicted(frame), self.seen, kp, seen, self.config)
            gate = self.config.gate
            rows, cols = assign(np.where(cost <= gate, cost, gate * 10.0 + 1.0))
            ok = cost[rows, cols] <= gate
            match[cols[ok]] = rows[ok]
        return match

    def update(self, keypoints, scores, frame: int | None = None) -> np.ndarray:
        """The (M,) track ids of the M people of ``frame`` (keypoints (M, J, 2), scores (M, J));
        ``frame`` None: the frame after the last one. A frame before the last is refused."""
        kp, sc = np.asarray(keypoints, dtype=np.float64), np.asarray(scores, dtype=np.float64)
        seen = (sc > 0) & np.isfinite(kp).all(-1)
        frame = (0 if self.frame is None else self.frame + 1) if frame is None else int(frame)
        if self.frame is not None and frame <= self.frame:
            raise ValueError(f"tracker: frame {frame} comes after frame {self.frame}; frames must increase")
        if self.kp.shape[1:2] != kp.shape[1:2]:
            self.reset()
        alive = frame - self.last <= self.config.max_missing + 1
        self._keep(alive)
        match = self._match(kp, seen, frame)
        ids = self._apply(match, kp, seen, frame)
        self.frame = frame
        return ids

    def _keep(self, rows) -> None:
        self.ids, self.kp, self.seen = self.ids[rows], self.kp[rows], self.seen[rows]
        self.velocity, self.last = self.velocity[rows], self.last[rows]

    def _apply(self, match, kp, seen, frame: int) -> np.ndarray:
        """Update the matched tracks, start one for each unmatched person; the people's ids."""
        paired = match >= 0
        t = match[paired]
        if len(t):
            moved = _boxes(kp[paired], seen[paired])[0] - _boxes(self.kp[t], self.seen[t])[0]
            step = np.nan_to_num((moved[:, :2] + moved[:, 2:]) / 2 / (frame - self.last[t])[:, None])
            self.velocity[t] = 0.5 * self.velocity[t] + 0.5 * step
            self.kp[t], self.seen[t], self.last[t] = kp[paired], seen[paired], frame
        born = np.flatnonzero(~paired)
        new_ids = np.arange(self.next_id, self.next_id + len(born))
        self.next_id += len(born)
        self.ids = np.concatenate([self.ids, new_ids])
        self.kp = np.concatenate([self.kp.reshape(-1, *kp.shape[1:]), kp[born]])
        self.seen = np.concatenate([self.seen.reshape(-1, *seen.shape[1:]), seen[born]])
        self.velocity = np.concatenate([self.velocity, np.zeros((len(born), 2))])
        self.last = np.concatenate([self.last, np.full(len(born), frame)])
        out = np.empty(len(kp), np.int64)
        out[paired], out[born] = self.ids[t], new_ids
        return out


def track_video(keypoints, scores, frame, config: TrackerConfig = TrackerConfig()) -> np.ndarray:
    """(N,) track ids of N rows of a recorded video without person ids (keypoints (N, J, 2), scores
    (N, J), frame (N,) ints, rows in any order): one ``Tracker`` run over the frames in increasing
    order. Ids count from 0 in order of each track's first frame."""
    frame = np.asarray(frame, dtype=np.int64)
    order = np.argsort(frame, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(frame[order]) != 0])
    tracker, ids = Tracker(config), np.empty(len(frame), np.int64)
    for rows in np.split(order, starts[1:]):
        ids[rows] = tracker.update(keypoints[rows], scores[rows], int(frame[rows[0]]))
    return ids

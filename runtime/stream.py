"""The stream mode: people tracked over video frames, each frame warm-started from the last one.

Units and frames as ``zedo.runtime.geometry``. A stream's first frame, and any frame after its
track was lost (its pelvis or a hip missing, or the previous pose no longer fitting the 2D), is
lifted as ``estimate`` lifts one pose (the chosen start, then ``LoopConfig.iterations``). Every
later frame starts from the previous frame's pose, placed by the closed-form translation on the new
rays, and runs a short loop: ``StreamConfig.warm_iterations`` from ``warm_t_start`` down to the
SDE's t_min. A One-Euro filter (``zedo.runtime.filters``) smooths the output; the next frame starts
from the unfiltered pose. ``Streams`` advances many streams together (one prior call per iteration for all warm ones);
``PoseStream`` is one person, frame by frame.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .config import LoopConfig, _check_float, _check_int
from .engines import Engine, as_engine
from .filters import OneEuroConfig, OneEuroFilter
from .geometry import keypoints_to_rays, reprojection_error, solve_translation
from .lift import lift_batch
from .loop import translation_weights
from .skeleton import NUM_JOINTS, bone_lengths
from .start import start_library
from .validation import validate_inputs


SIZE_TOLERANCE = 0.1


@dataclass(frozen=True)
class StreamConfig:
    """Settings of the stream mode (the first frame's are ``LoopConfig``); checked on construction.
    Measured: docs/decisions.md, "Stream mode"."""

    warm_iterations: int = 20  # loop iterations of a frame started from the previous one
    warm_t_start: float = 0.15  # where their schedule starts, down to the SDE's t_min (a fresh start runs from t_max = 0.1)
    warm_step_scale: float = 0.3  # their step is warm_step_scale / warm_iterations (LoopConfig.step_scale's meaning)
    lost_fit: float = 0.1  # the track is lost when the previous pose reprojects this far from the new 2D, in 2D body sizes
    refresh_every: int = 0  # a fresh start every this many frames of a stream (0: only when the track is lost)
    fps: float = 25.0  # frames per second of the video: the filter's time base
    joints_filter: OneEuroConfig | None = OneEuroConfig(min_cutoff=1.5)  # on root-relative joints; None: no filter (for clean 2D)
    translation_filter: OneEuroConfig | None = OneEuroConfig(min_cutoff=1.5)  # on the translation; None: no filter

    def __post_init__(self):
        _check_int("warm_iterations", self.warm_iterations, 1, 100_000)
        _check_float("warm_t_start", self.warm_t_start, 0.0, 1.0, low_open=True)
        _check_float("warm_step_scale", self.warm_step_scale, 0.0, 10.0, low_open=True)
        _check_float("lost_fit", self.lost_fit, 0.0, 1e6, low_open=True)
        _check_float("fps", self.fps, 0.0, 1e6, low_open=True)
        _check_int("refresh_every", self.refresh_every, 0)
        for name in ("joints_filter", "translation_filter"):
            if getattr(self, name) is not None and not isinstance(getattr(self, name), OneEuroConfig):
                raise ValueError(f"{name} must be a OneEuroConfig or None, got {getattr(self, name)!r}")


def body_size(keypoints, scores):
    """The 2D size (n,) px of each pose: the diagonal of its observed keypoints' box (n, 17, 2)."""
    seen = scores[..., None] > 0
    lo = np.where(seen, keypoints, np.inf).min(axis=1)
    hi = np.where(seen, keypoints, -np.inf).max(axis=1)
    return np.linalg.norm(hi - lo, axis=-1)


@dataclass(frozen=True)
class Step:
    """What one ``Streams.step`` gives back for its n rows; host arrays."""

    joints_3d: np.ndarray  # (n, 17, 3) metres, camera frame, filtered; NaN where not valid
    translation: np.ndarray  # (n, 3) metres, the pelvis of joints_3d
    valid: np.ndarray  # (n,) bool
    warm: np.ndarray  # (n,) bool: started from the previous frame (False: a fresh start)
    reprojection_px: np.ndarray  # (n,) of the unfiltered pose, as ``Estimate.reprojection_px``
    residual: np.ndarray  # (n,) the prior's residual of the unfiltered pose, as ``Estimate.prior_residual``


class Streams:
    """``size`` streams (one person each) advanced together by ``step``; ``config`` is the loop of a
    fresh start, ``stream_config`` the rest (``StreamConfig``)."""

    def __init__(self, engine: Engine, size: int, config: LoopConfig = LoopConfig(), stream_config: StreamConfig = StreamConfig()):
        self.engine, self.config, self.stream_config = engine, config, stream_config
        xp = engine.xp
        self._f32 = lambda a: xp.asarray(np.ascontiguousarray(a, dtype=np.float32))  # noqa: E731
        self._host = getattr(xp, "asnumpy", np.asarray)
        library = start_library(engine.meta, config)
        self.library = None if library is None else self._f32(library)
        mean = engine.meta.initial_poses(1)
        self.mean_pose = mean - mean[:, :1]
        self.warm_config = replace(config, iterations=stream_config.warm_iterations, step_scale=stream_config.warm_step_scale, warmup_fraction=0.0, noise_px=0.0 if config.noise_px is None else config.noise_px)
        self.x = np.zeros((size, NUM_JOINTS, 3), np.float32)
        self.T = np.zeros((size, 3), np.float32)
        self.live = np.zeros(size, bool)
        self.size = np.ones(size)  # each stream's skeleton size (sum of bone lengths, metres) at its last fresh start
        self.age = np.zeros(size, np.int64)  # frames since each stream's last fresh start
        self.filters = [None if c is None else OneEuroFilter(c, size, shape) for c, shape in ((stream_config.joints_filter, (NUM_JOINTS, 3)), (stream_config.translation_filter, (1, 3)))]

    def reset(self, rows=slice(None)) -> None:
        """Forget ``rows`` (all by default): their next frame starts afresh, unfiltered."""
        self.live[rows] = False
        for f in self.filters:
            if f is not None:
                f.reset(rows)

    def _warm_start(self, keypoints, scores, K, rows):
        """The previous poses of ``rows`` placed on the new rays: (x, T, fits) where fits (n,) is
        the reprojection error in body sizes (how far the previous pose is from the new 2D)."""
        # The person's size is kept from the fresh start: a short loop can grow or shrink a pose a
        # little each frame, which compounds over a video (docs/decisions.md, "Stream mode").
        size, ref = bone_lengths(self.x[rows]).sum(-1), self.size[rows]
        kept = np.clip(size, ref * (1 - SIZE_TOLERANCE), ref * (1 + SIZE_TOLERANCE))
        x = self.x[rows] * (kept / size)[:, None, None].astype(np.float32)
        w = translation_weights(scores, self.config, np)
        T = solve_translation(x, keypoints_to_rays(keypoints, np.linalg.inv(K), np), w, np)
        err = reprojection_error(x + T[:, None, :], keypoints, K, (scores > 0).astype(np.float32), np)
        return x, T.astype(np.float32), err / np.maximum(body_size(keypoints, scores), 1e-6)

    def _lift(self, keypoints, scores, K, start, warm: bool):
        f = self._f32
        if warm:
            got = lift_batch(f(keypoints), f(scores), f(K), self.engine, self.warm_config, (f(start[0]), f(start[1])), t_start=self.stream_config.warm_t_start)
        else:
            mean = None if self.library is not None else f(np.broadcast_to(self.mean_pose, (len(keypoints), NUM_JOINTS, 3)))
            got = lift_batch(f(keypoints), f(scores), f(K), self.engine, self.config, mean, self.library)
        h = self._host
        return h(got.x), h(got.T), h(got.reprojection_px), h(got.residual)

    def _advance(self, rows, kp, sc, K, valid):
        """Lift one frame of each of ``rows``: warm where the stream is live and the previous pose
        still fits, fresh otherwise. Returns x (n, 17, 3), T (n, 3), reprojection and residual
        (n,) (NaN where not valid) and the warm mask (n,)."""
        n = len(rows)
        warm = valid & self.live[rows]
        if self.stream_config.refresh_every:
            warm &= self.age[rows] < self.stream_config.refresh_every
        x, T = np.full((n, NUM_JOINTS, 3), np.nan, np.float32), np.full((n, 3), np.nan, np.float32)
        reproj, residual = np.full(n, np.nan), np.full(n, np.nan)
        if warm.any():
            sx, sT, fit = self._warm_start(kp[warm], sc[warm], K[warm], rows[warm])
            keep = fit <= self.stream_config.lost_fit
            warm[np.flatnonzero(warm)[~keep]] = False
            if keep.any():
                x[warm], T[warm], reproj[warm], residual[warm] = self._lift(kp[warm], sc[warm], K[warm], (sx[keep], sT[keep]), True)
        cold = valid & ~warm
        if cold.any():
            x[cold], T[cold], reproj[cold], residual[cold] = self._lift(kp[cold], sc[cold], K[cold], None, False)
        return x, T, reproj, residual, warm

    def step(self, rows, keypoints, scores, K, valid, frame) -> Step:
        """Advance the streams ``rows`` (n,) distinct indices by one frame each: keypoints (n, 17, 2)
        px, scores (n, 17), K (n, 3, 3), valid (n,) (False: pelvis or a hip missing), frame (n,) the
        frame index (increasing per stream; the filter's clock at ``StreamConfig.fps``)."""
        rows = np.asarray(rows)
        if len(np.unique(rows)) != len(rows):
            raise ValueError(f"Streams.step: rows must be distinct stream indices, got {rows.tolist()}")
        kp, sc, K = (np.asarray(a, np.float32) for a in (keypoints, scores, K))
        valid = np.asarray(valid, bool)
        x, T, reproj, residual, warm = self._advance(rows, kp, sc, K, valid)
        ok = valid & np.isfinite(x).all(axis=(1, 2)) & np.isfinite(T).all(axis=1)
        fresh = ok & ~warm
        self.x[rows[ok]], self.T[rows[ok]] = x[ok], T[ok]
        # A lost track's next frame starts afresh; the filter runs on across (only reset() clears
        # it), so a fresh start does not jump (docs/decisions.md, "Stream mode").
        self.live[rows] = ok
        self.size[rows[fresh]] = bone_lengths(x[fresh]).sum(-1)
        self.age[rows] = np.where(valid & ~warm, 1, self.age[rows] + 1)
        joints, trans = self._filtered(rows[ok], x[ok], T[ok], np.asarray(frame, np.float64)[ok] / self.stream_config.fps)
        out_j = np.full((len(rows), NUM_JOINTS, 3), np.nan)
        out_j[ok] = joints + trans[:, None, :]
        reproj[~ok], residual[~ok] = np.nan, np.nan
        return Step(out_j, out_j[:, 0].copy(), ok, warm & ok, reproj, residual)

    def _filtered(self, rows, x, T, seconds):
        """Root-relative joints (n, 17, 3) and translations (n, 3) through the filters, float64."""
        fj, ft = self.filters
        x, T = x.astype(np.float64), T.astype(np.float64)
        if fj is not None:
            x = fj(rows, x, seconds)
        if ft is not None:
            T = ft(rows, T[:, None, :], seconds)[:, 0]
        return x, T


@dataclass(frozen=True)
class Frame:
    """The result of one ``PoseStream.update``."""

    joints_3d: np.ndarray  # (17, 3) metres, camera frame; NaN when not valid
    translation: np.ndarray  # (3,) metres, the pelvis; NaN when not valid
    valid: bool  # False when the frame could not be placed (pelvis or a hip missing)
    warm: bool = False  # started from the previous frame (False: a fresh start)


class PoseStream:
    """Lift one person's keypoints frame by frame: one camera (K (3, 3), or ``image_size`` (w, h)
    px for the default camera of ``zedo.runtime.camera``) and one keypoint ``layout``. ``config``
    is the loop of a fresh start, ``stream_config`` the warm frames and the filter."""

    def __init__(self, engine=None, K=None, image_size=None, layout=None, config: LoopConfig = LoopConfig(), stream_config: StreamConfig = StreamConfig()):
        self.engine = as_engine(engine)
        self.K, self.image_size, self.layout = K, image_size, layout
        self.streams = Streams(self.engine, 1, config, stream_config)
        self.frames = 0
        self.last: Frame | None = None

    def reset(self) -> None:
        """Forget the past: the next frame starts afresh."""
        self.streams.reset()
        self.last = None

    def update(self, keypoints, scores=None) -> Frame:
        """Lift one frame: keypoints (J, 2) px in the stream's layout, scores (J,) in [0, 1] or None."""
        inputs = validate_inputs(keypoints, self.K, scores, source="frame", layout=self.layout, image_size=self.image_size)
        if len(inputs.keypoints) != 1:
            raise ValueError(f"frame: keypoints must be one pose (J, 2), got {len(inputs.keypoints)}")
        got = self.streams.step([0], inputs.keypoints, inputs.scores, inputs.K, inputs.valid, [self.frames])
        self.frames += 1
        self.last = Frame(got.joints_3d[0], got.translation[0], bool(got.valid[0]), bool(got.warm[0]))
        return self.last

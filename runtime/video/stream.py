"""The stream mode: people tracked over live video, frame by frame, each frame smoothed with the past.

Units and frames as ``zedo.runtime.core.geometry``. Every frame is lifted as ``estimate`` lifts one pose,
with a short loop (``StreamConfig.iterations``); a frame after the first starts from whichever of
its best-ranked starts lies closest to the previous frame's pose, so that the start, and with it the
depth reading, does not flip between frames. One-Euro filters (``zedo.runtime.video.filters``) smooth the
output, the image plane and depth apart; the next frame compares with the unfiltered pose. With
``StreamConfig.warm`` a frame starts from the previous frame's pose itself and runs a shorter loop
instead: faster, but errors carry from frame to frame (docs/decisions.md, "Stream mode"). A
stream's first frame, and any frame after its track was lost (its pelvis or a hip missing, or the
previous pose no longer fitting the 2D), starts afresh. ``Streams`` advances many streams together
(one prior call per iteration for all of them); ``PoseStream`` is one person, frame by frame. A
recorded video is smoothed in both directions instead: ``zedo.runtime.video.tracks``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..core.config import LoopConfig, check_float, check_int
from ..core.geometry import keypoints_to_rays, reprojection_error, solve_translation
from ..core.skeleton import NUM_JOINTS, bone_lengths
from ..engines.open import Engine, as_engine
from ..io.validation import validate_inputs
from ..solve.lift import lift_batch
from ..solve.loop import translation_weights
from ..solve.start import choose_starts, start_library
from .filters import OneEuroConfig, OneEuroFilter
from .smoothing import SmoothConfig, smooth_track

SIZE_TOLERANCE = 0.1
FILTERS = ("plane_filter", "depth_filter", "translation_filter")  # StreamConfig's, in Streams.filters' order


@dataclass(frozen=True)
class StreamConfig:
    """Settings of the stream mode (the loop's own are ``LoopConfig``); checked on construction.
    Measured: docs/decisions.md, "Video: every frame lifted, then smoothed" (the warm chain:
    "Stream mode")."""

    iterations: int = (
        75  # loop iterations of a frame lifted from a chosen start (LoopConfig.iterations is per-frame mode's)
    )
    continuity: int = 3  # a frame with a previous one starts from the closest to it of its this many best-ranked starts (1: the best, as per-frame mode)
    warm: bool = False  # start each frame from the previous frame's pose instead, with the warm_* schedule (faster, less accurate)
    warm_iterations: int = 20  # loop iterations of a warm frame
    warm_t_start: float = (
        0.15  # where a warm frame's schedule starts, down to the SDE's t_min (a fresh start runs from t_max = 0.1)
    )
    warm_step_scale: float = (
        0.3  # a warm frame's step is warm_step_scale / warm_iterations (LoopConfig.step_scale's meaning)
    )
    lost_fit: float = (
        0.1  # the track is lost when the previous pose reprojects this far from the new 2D, in 2D body sizes
    )
    refresh_every: int = (
        0  # forget the previous frame every this many frames of a stream (0: only when the track is lost)
    )
    fps: float = 25.0  # frames per second of the video: the filters' time base
    plane_filter: OneEuroConfig | None = OneEuroConfig(
        min_cutoff=2.0, beta=1.0
    )  # on root-relative x and y; None: no filter
    depth_filter: OneEuroConfig | None = OneEuroConfig(min_cutoff=2.0)  # on root-relative z (depth); None: no filter
    translation_filter: OneEuroConfig | None = OneEuroConfig(min_cutoff=1.5)  # on the translation; None: no filter
    delay: int = 0  # PoseStream only: hold frames back this many updates and smooth each with the frames on both sides (``smoothing``) instead of the filters
    smoothing: SmoothConfig = SmoothConfig()  # the widths of that smoothing

    def __post_init__(self):
        check_int("iterations", self.iterations, 1, 100_000)
        check_int("continuity", self.continuity, 1, 1000)
        if not isinstance(self.warm, bool):
            raise ValueError(f"warm must be True or False, got {self.warm!r}")
        check_int("warm_iterations", self.warm_iterations, 1, 100_000)
        check_float("warm_t_start", self.warm_t_start, 0.0, 1.0, low_open=True)
        check_float("warm_step_scale", self.warm_step_scale, 0.0, 10.0, low_open=True)
        check_float("lost_fit", self.lost_fit, 0.0, 1e6, low_open=True)
        check_float("fps", self.fps, 0.0, 1e6, low_open=True)
        check_int("refresh_every", self.refresh_every, 0)
        for name in FILTERS:
            if getattr(self, name) is not None and not isinstance(getattr(self, name), OneEuroConfig):
                raise ValueError(f"{name} must be a OneEuroConfig or None, got {getattr(self, name)!r}")
        check_int("delay", self.delay, 0, 1000)
        if not isinstance(self.smoothing, SmoothConfig):
            raise ValueError(f"smoothing must be a SmoothConfig, got {self.smoothing!r}")

    def unfiltered(self) -> "StreamConfig":
        """These settings without the filters (for clean 2D, or a recorded video smoothed afterwards)."""
        return replace(self, **dict.fromkeys(FILTERS))


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
    continued: (
        np.ndarray
    )  # (n,) bool: followed on from the previous frame (its pose, or the start closest to it); False: afresh
    reprojection_px: np.ndarray  # (n,) of the unfiltered pose, as ``Estimate.reprojection_px``
    residual: np.ndarray  # (n,) the prior's residual of the unfiltered pose, as ``Estimate.prior_residual``


class Streams:
    """``size`` streams (one person each) advanced together by ``step``; ``config`` is the loop of a
    frame but for its iterations, ``stream_config`` the rest (``StreamConfig``)."""

    def __init__(
        self, engine: Engine, size: int, config: LoopConfig = LoopConfig(), stream_config: StreamConfig = StreamConfig()
    ):
        self.engine, self.stream_config = engine, stream_config
        self.config = replace(config, iterations=stream_config.iterations)
        xp = engine.xp
        self._f32 = lambda a: xp.asarray(np.ascontiguousarray(a, dtype=np.float32))  # noqa: E731
        self._host = getattr(xp, "asnumpy", np.asarray)
        library = start_library(engine.meta, config)
        self.library = None if library is None else self._f32(library)
        mean = engine.meta.initial_poses(1)
        self.mean_pose = mean - mean[:, :1]
        self.warm_config = replace(
            config,
            iterations=stream_config.warm_iterations,
            step_scale=stream_config.warm_step_scale,
            warmup_fraction=0.0,
            noise_px=0.0 if config.noise_px is None else config.noise_px,
        )
        self.x = np.zeros((size, NUM_JOINTS, 3), np.float32)
        self.live = np.zeros(size, bool)
        self.size = np.ones(size)  # each stream's skeleton size (sum of bone lengths, metres) at its last fresh start
        self.age = np.zeros(size, np.int64)  # frames since each stream last started afresh (refresh_every)
        shapes = {"plane_filter": (NUM_JOINTS, 2), "depth_filter": (NUM_JOINTS, 1), "translation_filter": (1, 3)}
        self.filters = [
            None if getattr(stream_config, n) is None else OneEuroFilter(getattr(stream_config, n), size, shapes[n])
            for n in FILTERS
        ]

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

    def _start(self, keypoints, scores, K, previous):
        """The start of frames lifted afresh (device arrays; ``lift.place``'s ``start``): of each
        pose's ``continuity`` best-ranked starts, the one whose joints lie closest on average to
        its ``previous`` pose (n, 17, 3) host, root-relative; the best where that is NaN (no
        previous frame). None (the library's best) or the mean pose when there is nothing to
        choose."""
        xp, n = self.engine.xp, len(keypoints)
        if self.library is None:
            return xp.asarray(np.broadcast_to(self.mean_pose, (n, NUM_JOINTS, 3)).astype(np.float32))
        if self.stream_config.continuity == 1 or self.config.start_ensemble > 1 or np.isnan(previous).all():
            return None
        _, x, T = choose_starts(
            self.library,
            keypoints,
            scores,
            K,
            self.engine,
            self.config,
            xp,
            self.stream_config.continuity,
            sde=self.engine.meta.sde,
        )
        distance = np.linalg.norm(self._host(x) - previous[:, None], axis=-1).mean(axis=-1)  # (n, c) metres
        pick = np.where(np.isnan(distance).any(axis=1), 0, np.argmin(np.nan_to_num(distance, nan=np.inf), axis=1))
        b, c = xp.arange(n), xp.asarray(pick)
        return x[b, c], T[b, c]

    def _lift(self, keypoints, scores, K, start, warm: bool):
        f = self._f32
        kp, sc, K = f(keypoints), f(scores), f(K)
        if warm:
            got = lift_batch(
                kp,
                sc,
                K,
                self.engine,
                self.warm_config,
                (f(start[0]), f(start[1])),
                t_start=self.stream_config.warm_t_start,
            )
        else:
            got = lift_batch(kp, sc, K, self.engine, self.config, self._start(kp, sc, K, start), self.library)
        h = self._host
        return h(got.x), h(got.T), h(got.reprojection_px), h(got.residual)

    def _advance(self, rows, kp, sc, K, valid):
        """Lift one frame of each of ``rows``. A stream is live when its previous pose is known and
        still fits the new 2D: warm (``StreamConfig.warm``) it starts from that pose, otherwise
        from its start closest to it; other streams start afresh. Returns x (n, 17, 3), T (n, 3),
        reprojection and residual (n,) (NaN where not valid), and the masks (n,) of warm and of live
        streams."""
        n, cfg = len(rows), self.stream_config
        live = valid & self.live[rows]
        if cfg.refresh_every:
            live &= self.age[rows] < cfg.refresh_every
        x, T = np.full((n, NUM_JOINTS, 3), np.nan, np.float32), np.full((n, 3), np.nan, np.float32)
        reproj, residual = np.full(n, np.nan), np.full(n, np.nan)
        if live.any():
            at = np.flatnonzero(live)
            sx, sT, fit = self._warm_start(kp[at], sc[at], K[at], rows[at])
            live[at[fit > cfg.lost_fit]] = False
            sx, sT = sx[fit <= cfg.lost_fit], sT[fit <= cfg.lost_fit]
        warm = live if cfg.warm else np.zeros(n, bool)
        if warm.any():
            x[warm], T[warm], reproj[warm], residual[warm] = self._lift(kp[warm], sc[warm], K[warm], (sx, sT), True)
        cold = valid & ~warm
        if cold.any():
            previous = np.where(live[:, None, None], self.x[rows], np.nan)[cold]
            x[cold], T[cold], reproj[cold], residual[cold] = self._lift(kp[cold], sc[cold], K[cold], previous, False)
        return x, T, reproj, residual, warm, live

    def step(self, rows, keypoints, scores, K, valid, frame) -> Step:
        """Advance the streams ``rows`` (n,) distinct indices by one frame each: keypoints (n, 17, 2)
        px, scores (n, 17), K (n, 3, 3), valid (n,) (False: pelvis or a hip missing), frame (n,) the
        frame index (increasing per stream; the filter's clock at ``StreamConfig.fps``)."""
        rows = np.asarray(rows)
        if len(np.unique(rows)) != len(rows):
            raise ValueError(f"Streams.step: rows must be distinct stream indices, got {rows.tolist()}")
        kp, sc, K = (np.asarray(a, np.float32) for a in (keypoints, scores, K))
        valid = np.asarray(valid, bool)
        x, T, reproj, residual, warm, live = self._advance(rows, kp, sc, K, valid)
        ok = valid & np.isfinite(x).all(axis=(1, 2)) & np.isfinite(T).all(axis=1)
        fresh = ok & ~warm
        self.x[rows[ok]] = x[ok]
        # A lost track's next frame starts afresh; the filter runs on across (only reset() clears
        # it), so a fresh start does not jump (docs/decisions.md, "Stream mode").
        self.live[rows] = ok
        self.size[rows[fresh]] = bone_lengths(x[fresh]).sum(-1)
        self.age[rows] = np.where(live, self.age[rows] + 1, 1)
        joints, trans = self._filtered(
            rows[ok], x[ok], T[ok], np.asarray(frame, np.float64)[ok] / self.stream_config.fps
        )
        out_j = np.full((len(rows), NUM_JOINTS, 3), np.nan)
        out_j[ok] = joints + trans[:, None, :]
        reproj[~ok], residual[~ok] = np.nan, np.nan
        return Step(out_j, out_j[:, 0].copy(), ok, live & ok, reproj, residual)

    def _filtered(self, rows, x, T, seconds):
        """Root-relative joints (n, 17, 3) and translations (n, 3) through the filters, float64."""
        plane, depth, trans = self.filters
        x, T = x.astype(np.float64), T.astype(np.float64)
        if plane is not None:
            x[..., :2] = plane(rows, x[..., :2], seconds)
        if depth is not None:
            x[..., 2:] = depth(rows, x[..., 2:], seconds)
        if trans is not None:
            T = trans(rows, T[:, None, :], seconds)[:, 0]
        return x, T


@dataclass(frozen=True)
class Frame:
    """The result of one ``PoseStream.update``."""

    joints_3d: np.ndarray  # (17, 3) metres, camera frame; NaN when not valid
    translation: np.ndarray  # (3,) metres, the pelvis; NaN when not valid
    valid: bool  # False when the frame could not be placed (pelvis or a hip missing), or none is due yet (delay)
    continued: bool = False  # followed on from the previous frame (its pose, or the start closest to it); False: afresh
    index: int = -1  # which update this is the result of (0: the stream's first frame); -1: none yet (delay)


class PoseStream:
    """Lift one person's keypoints frame by frame: one camera (K (3, 3), or ``image_size`` (w, h)
    px for the default camera of ``zedo.runtime.core.camera``) and one keypoint ``layout`` (None: the
    first frame's, inferred as ``validate_inputs`` does). ``config`` is the loop of a frame but for
    its iterations, ``stream_config`` the rest (``StreamConfig``). With ``StreamConfig.delay`` d > 0 each update returns the frame d updates earlier, smoothed
    over the frames before and after it (``zedo.runtime.video.smoothing``): a recorded video's accuracy
    for a latency of d frames (docs/decisions.md, "Video: every frame lifted, then smoothed");
    ``flush`` returns the frames still held back."""

    def __init__(
        self,
        engine=None,
        K=None,
        image_size=None,
        layout=None,
        config: LoopConfig = LoopConfig(),
        stream_config: StreamConfig = StreamConfig(),
    ):
        self.engine = as_engine(engine)
        self.K, self.image_size, self.layout = K, image_size, layout
        self.stream_config = stream_config
        self.streams = Streams(
            self.engine, 1, config, stream_config.unfiltered() if stream_config.delay else stream_config
        )
        self.frames = 0
        self.last: Frame | None = None
        self.held: list[Frame] = []  # with a delay: the latest unsmoothed frames, oldest first
        widest = max(
            stream_config.smoothing.plane_s, stream_config.smoothing.depth_s, stream_config.smoothing.translation_s
        )
        self.keep = (
            stream_config.delay + int(np.ceil(3 * widest * stream_config.fps)) + 1
        )  # frames a smoothing can reach

    def reset(self) -> None:
        """Forget the past, frames held back included (``flush`` first to keep them): the next
        frame starts afresh."""
        self.streams.reset()
        self.last = None
        self.held = []

    def update(self, keypoints, scores=None) -> Frame:
        """Lift one frame: keypoints (J, 2) px in the stream's layout, scores (J,) in [0, 1] or None.
        Returns its result, or with a delay d the result of the frame d updates earlier (not
        valid, index -1, while fewer have come)."""
        inputs = validate_inputs(
            keypoints, self.K, scores, source="frame", layout=self.layout, image_size=self.image_size
        )
        if len(inputs.keypoints) != 1:
            raise ValueError(f"frame: keypoints must be one pose (J, 2), got {len(inputs.keypoints)}")
        # The layout inferred from the first frame holds for the stream: one frame alone (a person
        # sitting, a leg folded onto the pelvis) can look like COCO's order and must not stop it.
        self.layout = inputs.layout
        got = self.streams.step([0], inputs.keypoints, inputs.scores, inputs.K, inputs.valid, [self.frames])
        frame = Frame(got.joints_3d[0], got.translation[0], bool(got.valid[0]), bool(got.continued[0]), self.frames)
        self.frames += 1
        delay = self.stream_config.delay
        if delay:
            self.held = (self.held + [frame])[-self.keep :]
            due = len(self.held) - 1 - delay
            frame = (
                self._smoothed(due) if due >= 0 else Frame(np.full((NUM_JOINTS, 3), np.nan), np.full(3, np.nan), False)
            )
        self.last = frame
        return frame

    def flush(self) -> list[Frame]:
        """The frames held back by the delay, oldest first, each smoothed over the frames there
        are; the stream then holds none (the next update continues the track)."""
        pending = range(max(0, len(self.held) - self.stream_config.delay), len(self.held))
        frames = [self._smoothed(i) for i in pending] if self.stream_config.delay else []
        self.held = []
        return frames

    def _smoothed(self, i: int) -> Frame:
        """Held frame i smoothed over the held frames (their clock: index / fps)."""
        frame = self.held[i]
        if not frame.valid:
            return frame
        joints = np.stack([f.joints_3d for f in self.held])
        seconds = np.array([f.index for f in self.held], np.float64) / self.stream_config.fps
        smooth = smooth_track(joints, seconds, self.stream_config.smoothing)[i]
        return replace(frame, joints_3d=smooth, translation=smooth[0].copy())

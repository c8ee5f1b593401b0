"""``Streams``: many live streams (one person each) advanced together, one frame of each per step.

Units and frames as ``zedo.runtime.core.geometry``. One prior call per iteration for every stream
of a step. A stream's first frame, and any frame after its track was lost (too few joints to place
it, or the previous pose no longer fitting the 2D), starts afresh; any other frame follows on
from the previous one: from the previous pose itself (``StreamConfig.warm``) or from whichever of
its best-ranked starts lies closest to it (``zedo.runtime.solve.start.start_batch`` decides). A
step's rays are computed once, on the host (``zedo.runtime.solve.batch.Batch``). The output is
smoothed by One-Euro filters; the next frame compares with the unfiltered pose.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..core.config import LoopConfig
from ..core.geometry import reprojection_error, solve_translation
from ..core.skeleton import NUM_JOINTS, bone_lengths
from ..engines.open import Engine
from ..io.numbers import whole_number
from ..solve.batch import Batch, batch_of
from ..solve.lift import lift
from ..solve.loop import translation_weights
from ..solve.start import Start, follow_start, start_sources
from .arguments import check_step
from .filters import OneEuroFilter
from .stream_config import FILTERS, StreamConfig

# A warm start keeps the skeleton's size (sum of bone lengths) within this fraction of its fresh start's.
SIZE_TOLERANCE = 0.1


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
    # (n,) bool: followed on from the previous frame (its pose, or the start closest to it); False: afresh
    continued: np.ndarray
    reprojection_px: np.ndarray  # (n,) of the unfiltered pose, as ``Estimate.reprojection_px``
    residual: np.ndarray  # (n,) the prior's residual of the unfiltered pose, as ``Estimate.prior_residual``


class Streams:
    """``size`` streams (one person each) advanced together by ``step``; ``config`` is the loop of a
    frame but for its iterations, ``stream_config`` the rest (``StreamConfig``)."""

    def __init__(
        self, engine: Engine, size: int, config: LoopConfig = LoopConfig(), stream_config: StreamConfig = StreamConfig()
    ):
        size = whole_number(size, "", "size", low=1)
        self.engine, self.stream_config = engine, stream_config
        self.config = replace(config, iterations=stream_config.iterations)
        xp = engine.xp
        self._f32 = lambda a: xp.asarray(np.ascontiguousarray(a, dtype=np.float32))  # noqa: E731
        self._host = getattr(xp, "asnumpy", np.asarray)
        library, self.mean_pose = start_sources(engine.meta, config, 1)  # mean_pose (1, 17, 3) root-relative
        self.library = None if library is None else self._f32(library)
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

    def _warm_start(self, batch: Batch, rows):
        """The previous poses of ``rows`` placed on the new rays of ``batch`` (host): (x, T, fits)
        where fits (n,) is the reprojection error in body sizes (how far the previous pose is from
        the new 2D)."""
        # The person's size is kept from the fresh start: a short loop can grow or shrink a pose a
        # little each frame, which compounds over a video (docs/decisions.md, "Stream mode").
        size, ref = bone_lengths(self.x[rows]).sum(-1), self.size[rows]
        kept = np.clip(size, ref * (1 - SIZE_TOLERANCE), ref * (1 + SIZE_TOLERANCE))
        x = self.x[rows] * (kept / size)[:, None, None].astype(np.float32)
        T = solve_translation(x, batch.rays, translation_weights(batch.scores, self.config, np), np)
        err = reprojection_error(x + T[:, None, :], batch.keypoints, batch.K, batch.mask, np)
        return x, T.astype(np.float32), err / np.maximum(body_size(batch.keypoints, batch.scores), 1e-6)

    def _start(self, keypoints, scores, K, previous):
        """The start a fresh frame of keypoints (n, 17, 2) px, scores (n, 17) and K (n, 3, 3)
        (arrays of the engine's xp) takes after its ``previous`` pose (n, 17, 3) host,
        root-relative (``start.follow_start``): (x, T), or None for the library's best."""
        xp = self.engine.xp
        batch = batch_of(keypoints, scores, K, xp)
        return follow_start(self.library, batch, self.engine, self.config, previous, self.stream_config.continuity, xp)

    def _lift(self, batch: Batch, start: Start, warm: bool):
        """Lift the host ``batch`` from ``start`` (``StreamConfig.warm``'s schedule where ``warm``):
        host x (n, 17, 3), T (n, 3), reprojection and residual (n,)."""
        config = self.warm_config if warm else self.config
        t_start = self.stream_config.warm_t_start if warm else None
        got = lift(batch.to(self.engine.xp), self.engine, config, start, t_start=t_start)
        h = self._host
        return h(got.x), h(got.T), h(got.reprojection_px), h(got.residual)

    def _advance(self, rows, batch: Batch, valid):
        """Lift one frame of each of ``rows``, ``batch`` (host) holding the ``valid`` ones. A stream
        is live when its previous pose is known and still fits the new 2D: warm
        (``StreamConfig.warm``) it starts from that pose, otherwise from its start closest to it;
        other streams start afresh. Returns x (n, 17, 3), T (n, 3), reprojection and residual (n,)
        (NaN where not valid), and the masks (n,) of warm and of live streams."""
        n, cfg = len(rows), self.stream_config
        live = valid & self.live[rows]
        if cfg.refresh_every:
            live &= self.age[rows] < cfg.refresh_every
        x, T = np.full((n, NUM_JOINTS, 3), np.nan, np.float32), np.full((n, 3), np.nan, np.float32)
        reproj, residual = np.full(n, np.nan), np.full(n, np.nan)
        placed = None
        if live.any():
            sx, sT, fit = self._warm_start(batch.take(live[valid]), rows[live])
            live[np.flatnonzero(live)[fit > cfg.lost_fit]] = False
            placed = (self._f32(sx[fit <= cfg.lost_fit]), self._f32(sT[fit <= cfg.lost_fit]))
        warm = live if cfg.warm else np.zeros(n, bool)
        if warm.any():
            got = self._lift(batch.take(warm[valid]), Start(placed=placed), True)
            x[warm], T[warm], reproj[warm], residual[warm] = got
        cold = valid & ~warm
        if cold.any():
            previous = np.where(live[:, None, None], self.x[rows], np.nan)[cold]
            poses = self._f32(np.broadcast_to(self.mean_pose, (int(cold.sum()), NUM_JOINTS, 3)))
            start = Start(library=self.library, poses=poses, previous=previous, continuity=cfg.continuity)
            x[cold], T[cold], reproj[cold], residual[cold] = self._lift(batch.take(cold[valid]), start, False)
        return x, T, reproj, residual, warm, live

    def step(self, rows, keypoints, scores, K, valid, frame) -> Step:
        """Advance the streams ``rows`` (n,) distinct indices by one frame each: keypoints (n, 17, 2)
        px, scores (n, 17), K (n, 3, 3), valid (n,) (False: too few joints, ``io.placing``), frame (n,) the
        frame index (increasing per stream; the filter's clock at ``StreamConfig.fps``)."""
        rows, kp, sc, K, valid, frame = check_step(len(self.live), rows, keypoints, scores, K, valid, frame)
        kp, sc, K = (a.astype(np.float32) for a in (kp, sc, K))
        batch = batch_of(kp[valid], sc[valid], K[valid], np)
        x, T, reproj, residual, warm, live = self._advance(rows, batch, valid)
        ok = valid & np.isfinite(x).all(axis=(1, 2)) & np.isfinite(T).all(axis=1)
        fresh = ok & ~warm
        self.x[rows[ok]] = x[ok]
        # A lost track's next frame starts afresh; the filter runs on across (only reset() clears
        # it), so a fresh start does not jump (docs/decisions.md, "Stream mode").
        self.live[rows] = ok
        self.size[rows[fresh]] = bone_lengths(x[fresh]).sum(-1)
        self.age[rows] = np.where(live, self.age[rows] + 1, 1)
        seconds = np.asarray(frame, np.float64)[ok] / self.stream_config.fps
        joints, trans = self._filtered(rows[ok], x[ok], T[ok], seconds)
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

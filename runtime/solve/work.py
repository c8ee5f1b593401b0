"""How much work each pose gets: noisy 2D the ensemble of starts, clean 2D the loop as set.

Units and frames as ``zedo.runtime.core.geometry``. On noisy 2D the mean of several short loops from
a pose's best-ranked starts (``lift.fuse``) beats one loop by 4-9 mm; on clean 2D it only costs time
(docs/decisions.md, "An ensemble of starts"). With ``LoopConfig.adapts`` the run tells the two apart
before any loop, from the start: ``start_px``, the smallest reprojection error of a pose's
shortlisted cluster poses (``candidates.rank_scored``), in px of a person ``noise.SIZE_REF_PX``
tall or taller (``noise.size_scale``). One pose's is a poor witness (ground truth and + 5 px overlap),
but a detector's noise is its source's: a pose gets ``ADAPTIVE_STARTS`` loops of
``ADAPTIVE_ITERATIONS`` when the median ``start_px`` of the poses it is lifted with exceeds
``NOISY_INPUT_PX``, or its own exceeds ``NOISY_POSE_PX`` (docs/decisions.md, "The default knows when
the 2D is noisy"). The host side (chunks, progress) is ``zedo.runtime.solve.api``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..core.config import ADAPTIVE_ITERATIONS, ADAPTIVE_STARTS, LoopConfig
from ..engines.open import Engine
from . import noise
from .batch import Batch, batch_of
from .candidates import rank_scored
from .lift import Lifted, lift
from .start import Start

NOISY_INPUT_PX = 11.7  # the median start_px of the poses lifted together above which all are noisy
NOISY_POSE_PX = 22.0  # a pose's own start_px above which it is noisy whatever the others'


@dataclass(frozen=True)
class Work:
    """What each of N poses runs: host arrays, float32 starts from ``plan_work``."""

    starts: np.ndarray  # (N,) int: loops the pose runs, 1 (the loop as set) or E (the ensemble)
    x: np.ndarray  # (N, E, 17, 3) root-relative starts, best-ranked first
    T: np.ndarray  # (N, E, 3) metres, their placement

    def __post_init__(self):
        n, e = self.x.shape[:2]
        if self.starts.shape != (n,) or self.T.shape != (n, e, 3) or not np.isin(self.starts, (1, e)).all():
            raise ValueError(f"Work: starts {self.starts.shape} must be 1 or {e} for each of x {self.x.shape}")


def noisy(start_px: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Which of N poses lifted together are noisy (N,) bool, from their start_px (N,) px and
    ``noise.size_scale`` (N,): the median of all, or the pose's own, above its threshold."""
    px = start_px / scale
    return (px > NOISY_POSE_PX) | (np.median(px) > NOISY_INPUT_PX)


def plan_work(keypoints, scores, K, library, engine: Engine, config: LoopConfig, chunk: int) -> Work:
    """The ``Work`` of N poses, keypoints (N, 17, 2) px, scores (N, 17), K (N, 3, 3) host arrays:
    the ``ADAPTIVE_STARTS`` best-ranked starts of each among ``library`` (L, 17, 3) (of
    ``engine.xp``), ranked ``chunk`` poses at a time, and which run them all (``noisy``)."""
    xp = engine.xp
    host = getattr(xp, "asnumpy", np.asarray)
    f32 = lambda a: xp.asarray(np.ascontiguousarray(a, dtype=np.float32))  # noqa: E731
    parts = []
    for i in range(0, len(keypoints), chunk):
        batch = batch_of(*(f32(a[i : i + chunk]) for a in (keypoints, scores, K)), xp)
        _, x, T, px = rank_scored(library, batch, engine, config, xp, ADAPTIVE_STARTS, sde=engine.meta.sde)
        scale = noise.size_scale(batch.keypoints, batch.mask, xp)
        parts.append([host(a) for a in (x, T, px, scale)])
    x, T, px, scale = (np.concatenate(p) for p in zip(*parts))
    return Work(np.where(noisy(px, scale), x.shape[1], 1), x, T)


def lift_planned(batch: Batch, poses, work: Work, engine: Engine, config: LoopConfig, rng, advance, rows: int):
    """``lift`` the B poses of ``batch``, poses (B,) of ``work``, each as ``work`` says: the loop as
    ``config`` sets from its best start, or ``ADAPTIVE_ITERATIONS`` from each of its E starts,
    fused; at most ``rows`` loop rows at a time. ``advance`` (poses: float) is told the share of
    poses each iteration completes. Returns the ``Lifted`` of the B poses."""
    xp = engine.xp
    more = work.starts[poses] > 1
    out = {k: None for k in Lifted.__dataclass_fields__}
    E = work.x.shape[1]
    groups = [(np.flatnonzero(~more), 1, config)]
    ensemble = np.flatnonzero(more)
    per_call = max(1, rows // E)
    groups += [
        (ensemble[i : i + per_call], E, replace(config, iterations=ADAPTIVE_ITERATIONS))
        for i in range(0, len(ensemble), per_call)
    ]
    for b, e, cfg in groups:
        if not len(b):
            continue
        p = poses[b]
        placed = (xp.asarray(work.x[p, :e].reshape(-1, *work.x.shape[2:])), xp.asarray(work.T[p, :e].reshape(-1, 3)))
        share = len(b) / cfg.iterations
        got = lift(batch.take(xp.asarray(b)), engine, cfg, Start(placed=placed), rng, lambda state, s=share: advance(s))
        for k in out:
            value = getattr(got, k)
            if out[k] is None:
                out[k] = xp.empty((len(batch),) + value.shape[1:], dtype=value.dtype)
            out[k][xp.asarray(b)] = value
    return Lifted(**out)

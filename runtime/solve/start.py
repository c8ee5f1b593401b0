"""Where the loop starts: a root-relative pose placed in the camera, ``(x (B, 17, 3), T (B, 3))``.

Units and frames as ``zedo.runtime.core.geometry``. The one place that decides it: ``start_sources``
says what a run's poses may start from (the prior's library of cluster poses for one hypothesis,
else each hypothesis' own cluster pose, the mean pose for one), and ``start_batch`` picks a batch's
start from what it is given (``Start``), in this order:

- a start placed already, kept as it is (the stream mode's previous frame, warm);
- with a library: the pose's best-ranked candidates (``zedo.runtime.solve.candidates``), the
  ``LoopConfig.start_ensemble`` best, or of the ``continuity`` best the one closest to the previous
  frame's pose (the stream mode; ``follow_start``);
- otherwise the given poses placed by the IPO (``zedo.runtime.solve.ipo``) on
  ``LoopConfig.ipo_joints``, or at the distance of its 2D size along the pelvis ray without it
  (``place_poses``: the release's single hypothesis from the mean pose, or one per cluster pose).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ..core.config import LoopConfig
from ..core.skeleton import NUM_JOINTS
from ..engines.open import Engine
from . import occluded
from .batch import Batch, batch_of
from .candidates import rank_starts
from .ipo import grid_placement, start_distance


def start_library(meta, config: LoopConfig):
    """(L, 17, 3) root-relative host poses a single hypothesis may start from, or None for the mean
    pose: up to ``config.start_candidates`` of the prior's clusters. Choosing needs the IPO's fit."""
    stored = [k for k in meta.clusters if k > 1]
    if not config.ipo or config.start_candidates <= 1 or not stored:
        return None
    poses = meta.initial_poses(min(config.start_candidates, max(stored)))
    return poses - poses[:, :1]


def start_sources(meta, config: LoopConfig, hypotheses: int):
    """What a run of ``hypotheses`` per pose may start from, host arrays: (library, poses). One
    hypothesis chooses among the library (L, 17, 3) (``start_library``; None where there is no
    choice); otherwise hypothesis h starts from poses[h] of poses (S, 17, 3), root-relative: the
    prior's S cluster poses (S = 1: its mean pose)."""
    library = start_library(meta, config) if hypotheses == 1 else None
    poses = meta.initial_poses(hypotheses)
    return library, poses - poses[:, :1]


@dataclass(frozen=True)
class Start:
    """What a batch of B poses is given to start from (``start_batch`` decides which is taken);
    arrays of the engine's ``xp`` unless said otherwise."""

    placed: tuple | None = None  # (x (B, 17, 3) root-relative, T (B, 3)) placed already: kept
    library: Any = None  # (L, 17, 3) root-relative candidate poses to choose among
    poses: Any = None  # (B, 17, 3) root-relative, each placed by the IPO where there is no library
    previous: np.ndarray | None = None  # (B, 17, 3) host root-relative poses to follow (NaN: none)
    continuity: int = 1  # with previous: of this many best-ranked candidates, the one closest to it


def place_poses(pose, batch: Batch, cfg: LoopConfig, xp):
    """Place root-relative poses (B, 17, 3) for ``batch``: by the IPO on ``cfg.ipo_joints``, or
    (``cfg.ipo`` off) unturned on the pelvis ray at the distance of the keypoints' 2D size
    (``ipo.start_distance``). Returns (x, T (B, 3)). A pose without its pelvis is placed by its
    anchor (``occluded``); where a pose has none of ``cfg.ipo_joints``, the IPO fits every joint."""
    centred = occluded.centre_on_seen(pose, batch.mask, batch.centred, xp)
    if cfg.ipo:
        if not bool((batch.mask[:, list(cfg.ipo_joints)].sum(1) > 0).all()):
            cfg = replace(cfg, ipo_joints=tuple(range(NUM_JOINTS)))
        x, T = grid_placement(centred, batch.keypoints, batch.K, batch.unit_rays[:, 0], cfg, xp, batch.mask)
    else:
        distance = start_distance(pose, batch.keypoints, batch.K, cfg, xp, batch.mask)
        x, T = centred, distance[:, None] * batch.unit_rays[:, 0]
    return occluded.reroot(x, T, batch.centred, xp)


def place_start(pose, keypoints, scores, K, cfg: LoopConfig, xp):
    """``place_poses`` for keypoints (B, 17, 2) px, scores (B, 17) (0: missing) and K (B, 3, 3)."""
    return place_poses(pose, batch_of(keypoints, scores, K, xp), cfg, xp)


def follow_start(library, batch: Batch, engine: Engine, config: LoopConfig, previous, continuity: int, xp):
    """The placed start (x (B, 17, 3), T (B, 3)) that follows each pose's ``previous`` pose (B, 17,
    3) host, root-relative: of its ``continuity`` best-ranked candidates of ``library``, the one
    whose joints lie closest on average to it; the best where it is NaN. None where there is
    nothing to follow (no library, continuity 1, an ensemble, no previous pose): the start is then
    the library's best, as per-frame mode's."""
    if library is None or previous is None or continuity == 1 or config.start_ensemble > 1 or np.isnan(previous).all():
        return None
    _, x, T = rank_starts(library, batch, engine, config, xp, continuity, sde=engine.meta.sde)
    host = getattr(xp, "asnumpy", np.asarray)
    distance = np.linalg.norm(host(x) - previous[:, None], axis=-1).mean(axis=-1)  # (B, c) metres
    pick = np.where(np.isnan(distance).any(axis=1), 0, np.argmin(np.nan_to_num(distance, nan=np.inf), axis=1))
    b, c = xp.arange(len(batch)), xp.asarray(pick)
    return x[b, c], T[b, c]


def start_batch(start: Start, batch: Batch, engine: Engine, config: LoopConfig, xp):
    """The placed start (x (B * E, 17, 3), T (B * E, 3)) of ``batch``, E starts per pose (row
    b * E + e), chosen from ``start`` in the order of the module docstring. E is
    ``config.start_ensemble`` (fewer where fewer are shortlisted) when the best of a library are
    taken, else 1."""
    if start.placed is not None:
        return start.placed
    if start.library is None:
        if start.poses is None:
            raise ValueError("start_batch: nothing to start from (no placed start, library or poses)")
        return place_poses(start.poses, batch, config, xp)
    followed = follow_start(start.library, batch, engine, config, start.previous, start.continuity, xp)
    if followed is not None:
        return followed
    _, x, T = rank_starts(start.library, batch, engine, config, xp, config.start_ensemble, sde=engine.meta.sde)
    return x.reshape((-1,) + x.shape[2:]), T.reshape(-1, 3)

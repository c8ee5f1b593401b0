"""How much work each pose gets: noisy 2D the ensemble of starts, clean 2D the loop as set.

Units and frames as ``zedo.runtime.core.geometry``. On noisy 2D the mean of several short loops from
a pose's best-ranked starts (``lift.fuse``) beats one loop by 4-9 mm; on clean 2D it only costs time
(docs/decisions.md, "An ensemble of starts"). With ``LoopConfig.adapts`` every pose first runs the
loop as set from its best start (``ranked_starts`` keeps the others), which measures its
``misfit_px`` (``noise.LoopNoise``: how far the prior's bodies stay from the keypoints). One pose's
misfit is a poor witness (ground truth and + 5 px overlap), but a detector's noise is its source's:
a pose is lifted again, from ``ADAPTIVE_STARTS`` starts of ``ADAPTIVE_ITERATIONS`` each, when the
median misfit of the poses it is lifted with (``NOISY_INPUT_POSES`` or more) exceeds
``NOISY_INPUT_PX`` or its own exceeds ``NOISY_POSE_PX`` (``noisy``; docs/decisions.md, "The
default knows when the 2D is noisy"). The host side (chunks, progress) is ``zedo.runtime.solve.api``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..core.config import ADAPTIVE_ITERATIONS, ADAPTIVE_STARTS, LoopConfig
from ..engines.open import Engine
from .batch import Batch
from .candidates import rank_starts
from .chunks import Chunks
from .lift import Lifted, lift
from .start import Start

NOISY_INPUT_PX = 5.4  # the median misfit_px of the poses lifted together above which all are noisy
# ...when at least this many are lifted together: the median of fewer says little of their source
# (one clean pose's misfit is above 5.4 px a quarter of the time), so they are judged each alone.
NOISY_INPUT_POSES = 8
NOISY_POSE_PX = 7.5  # a pose's own misfit_px above which it is noisy whatever the others'


@dataclass(frozen=True)
class Starts:
    """The best-ranked starts of N poses, host float32 arrays (``ranked_starts``)."""

    x: np.ndarray  # (N, E, 17, 3) root-relative, best first
    T: np.ndarray  # (N, E, 3) metres, their placement

    def __post_init__(self):
        if self.x.ndim != 4 or self.T.shape != self.x.shape[:2] + (3,):
            raise ValueError(f"Starts: x {self.x.shape} must be (N, E, 17, 3) and T {self.T.shape} (N, E, 3)")


def noisy(misfit_px: np.ndarray) -> np.ndarray:
    """Which of N poses lifted together get the ensemble (N,) bool, from their misfit_px (N,) px
    (NaN: not measured, taken as clean): the median of all (N >= ``NOISY_INPUT_POSES``), or the
    pose's own, above its threshold."""
    known = np.nan_to_num(misfit_px, nan=0.0)
    source = len(known) >= NOISY_INPUT_POSES and np.median(known) > NOISY_INPUT_PX
    return (known > NOISY_POSE_PX) | source


def ranked_starts(chunks: Chunks, rows, library, engine: Engine, config: LoopConfig, chunk: int) -> Starts:
    """The ``ADAPTIVE_STARTS`` best-ranked starts among ``library`` (L, 17, 3) (of ``engine.xp``) of
    the poses of ``rows`` (R,) of ``chunks``, ``chunk`` at a time."""
    xp = engine.xp
    host = getattr(xp, "asnumpy", np.asarray)
    parts = []
    for i in range(0, len(rows), chunk):
        batch = chunks.batch(rows[i : i + chunk])
        _, x, T = rank_starts(library, batch, engine, config, xp, ADAPTIVE_STARTS, sde=engine.meta.sde)
        parts.append((host(x), host(T)))
    return Starts(*(np.concatenate(p) for p in zip(*parts)))


def lift_from(batch: Batch, poses, starts: Starts, E: int, engine: Engine, config: LoopConfig, rng, advance) -> Lifted:
    """``lift`` the B poses of ``batch``, poses (B,) of ``starts``: E = 1, the loop as ``config``
    sets from the best start; E > 1, ``ADAPTIVE_ITERATIONS`` from each of the E best, fused.
    ``advance`` (poses: float) is told the share of the poses each iteration completes."""
    xp = engine.xp
    E = min(E, starts.x.shape[1])
    cfg = config if E == 1 else replace(config, iterations=ADAPTIVE_ITERATIONS)
    x = xp.asarray(starts.x[poses, :E].reshape((-1,) + starts.x.shape[2:]))
    T = xp.asarray(starts.T[poses, :E].reshape(-1, 3))
    share = len(poses) / cfg.iterations
    return lift(batch, engine, cfg, Start(placed=(x, T)), rng, lambda state: advance(share))


def lift_adaptive(
    chunks: Chunks, rows, library, engine: Engine, config: LoopConfig, chunk: int, rng, advance, again
) -> None:
    """Lift ``rows`` (R,) of ``chunks`` (one hypothesis a pose) as the module docstring says: the
    loop as ``config`` sets from each pose's best start among ``library`` (L, 17, 3), then the
    ``noisy`` ones again from their ``ADAPTIVE_STARTS`` best, their rows overwritten and
    ``chunks.loops`` set; ``chunk`` poses a pass at a time. ``advance`` as ``lift_from``;
    ``again(count)`` is told how many poses the second pass lifts before it starts."""
    if not len(rows):
        return
    starts = ranked_starts(chunks, rows, library, engine, config, chunk)
    at = lambda r: np.searchsorted(rows, r)  # noqa: E731  rows are ascending: a row's place among them
    chunks.run(rows, chunk, lambda b, r: lift_from(b, at(r), starts, 1, engine, config, rng, advance))
    chunks.loops[rows] = 1
    noisy_rows = rows[noisy(chunks.misfit_px[rows])]
    E = starts.x.shape[1]
    again(len(noisy_rows))
    chunks.run(
        noisy_rows, max(1, chunk // E), lambda b, r: lift_from(b, at(r), starts, E, engine, config, rng, advance)
    )
    chunks.loops[noisy_rows] = E

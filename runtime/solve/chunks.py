"""``Chunks``: the (pose, hypothesis) rows of a run lifted a chunk at a time, results gathered on the host.

Units and frames as ``zedo.runtime.core.geometry``. ``zedo.runtime.solve.api`` makes one per run and
says how each chunk is lifted (``zedo.runtime.solve.lift``, or ``zedo.runtime.solve.work``'s second
pass for noisy poses, which overwrites their rows).
"""

from __future__ import annotations

import numpy as np

from ..engines.open import Engine
from ..io.validation import Inputs
from .batch import batch_of


def f32(a, xp):
    """``a`` as a contiguous float32 array of ``xp``."""
    return xp.asarray(np.ascontiguousarray(a, dtype=np.float32))


class Chunks:
    """The n * S rows of ``inputs`` (row r: pose r // S, hypothesis r % S) and what lifting them
    gave, host arrays (rows,): ``reprojection_px``, ``residual`` (the prior's), ``noise_px``,
    ``misfit_px`` (NaN where the noise is given) and ``loops`` (the loops each ran and averaged);
    camera-frame poses go to ``out`` (rows, 17, 3)."""

    def __init__(self, inputs: Inputs, S: int, engine: Engine, out: np.ndarray, loops: int):
        self.inputs, self.S, self.xp, self.out = inputs, S, engine.xp, out
        n = len(inputs.keypoints) * S
        self.rows = np.arange(n)
        self.reprojection_px, self.residual, self.noise_px, self.misfit_px = (np.full(n, np.nan) for _ in range(4))
        self.loops = np.full(n, loops, dtype=np.int64)

    def batch(self, rows: np.ndarray):
        """The ``batch.Batch`` of the poses of ``rows`` (row r: pose r // S), arrays of the engine's xp."""
        p, inputs = rows // self.S, self.inputs
        return batch_of(*(f32(a[p], self.xp) for a in (inputs.keypoints, inputs.scores, inputs.K)), self.xp)

    def run(self, rows: np.ndarray, per_call: int, lift_rows) -> None:
        """Lift ``rows`` ``per_call`` at a time by ``lift_rows(batch, rows)`` -> ``lift.Lifted``."""
        to_host = getattr(self.xp, "asnumpy", np.asarray)
        for i in range(0, len(rows), per_call):
            r = rows[i : i + per_call]
            got = lift_rows(self.batch(r), r)
            self.reprojection_px[r], self.residual[r] = to_host(got.reprojection_px), to_host(got.residual)
            self.noise_px[r] = to_host(got.noise_px)
            self.misfit_px[r] = np.nan if got.misfit_px is None else to_host(got.misfit_px)
            self.out[r] = to_host(got.x + got.T[:, None, :])

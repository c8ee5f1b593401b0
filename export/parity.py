"""The export's parity inputs: a prior's clean poses noised as the SDE does at ZeDO's t, fed at
several batch sizes; and the check of a written file against its source on them (torch-free).

Poses are (N, 17, 3) float32 root-relative metres; at each t in ``PARITY_TIMES`` the same
max(batches) poses are noised, x_t = mean_coeff(t) x_0 + std(t) eps, and fed once per batch size
b (its first b rows, one call). Errors are reported per t (``zedo.runtime.engines.compare``).
"""

from __future__ import annotations

import numpy as np

from zedo.runtime.core.sde import marginal_std, mean_coeff
from zedo.runtime.core.skeleton import NUM_JOINTS
from zedo.runtime.engines.compare import CompareReport, Runner, compare, require
from zedo.runtime.engines.prior_file import PriorMeta

PARITY_TIMES: tuple[float, ...] = (0.01, 0.03, 0.06, 0.1)  # spans ZeDO's loop, t_min to t_max
PARITY_BATCHES: tuple[int, ...] = (1, 64)
PARITY_SEED = 0


def clean_poses(source) -> np.ndarray:
    """(N, 17, 3) float32 clean poses: a ``PriorMeta``'s clusters (all S), or the caller's array.

    ValueError naming ``parity_poses`` for a bad shape or NaN/inf values.
    """
    if isinstance(source, PriorMeta):
        return np.concatenate([source.clusters[s] for s in sorted(source.clusters)]).astype(np.float32)
    poses = np.asarray(source, dtype=np.float32)
    if poses.ndim != 3 or poses.shape[1:] != (NUM_JOINTS, 3) or len(poses) == 0:
        raise ValueError(f"parity_poses must have shape (N, {NUM_JOINTS}, 3), got {poses.shape}")
    if not np.isfinite(poses).all():
        raise ValueError("parity_poses hold NaN or infinite values")
    return poses


def parity_inputs(poses: np.ndarray, batches: tuple[int, ...] = PARITY_BATCHES):
    """(x (M, 17, 3), t (M,), call sizes, distinct poses used) for ``compare(..., batch=calls)``.

    Every pose when there are at most max(batches) (cycled to fill the batch), else that many
    spread evenly over them. Deterministic (seed ``PARITY_SEED``).
    """
    rng = np.random.default_rng(PARITY_SEED)
    n = max(batches)
    index = np.arange(n) % len(poses) if len(poses) <= n else np.linspace(0, len(poses) - 1, n).astype(int)
    x0 = poses[index]
    xs, ts = [], []
    for t in PARITY_TIMES:
        noise = rng.standard_normal(x0.shape)
        x = (mean_coeff(t) * x0 + marginal_std(t) * noise).astype(np.float32)
        xs += [x[:b] for b in batches]
        ts += [np.full(b, t, dtype=np.float32) for b in batches]
    return np.concatenate(xs), np.concatenate(ts), tuple(batches) * len(PARITY_TIMES), len(set(index.tolist()))


def check_parity(
    reference: Runner,
    candidate: Runner,
    poses: np.ndarray,
    atol: float,
    names: tuple[str, str],
    failure: str,
    batches=PARITY_BATCHES,
) -> CompareReport:
    """Compare ``candidate`` with ``reference`` on ``poses`` noised at each t; ParityError (a
    RuntimeError) "<failure>: max |eps error| ..." above ``atol``, else the report."""
    x, t, calls, distinct = parity_inputs(poses, batches)
    inputs = f"{distinct} poses noised at each t, batch {' and '.join(map(str, batches))}"
    report = compare(reference, candidate, x, t, atol, batch=calls, names=names, inputs=inputs)
    return require(report, failure)

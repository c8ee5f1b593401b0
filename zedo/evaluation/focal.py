"""The focal length of an unknown camera searched over a video: an experiment, measured and NOT
used by ``zedo-infer`` (no flag, no Request field), because it is not robust.

With the image size only, K's focal length is a guess (``core.camera.default_K``, 1.2 x the longer
side). Many poses of one body seen by one camera constrain it a little through perspective (the
body's depth-dependent foreshortening): ``search_focal`` lifts a sample of the poses with a short
loop at each focal of a log grid around the guess (``FOCAL_FACTORS``) and picks the focal whose
poses the prior finds most plausible (median ``Estimate.prior_residual``), whose bone lengths vary
least over the frames (median over bones of std / mean), or the lowest sum of both ranks
(``CRITERIA``).

Measured (``benchmarks/focal.py``, S9, 29 clips of 75 frames, ground-truth 2D, h36m prior, the
image size 1000 x 1002 only: guess 1202.4 px, true about 1145 px; 48 poses x 50 iterations a focal):
the found / true ratio per clip spreads over 0.53-2.09 (residual), 0.53-1.54 (bones), 0.53-1.30
(both), 10th-90th percentile, and video MPJPE is 81.0 / 53.8 / 50.6 mm against 45.3 mm with the
guess and 44.6 mm with the true K. 75 poses x 200 iterations (12 clips) is worse, the residual
then drifting to 2x. Both criteria are nearly flat over 0.5x-1.2x (a few per cent), so per-clip
noise decides. Units: pixels (focal lengths, K), metres (poses).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from zedo.runtime.core.config import LoopConfig
from zedo.runtime.core.skeleton import BONES
from zedo.runtime.io.validation import Inputs
from zedo.runtime.solve.api import estimate_inputs

FOCAL_FACTORS = tuple(float(f) for f in np.geomspace(0.5, 2.0, 9))  # times the guess
SAMPLE_POSES = 48  # poses lifted per focal, spread evenly over the valid ones
SEARCH_ITERATIONS = 50  # loop iterations of each sample lift
CRITERIA = ("residual", "bones", "both")


@dataclass(frozen=True)
class FocalSearch:
    """What the search saw: ``focal`` (px) chosen, the ``guess`` (px) it started from, and per
    factor of ``factors`` (F,): the median ``prior_residual`` (F,) and ``bone_spread`` (F,), the
    median over bones of each bone length's std / mean over the sampled poses."""

    focal: float
    guess: float
    factors: np.ndarray
    prior_residual: np.ndarray
    bone_spread: np.ndarray


def sample_rows(inputs: Inputs, count: int) -> np.ndarray:
    """Up to ``count`` row indices of valid poses, spread evenly over the input."""
    valid = np.flatnonzero(inputs.valid)
    return valid[np.unique(np.linspace(0, len(valid) - 1, min(count, len(valid))).round().astype(int))]


def with_focal(inputs: Inputs, factor: float) -> Inputs:
    """``inputs`` with both focal lengths of every K times ``factor`` (principal point kept)."""
    K = np.array(inputs.K)
    K[:, 0, :2] *= factor
    K[:, 1, 1] *= factor
    return replace(inputs, K=K)


def bone_spread(joints_3d: np.ndarray) -> float:
    """Median over bones of (std / mean) of the bone's length over poses (N, 17, 3) metres."""
    parent, child = np.array(BONES).T
    lengths = np.linalg.norm(joints_3d[:, child] - joints_3d[:, parent], axis=-1)
    return float(np.nanmedian(np.nanstd(lengths, 0) / np.nanmean(lengths, 0)))


def choose(residual: np.ndarray, spread: np.ndarray, criterion: str = "both") -> int:
    """The index of the chosen factor: the lowest residual, the lowest spread, or the lowest sum
    of both ranks (ties: the lower residual)."""
    if criterion == "residual":
        return int(np.nanargmin(residual))
    if criterion == "bones":
        return int(np.nanargmin(spread))
    ranks = np.argsort(np.argsort(residual)) + np.argsort(np.argsort(spread))
    return int(np.lexsort((residual, ranks))[0])


def search_focal(
    inputs: Inputs,
    engine,
    config: LoopConfig = LoopConfig(),
    factors=FOCAL_FACTORS,
    sample: int = SAMPLE_POSES,
    iterations: int = SEARCH_ITERATIONS,
    criterion: str = "both",
) -> FocalSearch:
    """Search the focal length of ``inputs`` (one camera: every K the same guess) over
    ``factors`` x the guess; see the module docstring. ValueError if the K differ."""
    if not (inputs.K == inputs.K[0]).all():
        raise ValueError("the focal search needs one camera: every pose's K the same")
    sub = replace(inputs.take(sample_rows(inputs, sample)), frame=None, track=None)
    short = replace(config, iterations=iterations)
    residual, spread = [], []
    for factor in factors:
        est = estimate_inputs(with_focal(sub, factor), engine, 1, short)
        residual.append(float(np.nanmedian(est.prior_residual[:, 0])))
        spread.append(bone_spread(est.joints_3d))
    residual, spread = np.array(residual), np.array(spread)
    guess = float(inputs.K[0, 0, 0])
    best = choose(residual, spread, criterion)
    return FocalSearch(guess * float(factors[best]), guess, np.asarray(factors, float), residual, spread)

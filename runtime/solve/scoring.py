"""How good a lifted pose is, without ground truth: by its reprojection and by the prior.

Units and frames as ``zedo.runtime.core.geometry``. The prior judges plausibility by its RMS predicted
noise at a mid-range t, where that prediction measures the distance to typical poses; it ranks the
start candidates and picks among hypotheses (docs/decisions.md, "Selection").
"""

from __future__ import annotations

from ..engines.open import Engine

PLAUSIBILITY_T = 0.06  # where the predicted noise ranks poses best; see docs/decisions.md
SELECTIONS = ("prior", "reprojection")


def prior_residual(pose, engine: Engine, t: float, xp):
    """RMS of the prior's predicted noise (B,) for poses (B, 17, 3) taken root-relative, at time t:
    how far each pose is from those the prior was trained on (0 for its most typical poses)."""
    eps = engine(pose - pose[:, :1], xp.full((pose.shape[0],), t, dtype=pose.dtype))
    return xp.sqrt((eps**2).mean(axis=(1, 2)))


def row_ranks(a, xp):
    """Rank of each entry of (B, C) within its row: the number of strictly smaller entries, so
    equal entries share the lower rank."""
    return (a[:, None, :] < a[:, :, None]).sum(axis=-1)


def select_hypotheses(reprojection_px, residual, selection: str, xp):
    """Index (N,) of the hypothesis each pose reports, from (N, S) criteria: the smallest prior
    residual ("prior") or the smallest reprojection error ("reprojection")."""
    if selection not in SELECTIONS:
        raise ValueError(f"selection must be one of {', '.join(SELECTIONS)}, got {selection!r}")
    return xp.argmin(reprojection_px if selection == "reprojection" else residual, axis=1)

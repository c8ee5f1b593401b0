"""How good a lifted pose is, without ground truth: by its reprojection and by the prior.

Units and frames as ``zedo.runtime.core.geometry``. The prior judges plausibility by its RMS predicted
noise at a mid-range t, where that prediction measures the distance to typical poses; it ranks the
start candidates and picks among hypotheses (docs/decisions.md, "Selection").
"""

from __future__ import annotations

from ..engines.open import Engine

PLAUSIBILITY_T = 0.06  # where the predicted noise ranks poses best; see docs/decisions.md
SELECTIONS = ("auto", "both", "prior", "reprojection")


def prior_residual(pose, engine: Engine, t: float, xp):
    """RMS of the prior's predicted noise (B,) for poses (B, 17, 3) taken root-relative, at time t:
    how far each pose is from those the prior was trained on (0 for its most typical poses)."""
    eps = engine(pose - pose[:, :1], xp.full((pose.shape[0],), t, dtype=pose.dtype))
    return xp.sqrt((eps**2).mean(axis=(1, 2)))


def row_ranks(a, xp):
    """Rank of each entry of (B, C) within its row: the number of strictly smaller entries, so
    equal entries share the lower rank."""
    return (a[:, None, :] < a[:, :, None]).sum(axis=-1)


def selection_rule(selection: str, noise_px: float | None) -> str:
    """The rule ``selection`` means in a run whose loop assumed ``noise_px`` (``LoopConfig.noise_px``):
    "auto" is "prior" with the exact data step (noise_px 0: every hypothesis sits on the rays, so
    their reprojection errors cannot tell them apart) and "both" otherwise, which picks as well as
    the better of the two at every noise level measured (docs/decisions.md, "The default knows when
    the 2D is noisy")."""
    if selection not in SELECTIONS:
        raise ValueError(f"selection must be one of {', '.join(SELECTIONS)}, got {selection!r}")
    if selection != "auto":
        return selection
    return "prior" if noise_px == 0 else "both"


def select_hypotheses(reprojection_px, residual, selection: str, xp):
    """Index (N,) of the hypothesis each pose reports, from (N, S) criteria: the smallest prior
    residual ("prior"), the smallest reprojection error ("reprojection"), or the smallest sum of
    the two's ranks among the pose's hypotheses ("both"; ties: the first), as the start is ranked."""
    if selection not in SELECTIONS[1:]:
        raise ValueError(f"selection must be one of {', '.join(SELECTIONS[1:])}, got {selection!r}")
    if selection == "both":
        return xp.argmin(row_ranks(reprojection_px, xp) + row_ranks(residual, xp), axis=1)
    return xp.argmin(reprojection_px if selection == "reprojection" else residual, axis=1)

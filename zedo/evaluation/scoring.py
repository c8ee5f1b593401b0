"""Scores of hypotheses against the truth: the fields of zedo-eval's JSON (millimetres, percent).

MPJPE and PA-MPJPE are the mean over actions of each action's mean, as the paper reports them;
PCK at 150 mm and AUC are over all poses (``metrics``).
"""

from __future__ import annotations

import numpy as np

from .evalset import EvalSet
from .metrics import auc, mpjpe, pa_mpjpe, pck


def action_mean(err: np.ndarray, actions: np.ndarray) -> float:
    """Mean over actions of the per-action mean error (the paper's averaging); err, actions (M,)."""
    return float(np.mean([err[actions == a].mean() for a in np.unique(actions)]))


def score(hyps: np.ndarray, selected: np.ndarray, data: EvalSet, other_selected: dict | None = None) -> dict:
    """Errors of hypotheses (M, S, 17, 3) metres: the selected one (M,), the mean over hypotheses,
    the oracle minimum, and the selected one under each other selection rule in
    ``other_selected`` {name: (M,)}."""
    gt = data.gt[:, None]
    p1, p2 = mpjpe(hyps, np.broadcast_to(gt, hyps.shape)), pa_mpjpe(hyps, np.broadcast_to(gt, hyps.shape))
    rows = np.arange(len(hyps))
    sel = hyps[rows, selected]
    out = {
        "poses": int(len(hyps)),
        "mpjpe": action_mean(p1[rows, selected], data.actions),
        "pa_mpjpe": action_mean(p2[rows, selected], data.actions),
        "pck150": pck(sel, data.gt),
        "auc": auc(sel, data.gt),
        "per_action_mpjpe": {a: float(p1[rows, selected][data.actions == a].mean()) for a in np.unique(data.actions)},
    }
    if hyps.shape[1] > 1:
        out.update(
            mpjpe_mean_hyp=action_mean(p1.mean(1), data.actions),
            pa_mpjpe_mean_hyp=action_mean(p2.mean(1), data.actions),
            mpjpe_oracle=action_mean(p1.min(1), data.actions),
            pa_mpjpe_oracle=action_mean(p2.min(1), data.actions),
        )
        for name, sel_other in (other_selected or {}).items():
            out[f"mpjpe_{name}_selected"] = action_mean(p1[rows, sel_other], data.actions)
            out[f"pa_mpjpe_{name}_selected"] = action_mean(p2[rows, sel_other], data.actions)
    return out

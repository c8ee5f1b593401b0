"""``estimate``: 2D keypoints and intrinsics in, metric camera-frame 3D poses out.

Units and frames as in ``zedo.runtime.loop``: keypoints (N, 17, 2) pixels in the Human3.6M layout,
scores (N, 17) in [0, 1] (0: joint missing), K (3, 3) or (N, 3, 3) pixel intrinsics; results in
metres in the camera frame (x right, y down, z forward).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from tqdm.auto import tqdm

from .loop import PLAUSIBILITY_T, LoopConfig, choose_start, prior_residual, reprojection_error, run_loop
from .skeleton import IPO_JOINTS, NUM_JOINTS

SELECTIONS = ("prior", "reprojection")


@dataclass(frozen=True)
class Estimate:
    """Output of ``estimate``; N poses, S hypotheses."""

    joints_3d: np.ndarray  # (N, 17, 3) metres, camera frame, the selected hypothesis
    translation: np.ndarray  # (N, 3) metres, the pelvis of joints_3d (joints_3d - translation is root-relative)
    hypotheses: np.ndarray  # (N, S, 17, 3) metres, camera frame, every hypothesis
    selected: np.ndarray  # (N,) index of the hypothesis in joints_3d
    reprojection_px: np.ndarray  # (N, S) score-weighted mean reprojection error, pixels
    prior_residual: np.ndarray  # (N, S) RMS predicted noise at loop.PLAUSIBILITY_T (lower: more plausible to the prior)
    selection: str  # criterion that chose ``selected``


def validate_inputs(keypoints, K, scores=None, source: str = "input"):
    """Check shapes and values; return float64 (keypoints with missing joints zeroed, K (N,3,3), scores).

    Raises ValueError naming ``source``, the field and the offending pose index or value.
    """
    kp = np.asarray(keypoints, dtype=np.float64)
    if kp.ndim != 3 or kp.shape[1:] != (NUM_JOINTS, 2):
        raise ValueError(f"{source}: keypoints has shape {kp.shape}, expected (N, {NUM_JOINTS}, 2) pixels")
    n = len(kp)
    if n == 0:
        raise ValueError(f"{source}: keypoints holds no poses")
    if scores is None:
        sc = np.ones((n, NUM_JOINTS))
    else:
        sc = np.asarray(scores, dtype=np.float64)
        if sc.shape != (n, NUM_JOINTS):
            raise ValueError(f"{source}: scores has shape {sc.shape}, expected ({n}, {NUM_JOINTS})")
        bad = ~np.isfinite(sc) | (sc < 0) | (sc > 1)
        if bad.any():
            i, j = np.argwhere(bad)[0]
            raise ValueError(f"{source}: scores[{i}, {j}] = {sc[i, j]} is not in [0, 1]")
    finite = np.isfinite(kp).all(-1)
    bad = ~finite & (sc > 0)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise ValueError(f"{source}: keypoints[{i}, {j}] = {kp[i, j].tolist()} is not finite (give it score 0 if the joint is missing)")
    kp = np.where(finite[..., None], kp, 0.0)
    empty = (sc <= 0).all(-1)
    if empty.any():
        raise ValueError(f"{source}: scores of pose {int(np.argmax(empty))} are all zero; nothing to fit")
    ipo_missing = (sc[:, list(IPO_JOINTS)] <= 0).any(-1)
    if ipo_missing.any():
        raise ValueError(f"{source}: pose {int(np.argmax(ipo_missing))} lacks the pelvis or a hip (joints {list(IPO_JOINTS)} need score > 0 to place the pose)")
    Km = np.asarray(K, dtype=np.float64)
    if Km.shape == (3, 3):
        Km = np.broadcast_to(Km, (n, 3, 3))
    if Km.shape != (n, 3, 3):
        raise ValueError(f"{source}: K has shape {Km.shape}, expected (3, 3) or ({n}, 3, 3)")
    if not np.isfinite(Km).all():
        raise ValueError(f"{source}: K has non-finite entries")
    det = np.linalg.det(Km)
    scale = np.abs(Km[:, :2, :2]).max(axis=(1, 2)) ** 2
    singular = np.abs(det) <= 1e-9 * np.maximum(scale, 1e-300)
    if singular.any():
        i = int(np.argmax(singular))
        raise ValueError(f"{source}: K[{i}] is singular (det {det[i]:.3g}); expected pixel intrinsics [[fx,0,cx],[0,fy,cy],[0,0,1]]")
    homog = np.concatenate([kp, np.ones((n, NUM_JOINTS, 1))], -1)
    depth = np.einsum("nij,nkj->nki", np.linalg.inv(Km), homog)[..., 2]
    behind = (depth <= 0) & (sc > 0)
    if behind.any():
        i, j = np.argwhere(behind)[0]
        raise ValueError(f"{source}: keypoints[{i}, {j}] back-projects behind the camera with K[{i}] (check the sign of fx, fy and K's last row)")
    return kp, np.array(Km), sc


def _initial_candidates(meta, config: LoopConfig):
    """(C, 17, 3) root-relative poses a single hypothesis may start from, or None for the mean pose:
    up to ``config.initial_candidates`` of the prior's clusters. Choosing needs the IPO's fit."""
    stored = [k for k in meta.clusters if k > 1]
    if not config.ipo or config.initial_candidates <= 1 or not stored:
        return None
    poses = meta.initial_poses(min(config.initial_candidates, max(stored)))
    return poses - poses[:, :1]


def estimate(
    keypoints,
    K,
    scores=None,
    engine=None,
    hypotheses: int = 1,
    config: LoopConfig = LoopConfig(),
    batch_size: int = 1024,
    selection: str = "prior",
    seed: int = 0,
    progress: bool = False,
) -> Estimate:
    """Lift 2D keypoints to 3D with ZeDO. ``engine``: an engine object, a bundled prior name or a path
    (see ``zedo.runtime.engines.open_engine``); None runs the bundled default prior on the CPU.

    Poses are run in batches of ``batch_size`` (pose, hypothesis) pairs, one prior call per batch
    per iteration. ``seed`` seeds the "sde" sampler's noise (the default "ode" sampler is
    deterministic).
    """
    from .engines import open_engine

    if hypotheses < 1:
        raise ValueError(f"hypotheses must be >= 1, got {hypotheses}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    if selection not in SELECTIONS:
        raise ValueError(f"selection must be one of {SELECTIONS}, got {selection!r}")
    if config.iterations < 1:
        raise ValueError(f"iterations must be >= 1, got {config.iterations}")
    if config.initial_candidates < 1:
        raise ValueError(f"initial_candidates must be >= 1, got {config.initial_candidates}")
    if config.start_shortlist < 1:
        raise ValueError(f"start_shortlist must be >= 1, got {config.start_shortlist}")
    kp, Km, sc = validate_inputs(keypoints, K, scores)
    if engine is None or isinstance(engine, (str, bytes)) or hasattr(engine, "__fspath__"):
        engine = open_engine(engine)
    xp, meta = engine.xp, engine.meta
    to_host = getattr(xp, "asnumpy", np.asarray)
    n, S = len(kp), hypotheses
    init = meta.initial_poses(S)
    init = init - init[:, :1]
    candidates = _initial_candidates(meta, config) if S == 1 else None
    # Flatten (pose, hypothesis) pairs: row r is pose r // S started from cluster r % S.
    rows = np.arange(n * S)
    pose_of, hyp_of = rows // S, rows % S
    out = np.empty((n * S, NUM_JOINTS, 3))
    reproj = np.empty(n * S)
    residual = np.empty(n * S)
    rng = xp.random.default_rng(seed) if hasattr(xp.random, "default_rng") else None
    chunks = [rows[i : i + batch_size] for i in range(0, n * S, batch_size)]
    f32 = lambda a: xp.asarray(np.ascontiguousarray(a, dtype=np.float32))  # noqa: E731
    if candidates is not None:
        candidates = f32(candidates)
    # The context closes the bar on failure too, so an error message starts on a fresh line.
    with tqdm(total=len(chunks) * config.iterations, disable=not progress, desc="zedo", unit="it") as bar:
        for r in chunks:
            p = pose_of[r]
            kp_d, sc_d, K_d = f32(kp[p]), f32(sc[p]), f32(Km[p])
            if candidates is None:
                start, start_T = f32(init[hyp_of[r]]), None
            else:
                _, start, start_T = choose_start(candidates, kp_d, sc_d, K_d, engine, config, xp)
            x, T = run_loop(start, kp_d, sc_d, K_d, engine, meta.sde, config, xp, rng, bar.update, start_T)
            cam = x + T[:, None, :]
            w = sc_d * (sc_d > 0)
            reproj[r] = to_host(reprojection_error(cam, kp_d, K_d, w, xp))
            residual[r] = to_host(prior_residual(x, engine, PLAUSIBILITY_T, xp))
            out[r] = to_host(cam)
    hyps = out.reshape(n, S, NUM_JOINTS, 3)
    reproj, residual = reproj.reshape(n, S), residual.reshape(n, S)
    selected = np.argmin(reproj if selection == "reprojection" else residual, axis=1)
    joints = hyps[np.arange(n), selected]
    return Estimate(joints, joints[:, 0].copy(), hyps, selected, reproj, residual, selection)

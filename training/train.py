"""Denoising score matching of the pose prior under the sub-VP SDE, with EMA, resume and a seed.

Loss (Song et al. 2021, eq. 7, noise parametrisation, no likelihood weighting):
E_{t, x0, eps} || eps_theta(mean_coeff(t) x0 + std(t) eps, t) - eps ||^2, with t drawn from
[t_lo, t_hi]: ZeDO queries the prior only for t in [0.01, 0.1], so training spends its steps there.
"""

from __future__ import annotations

import json
import math
import time
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from zedo.runtime.core.sde import SDEConfig, marginal_std, mean_coeff
from zedo.runtime.core.skeleton import FLIP_PERMUTATION, JOINT_NAMES, PARENTS
from zedo.runtime.engines.prior_meta import pose_extent_problem
from zedo.runtime.io.atomic import atomic_path
from zedo.runtime.io.npz import read_npz

from .clusters import CLUSTER_SIZES, kmeans_poses
from .config import PriorConfig, TrainConfig
from .model import ScoreNet

CHECKPOINT_FORMAT = "zedo-prior-v1"


def _lr_at(step: int, cfg: TrainConfig) -> float:
    """Learning rate of step ``step``: linear warm-up to ``cfg.lr``, then cosine decay to lr/20."""
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    progress = (step - cfg.warmup) / max(1, cfg.steps - cfg.warmup)
    return cfg.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress))))


def dsm_loss(
    model: torch.nn.Module, x0: torch.Tensor, t: torch.Tensor, eps: torch.Tensor, sde: SDEConfig
) -> torch.Tensor:
    """Mean squared noise-prediction error; x0, eps (B, 17, 3) metres and unit noise, t (B,)."""
    m = mean_coeff(t, sde, torch)[:, None, None]
    s = marginal_std(t, sde, torch)[:, None, None]
    return ((model(m * x0 + s * eps, t) - eps) ** 2).mean()


def _bone_partner() -> list[int]:
    """For each joint, the joint whose bone shares its length factor (its mirror, or itself)."""
    return [min(j, FLIP_PERMUTATION[j]) for j in range(len(PARENTS))]


def augment_bone_lengths(x0: torch.Tensor, std: float, gen: torch.Generator) -> torch.Tensor:
    """Vary the proportions of root-relative poses (B, 17, 3): each bone scaled by exp(std * n), n ~ N(0, 1)
    per pose and bone, then the whole pose rescaled to its original total bone length.

    Human3.6M has one skeleton per subject, so a prior trained on five subjects learns five
    skeletons; random proportions (left and right alike, so poses stay symmetric) would teach it a
    continuum instead. Bone directions are kept; joints are re-accumulated from the root (parents
    precede children in PARENTS). The shipped recipes leave it off (it made the loop's S9 error
    worse): see docs/decisions.md, "Bone-proportion augmentation off".
    """
    b = x0.shape[0]
    factors = torch.exp(std * torch.randn(b, len(PARENTS), generator=gen))[:, _bone_partner()]
    out = torch.zeros_like(x0)
    before = torch.zeros(b)
    after = torch.zeros(b)
    for j, p in enumerate(PARENTS):
        if p >= 0:
            bone = x0[:, j] - x0[:, p]
            out[:, j] = out[:, p] + factors[:, j, None] * bone
            length = bone.norm(dim=-1)
            before += length
            after += factors[:, j] * length
    # Keep the skeleton's total length: the loop cannot see depth, so a pose's size comes from the
    # prior alone (same entry of docs/decisions.md).
    return out * (before / after)[:, None, None]


def load_pose_files(paths) -> tuple[np.ndarray, list[dict]]:
    """Concatenate prepared pose files (``zedo-prepare`` output): poses (M, 17, 3) float32 metres,
    and one provenance dict per file (its name, pose count and recorded provenance).
    ValueError naming the file that is unreadable or lacks a ``poses`` array of at least one
    root-relative pose (M, 17, 3) of real, finite metres, or whose provenance is not a JSON object."""
    paths = [Path(p) for p in paths]
    if not paths:
        raise ValueError("no prepared pose files given")
    poses, prov = [], []
    for p in paths:
        d = read_npz(p, "prepared .npz pose file (make it with zedo-prepare)")
        if "poses" not in d:
            raise ValueError(f"{p}: no 'poses' array (found {sorted(d)}); make it with zedo-prepare")
        poses.append(_check_poses(d["poses"], p))
        prov.append({"file": p.name, "poses": int(len(poses[-1])), **_provenance(d, p)})
    return np.concatenate(poses), prov


def _check_poses(arr: np.ndarray, path: Path) -> np.ndarray:
    """``poses`` of a prepared file as float32, checked: (M >= 1, 17, 3) real, finite, root-relative
    metres, each reaching a plausible distance from the pelvis (``pose_extent_problem``)."""
    if arr.dtype.kind not in "iuf":
        raise ValueError(f"{path}: 'poses' must hold real numbers, got {arr.dtype} values")
    if arr.ndim != 3 or arr.shape[1:] != (17, 3) or len(arr) == 0:
        raise ValueError(f"{path}: 'poses' has shape {arr.shape}, expected (M, 17, 3) with M >= 1")
    arr = arr.astype(np.float32)
    finite = np.isfinite(arr).all(axis=(1, 2))
    if not finite.all():
        raise ValueError(f"{path}: 'poses'[{int(np.argmin(finite))}] holds NaN or infinite values")
    pelvis = np.abs(arr[:, 0]).max(-1)
    if (pelvis > 1e-3).any():
        i = int(np.argmax(pelvis > 1e-3))
        raise ValueError(
            f"{path}: 'poses'[{i}] has its pelvis at {arr[i, 0].tolist()}; poses must be root-relative (pelvis at 0)"
        )
    problem = pose_extent_problem(arr)
    if problem:
        raise ValueError(f"{path}: 'poses'{problem}")
    return arr


def _provenance(d: dict, path: Path) -> dict:
    """The JSON object a prepared file records as its ``provenance`` ({} if none)."""
    if "provenance" not in d:
        return {}
    try:
        value = json.loads(str(d["provenance"]))
    except (json.JSONDecodeError, RecursionError):
        value = None
    if not isinstance(value, dict):
        raise ValueError(f"{path}: 'provenance' is not a JSON object; make the file with zedo-prepare")
    return value


def skeleton_dict() -> dict:
    """The checkpoint's ``skeleton`` entry: layout name, the 17 joint names and their parents."""
    return {"layout": "h36m17", "joint_names": list(JOINT_NAMES), "parents": list(PARENTS)}


def start_clusters(poses: np.ndarray, seed: int) -> dict[str, torch.Tensor]:
    """The checkpoint's ``clusters_S`` entries: k-means centres (S, 17, 3) float32 metres of the
    training poses (M, 17, 3), the candidate start poses, for each S in CLUSTER_SIZES up to M."""
    return {
        f"clusters_{k}": torch.from_numpy(kmeans_poses(poses, k, seed=seed)) for k in CLUSTER_SIZES if k <= len(poses)
    }


def train(
    data_paths,
    out: str | Path,
    cfg: TrainConfig = TrainConfig(),
    prior: PriorConfig = PriorConfig(),
    sde: SDEConfig = SDEConfig(),
    resume: bool = True,
    progress: bool = True,
) -> Path:
    """Train a prior on prepared pose files and write ``out`` (a .pt checkpoint); returns its path.

    A checkpoint is rewritten (atomically) every ``cfg.checkpoint_every`` steps; with ``resume`` an
    existing ``out`` that zedo-train wrote with the same configuration is continued from its step,
    bit for bit (it is read with ``torch.load(weights_only=True)``: tensors and plain containers,
    never code; any other file is refused). A loss that is not finite stops the run (RuntimeError).
    The clusters are computed once, for the final checkpoint.
    """
    out = Path(out)
    poses, provenance = load_pose_files(data_paths)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    run = _new_run(cfg, prior)
    if resume and out.exists():
        _resume(run, out, cfg, prior)
    settings = {
        "prior_config": prior.to_dict(),
        "sde_config": asdict(sde),
        "train_config": asdict(cfg),
        "skeleton": skeleton_dict(),
        "provenance": provenance,
    }
    _optimise(run, torch.from_numpy(poses), cfg, sde, progress, checkpoint=lambda: _save(out, run, settings, {}))
    _save(out, run, settings, start_clusters(poses, cfg.seed))
    return out


@dataclass
class _Run:
    """What a checkpoint saves and resume restores, besides the settings."""

    model: ScoreNet
    ema: ScoreNet  # exponential moving average of model's weights
    opt: torch.optim.Adam
    gen: torch.Generator  # draws batches, flips, augmentation, t and noise
    step: int = 0  # optimiser steps taken
    seconds: float = 0.0  # training wall time so far, earlier runs of a resumed checkpoint included


def _new_run(cfg: TrainConfig, prior: PriorConfig) -> _Run:
    """A seeded start: the network, its EMA copy, Adam and the data generator (in this order: the
    global seed's draws go to the two networks' initial weights)."""
    torch.manual_seed(cfg.seed)
    model = ScoreNet(prior)
    ema = ScoreNet(prior)
    ema.load_state_dict(model.state_dict())
    ema.requires_grad_(False)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    return _Run(model, ema, opt, torch.Generator().manual_seed(cfg.seed))


RESUME_KEYS = ("model", "ema", "optimizer", "generator", "step", "train_config", "prior_config")


def _resume(run: _Run, out: Path, cfg: TrainConfig, prior: PriorConfig) -> None:
    """Continue ``run`` from ``out``, a checkpoint zedo-train wrote, read with ``weights_only``:
    tensors and plain containers, never code. ValueError for any other file, or one made with
    other settings."""
    replace_it = "pass another -o, or --no-resume to replace it"
    try:
        with warnings.catch_warnings():  # torch warns about the pickle protocol of foreign files
            warnings.simplefilter("ignore")
            ck = torch.load(out, map_location="cpu", weights_only=True)
    except Exception as e:  # a foreign file fails as UnpicklingError, RuntimeError, EOFError, ...
        raise ValueError(
            f"{out}: exists and is not a checkpoint zedo-train wrote ({type(e).__name__}); {replace_it}"
        ) from None
    if not isinstance(ck, dict) or ck.get("format") != CHECKPOINT_FORMAT or any(k not in ck for k in RESUME_KEYS):
        raise ValueError(f"{out}: exists and is not a resumable {CHECKPOINT_FORMAT} checkpoint; {replace_it}")
    if ck["train_config"] != asdict(cfg) or ck["prior_config"] != prior.to_dict():
        raise ValueError(f"{out}: exists with a different configuration; {replace_it}")
    try:
        run.model.load_state_dict(ck["model"])
        run.ema.load_state_dict(ck["ema"])
        run.opt.load_state_dict(ck["optimizer"])
        run.gen.set_state(ck["generator"])
    except (RuntimeError, ValueError, KeyError, TypeError) as e:
        raise ValueError(f"{out}: its state does not load ({' '.join(str(e).split())[:200]}); {replace_it}") from None
    run.step, run.seconds = int(ck["step"]), float(ck.get("train_seconds", 0.0))


def _save(out: Path, run: _Run, settings: dict, clusters: dict) -> None:
    """Write the checkpoint ``out`` atomically (CHECKPOINT_FORMAT; its keys in this order)."""
    ck = {
        "format": CHECKPOINT_FORMAT,
        "model": run.model.state_dict(),
        "ema": run.ema.state_dict(),
        "optimizer": run.opt.state_dict(),
        "generator": run.gen.get_state(),
        "step": run.step,
        "train_seconds": run.seconds,
        **settings,
        **clusters,
    }
    with atomic_path(out) as tmp:
        torch.save(ck, tmp)


def _optimise(run: _Run, data: torch.Tensor, cfg: TrainConfig, sde: SDEConfig, progress: bool, checkpoint) -> None:
    """Take steps from ``run.step`` to ``cfg.steps`` on poses ``data`` (M, 17, 3) metres, calling
    ``checkpoint()`` every ``cfg.checkpoint_every`` steps before the last."""
    run.model.train()
    bar = tqdm(total=cfg.steps, initial=run.step, disable=not progress, desc="train", unit="step")
    t_start = time.time() - run.seconds
    while run.step < cfg.steps:
        loss = _step(run, *_batch(data, cfg, run.gen), cfg, sde)
        if not torch.isfinite(loss):
            bar.close()
            raise RuntimeError(
                f"training diverged at step {run.step}: the loss is {loss.item()}; "
                f"lower the learning rate (lr {cfg.lr:g})"
            )
        bar.update(1)
        if run.step % 50 == 0:
            bar.set_postfix(loss=f"{loss.item():.4f}")
        run.seconds = time.time() - t_start
        if run.step % cfg.checkpoint_every == 0 and run.step < cfg.steps:
            checkpoint()
    bar.close()


_FLIP = torch.tensor(FLIP_PERMUTATION)  # joint order of the mirrored pose
_MIRROR_X = torch.tensor([-1.0, 1.0, 1.0])  # mirroring negates x (camera right)


def _batch(
    data: torch.Tensor, cfg: TrainConfig, gen: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One step's draws from ``gen``, in a fixed order: poses x0 (B, 17, 3) metres from ``data``
    (mirrored at random and re-proportioned as ``cfg`` says), t (B,) in [t_lo, t_hi], unit noise
    eps (B, 17, 3)."""
    idx = torch.randint(len(data), (cfg.batch_size,), generator=gen)
    x0 = data[idx]
    if cfg.flip:
        mirror = torch.rand(cfg.batch_size, generator=gen) < 0.5
        x0 = torch.where(mirror[:, None, None], x0[:, _FLIP] * _MIRROR_X, x0)
    if cfg.bone_scale_std > 0:
        x0 = augment_bone_lengths(x0, cfg.bone_scale_std, gen)
    t = cfg.t_lo + (cfg.t_hi - cfg.t_lo) * torch.rand(cfg.batch_size, generator=gen)
    eps = torch.randn(x0.shape, generator=gen)
    return x0, t, eps


def _step(
    run: _Run, x0: torch.Tensor, t: torch.Tensor, eps: torch.Tensor, cfg: TrainConfig, sde: SDEConfig
) -> torch.Tensor:
    """One Adam step on the noise-prediction loss at this step's learning rate (clipped gradients),
    then the EMA update; returns the loss."""
    for g in run.opt.param_groups:
        g["lr"] = _lr_at(run.step, cfg)
    loss = dsm_loss(run.model, x0, t, eps, sde)
    run.opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(run.model.parameters(), cfg.grad_clip)
    run.opt.step()
    with torch.no_grad():
        for pe, pm in zip(run.ema.parameters(), run.model.parameters()):
            pe.lerp_(pm, 1.0 - cfg.ema_decay)
    run.step += 1
    return loss

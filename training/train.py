"""Denoising score matching of the pose prior under the sub-VP SDE, with EMA, resume and a seed.

Loss (Song et al. 2021, eq. 7, noise parametrisation, no likelihood weighting):
E_{t, x0, eps} || eps_theta(mean_coeff(t) x0 + std(t) eps, t) - eps ||^2, with t drawn from
[t_lo, t_hi]: ZeDO queries the prior only for t in [0.01, 0.1], so training spends its steps there.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from zedo.runtime.atomic import atomic_path
from zedo.runtime.sde import SDEConfig, marginal_std, mean_coeff
from zedo.runtime.skeleton import FLIP_PERMUTATION, JOINT_NAMES, PARENTS

from .clusters import CLUSTER_SIZES, kmeans_poses
from .config import PriorConfig, TrainConfig
from .model import ScoreNet

CHECKPOINT_FORMAT = "zedo-prior-v1"


def _lr_at(step: int, cfg: TrainConfig) -> float:
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    progress = (step - cfg.warmup) / max(1, cfg.steps - cfg.warmup)
    return cfg.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress))))


def dsm_loss(model: torch.nn.Module, x0: torch.Tensor, t: torch.Tensor, eps: torch.Tensor, sde: SDEConfig) -> torch.Tensor:
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

    Human3.6M has one skeleton per subject (bone lengths are constant within a subject), so a prior
    trained on five subjects learns five skeletons and, at the small t where ZeDO's loop ends, pulls an
    unseen subject's bones towards them. Random proportions (left and right alike, so poses stay
    symmetric) make it learn a continuum of skeletons instead. Bone directions are kept; joints are
    re-accumulated from the root (parents precede children in PARENTS).

    Measured (hidden 512, 4000 steps, std 0.08, S9 every 256th frame, 1000 iterations): the noise
    loss on S9 at t = 0.01 falls from 1.02 to 0.94, but the loop's S9 error rises from 70.0 / 49.8 to
    82.7 / 51.2 mm (MPJPE / PA-MPJPE), so the shipped recipes leave it off.
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
    # Keep the skeleton's total length: the loop cannot see depth, so the pose's size comes from the
    # prior alone, and randomising it (measured: S9 MPJPE 94 mm against 70 mm) costs more than the
    # proportions gain (PA-MPJPE 35 against 38 mm from the true pose).
    return out * (before / after)[:, None, None]


def load_pose_files(paths) -> tuple[np.ndarray, list[dict]]:
    """Concatenate prepared pose files (``zedo-prepare`` output: ``poses`` (M, 17, 3), ``provenance``)."""
    poses, prov = [], []
    for p in paths:
        p = Path(p)
        try:
            d = np.load(p, allow_pickle=False)
        except (OSError, ValueError) as e:
            raise ValueError(f"{p}: not a readable .npz file ({e})") from None
        if "poses" not in d.files:
            raise ValueError(f"{p}: no 'poses' array (found {d.files}); make it with zedo-prepare")
        arr = d["poses"]
        if arr.ndim != 3 or arr.shape[1:] != (17, 3):
            raise ValueError(f"{p}: 'poses' has shape {arr.shape}, expected (M, 17, 3)")
        poses.append(arr.astype(np.float32))
        prov.append({"file": p.name, "poses": int(len(arr)), **(json.loads(str(d["provenance"])) if "provenance" in d.files else {})})
    return np.concatenate(poses), prov


def skeleton_dict() -> dict:
    return {"layout": "h36m17", "joint_names": list(JOINT_NAMES), "parents": list(PARENTS)}


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
    existing ``out`` with the same configuration is continued from its step, bit for bit.
    """
    out = Path(out)
    poses, provenance = load_pose_files(data_paths)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    model = ScoreNet(prior)
    ema = ScoreNet(prior)
    ema.load_state_dict(model.state_dict())
    ema.requires_grad_(False)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    gen = torch.Generator().manual_seed(cfg.seed)
    step, elapsed = 0, 0.0
    if resume and out.exists():
        ck = torch.load(out, map_location="cpu", weights_only=False)
        if ck.get("train_config") != asdict(cfg) or ck.get("prior_config") != prior.to_dict():
            raise ValueError(f"{out}: exists with a different configuration; pass another -o or --no-resume")
        model.load_state_dict(ck["model"])
        ema.load_state_dict(ck["ema"])
        opt.load_state_dict(ck["optimizer"])
        gen.set_state(ck["generator"])
        step, elapsed = ck["step"], ck.get("train_seconds", 0.0)
    data = torch.from_numpy(poses)
    flip = torch.tensor(FLIP_PERMUTATION)
    clusters = {}

    def save(final: bool) -> None:
        if final and not clusters:
            clusters.update({f"clusters_{k}": kmeans_poses(poses, k, seed=cfg.seed) for k in CLUSTER_SIZES if k <= len(poses)})
        ck = {
            "format": CHECKPOINT_FORMAT,
            "model": model.state_dict(),
            "ema": ema.state_dict(),
            "optimizer": opt.state_dict(),
            "generator": gen.get_state(),
            "step": step,
            "train_seconds": elapsed,
            "prior_config": prior.to_dict(),
            "sde_config": asdict(sde),
            "train_config": asdict(cfg),
            "skeleton": skeleton_dict(),
            "provenance": provenance,
            **{k: torch.from_numpy(v) for k, v in clusters.items()},
        }
        with atomic_path(out) as tmp:
            torch.save(ck, tmp)

    model.train()
    bar = tqdm(total=cfg.steps, initial=step, disable=not progress, desc="train", unit="step")
    t_start = time.time() - elapsed
    while step < cfg.steps:
        for g in opt.param_groups:
            g["lr"] = _lr_at(step, cfg)
        idx = torch.randint(len(data), (cfg.batch_size,), generator=gen)
        x0 = data[idx]
        if cfg.flip:
            mirror = torch.rand(cfg.batch_size, generator=gen) < 0.5
            x0 = torch.where(mirror[:, None, None], x0[:, flip] * torch.tensor([-1.0, 1.0, 1.0]), x0)
        if cfg.bone_scale_std > 0:
            x0 = augment_bone_lengths(x0, cfg.bone_scale_std, gen)
        t = cfg.t_lo + (cfg.t_hi - cfg.t_lo) * torch.rand(cfg.batch_size, generator=gen)
        eps = torch.randn(x0.shape, generator=gen)
        loss = dsm_loss(model, x0, t, eps, sde)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        opt.step()
        with torch.no_grad():
            for pe, pm in zip(ema.parameters(), model.parameters()):
                pe.lerp_(pm, 1.0 - cfg.ema_decay)
        step += 1
        bar.update(1)
        if step % 50 == 0:
            bar.set_postfix(loss=f"{loss.item():.4f}")
        elapsed = time.time() - t_start
        if step % cfg.checkpoint_every == 0 and step < cfg.steps:
            save(final=False)
    bar.close()
    save(final=True)
    return out

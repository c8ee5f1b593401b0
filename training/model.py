"""ZeDO's score network: an MLP over the 51 joint coordinates with a sinusoidal time embedding.

Input x: (B, 17, 3) root-relative camera-frame poses in metres (noised); t: (B,) diffusion time in
[0, 1]. Output: (B, 17, 3), the predicted noise eps of x_t = mean_coeff(t) x_0 + std(t) eps (see
``zedo.runtime.core.sde``). Parameter names follow the official ZeDO release (``ScoreModelFC_Adv``) so
that its checkpoints load by name; the time label fed to the embedding is t * 999, as there.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .config import PriorConfig


def timestep_embedding(labels: torch.Tensor, dim: int, max_positions: float = 10000.0) -> torch.Tensor:
    """Transformer sinusoidal embedding of (B,) labels into (B, dim): [sin(l w_k), cos(l w_k)]."""
    half = dim // 2
    freq = torch.exp(
        torch.arange(half, dtype=torch.float32, device=labels.device) * (-math.log(max_positions) / (half - 1))
    )
    arg = labels.float()[:, None] * freq[None, :]
    emb = torch.cat([torch.sin(arg), torch.cos(arg)], dim=1)
    if dim % 2 == 1:
        emb = nn.functional.pad(emb, (0, 1))
    return emb


class ScoreNet(nn.Module):
    """Residual MLP epsilon-predictor; see the module docstring for shapes and units."""

    def __init__(self, cfg: PriorConfig = PriorConfig()):
        super().__init__()
        self.cfg = cfg
        d_in = cfg.n_joints * cfg.joint_dim
        h, e = cfg.hidden_dim, cfg.embed_dim
        if h % cfg.groups:
            raise ValueError(f"hidden_dim {h} must be a multiple of groups {cfg.groups}")
        self.act = nn.SiLU()
        # Registration order matches the release so that EMA shadow_params (a list in
        # parameters() order) map onto names.
        self.pre_dense = nn.Linear(d_in, h)
        self.pre_dense_t = nn.Linear(e, h)
        self.pre_gnorm = nn.GroupNorm(cfg.groups, h)
        self.dropout = nn.Dropout(cfg.dropout)
        self.shared_time_embed = nn.Sequential(nn.Linear(e, e), nn.SiLU())
        for i in range(1, cfg.n_blocks + 1):
            setattr(self, f"b{i}_dense1", nn.Linear(h, h))
            setattr(self, f"b{i}_dense1_t", nn.Linear(e, h))
            setattr(self, f"b{i}_gnorm1", nn.GroupNorm(cfg.groups, h))
            setattr(self, f"b{i}_dense2", nn.Linear(h, h))
            setattr(self, f"b{i}_dense2_t", nn.Linear(e, h))
            setattr(self, f"b{i}_gnorm2", nn.GroupNorm(cfg.groups, h))
        self.post_dense = nn.Linear(h, d_in)

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        b = x.shape[0]
        temb = self.shared_time_embed(timestep_embedding(t * 999.0, self.cfg.embed_dim))
        h = self.pre_dense(x.reshape(b, -1)) + self.pre_dense_t(temb)
        h = self.dropout(self.act(self.pre_gnorm(h)))
        for i in range(1, self.cfg.n_blocks + 1):
            h1 = getattr(self, f"b{i}_dense1")(h) + getattr(self, f"b{i}_dense1_t")(temb)
            h1 = self.dropout(self.act(getattr(self, f"b{i}_gnorm1")(h1)))
            h2 = getattr(self, f"b{i}_dense2")(h1) + getattr(self, f"b{i}_dense2_t")(temb)
            h2 = self.dropout(self.act(getattr(self, f"b{i}_gnorm2")(h2)))
            h = h + h2
        return self.post_dense(h).reshape(b, self.cfg.n_joints, self.cfg.joint_dim)


def count_parameters(model: nn.Module) -> int:
    """Number of scalar parameters of ``model``."""
    return sum(p.numel() for p in model.parameters())

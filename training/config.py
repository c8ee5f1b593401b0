"""The settings of a training run: the network's shape and the optimisation (torch-free).

Kept apart from the torch modules so that ``zedo-train --help``, the recipes and settings checks
work where torch is not installed. Units: poses in metres, diffusion time t in [0, 1].
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class PriorConfig:
    """Shape of the score network. Defaults are the paper's (about 7.2 M parameters)."""

    n_joints: int = 17  # joints per pose
    joint_dim: int = 3  # coordinates per joint
    hidden_dim: int = 1024  # width of the residual MLP
    embed_dim: int = 512  # width of the time embedding
    n_blocks: int = 2  # residual blocks, each two Linear+GroupNorm+SiLU layers
    groups: int = 32  # GroupNorm groups
    dropout: float = 0.0  # dropout after each activation (the release used 0.25)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation settings of ``zedo-train``; ValueError naming the field for a value out of range."""

    steps: int = 20_000  # optimiser steps
    batch_size: int = 1024  # poses per step
    lr: float = 5e-4  # peak Adam learning rate
    warmup: int = 500  # linear learning-rate warm-up steps, then cosine decay to lr/20
    grad_clip: float = 1.0  # global gradient-norm clip
    ema_decay: float = 0.999  # EMA of the weights; the EMA weights are the ones exported
    t_lo: float = 0.005  # smallest training t (below ZeDO's 0.01 so the end of the range is covered)
    t_hi: float = 0.15  # largest training t (above ZeDO's 0.1 for the same reason)
    flip: bool = True  # mirror left/right at random (a mirrored pose is a valid pose)
    # Std of per-bone log length factors (augment_bone_lengths); 0, off: it made the loop's S9 error
    # worse, see docs/decisions.md, "Bone-proportion augmentation off".
    bone_scale_std: float = 0.0
    seed: int = 0  # seeds weights, batches, noise and clusters
    threads: int = 0  # torch CPU threads (0: torch's default)
    checkpoint_every: int = 1000  # steps between resumable checkpoints

    def __post_init__(self) -> None:
        for name in ("batch_size", "checkpoint_every", "lr", "grad_clip"):
            if not getattr(self, name) > 0:
                raise ValueError(f"TrainConfig.{name} must be positive, got {getattr(self, name)!r}")
        for name in ("steps", "warmup", "bone_scale_std", "threads"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"TrainConfig.{name} must be >= 0, got {getattr(self, name)!r}")
        if not 0 <= self.ema_decay < 1:
            raise ValueError(f"TrainConfig.ema_decay must be in [0, 1), got {self.ema_decay!r}")
        if not 0 <= self.t_lo < self.t_hi <= 1:
            raise ValueError(f"TrainConfig.t_lo and t_hi must satisfy 0 <= t_lo < t_hi <= 1, got {self.t_lo!r} and {self.t_hi!r}")

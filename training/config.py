"""The settings of a training run: the network's shape and the optimisation (torch-free).

Kept apart from the torch modules so that ``zedo-train --help``, the recipes and settings checks
work where torch is not installed. Units: poses in metres, diffusion time t in [0, 1].
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from numbers import Integral

from zedo.runtime.core.config import MAX_SEED, MAX_THREADS

# Bounds on the work one run may ask for (the shipped recipes: 30k steps, batch 1024, hidden 1024).
MAX_STEPS = 10_000_000
MAX_BATCH = 1 << 20
MAX_WIDTH = 16_384
MAX_BLOCKS = 64


def _whole(owner: str, name: str, value, low: int, high: int) -> None:
    """ValueError naming ``owner.name`` unless ``value`` is a whole number in [low, high]."""
    if isinstance(value, bool) or not isinstance(value, Integral) or not low <= value <= high:
        raise ValueError(f"{owner}.{name} must be a whole number in [{low}, {high}], got {value!r}")


def _real(owner: str, name: str, value, low: float, high: float, low_open: bool = False) -> None:
    """ValueError naming ``owner.name`` unless ``value`` is a finite real number in the range."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if not (ok and (low < value if low_open else low <= value) and value <= high):
        raise ValueError(
            f"{owner}.{name} must be a number in {'(' if low_open else '['}{low:g}, {high:g}], got {value!r}"
        )


@dataclass(frozen=True)
class PriorConfig:
    """Shape of the score network. Defaults are the paper's (about 7.2 M parameters)."""

    n_joints: int = 17  # joints per pose
    joint_dim: int = 3  # coordinates per joint
    hidden_dim: int = 512  # width of the residual MLP (the shipped priors')
    embed_dim: int = 256  # width of the time embedding (the shipped priors')
    n_blocks: int = 2  # residual blocks, each two Linear+GroupNorm+SiLU layers
    groups: int = 32  # GroupNorm groups
    dropout: float = 0.0  # dropout after each activation (the release used 0.25)

    def __post_init__(self) -> None:
        for name, low, high in (
            ("n_joints", 1, 1024),
            ("joint_dim", 1, 16),
            ("hidden_dim", 1, MAX_WIDTH),
            ("embed_dim", 4, MAX_WIDTH),
            ("n_blocks", 0, MAX_BLOCKS),
            ("groups", 1, MAX_WIDTH),
        ):
            _whole("PriorConfig", name, getattr(self, name), low, high)
        if self.hidden_dim % self.groups:
            raise ValueError(f"PriorConfig.hidden_dim {self.hidden_dim} must be a multiple of groups {self.groups}")
        _real("PriorConfig", "dropout", self.dropout, 0.0, 1.0)
        if self.dropout == 1.0:
            raise ValueError("PriorConfig.dropout must be below 1, got 1.0")

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
        for name, low, high in (
            ("steps", 1, MAX_STEPS),
            ("batch_size", 1, MAX_BATCH),
            ("warmup", 0, MAX_STEPS),
            ("seed", 0, MAX_SEED),
            ("threads", 0, MAX_THREADS),
            ("checkpoint_every", 1, MAX_STEPS),
        ):
            _whole("TrainConfig", name, getattr(self, name), low, high)
        for name, low, high in (("lr", 0.0, 1.0), ("grad_clip", 0.0, 1e6)):
            _real("TrainConfig", name, getattr(self, name), low, high, low_open=True)
        _real("TrainConfig", "bone_scale_std", self.bone_scale_std, 0.0, 1.0)
        _real("TrainConfig", "ema_decay", self.ema_decay, 0.0, 1.0)
        if self.ema_decay == 1.0:
            raise ValueError("TrainConfig.ema_decay must be in [0, 1), got 1.0")
        _real("TrainConfig", "t_lo", self.t_lo, 0.0, 1.0)
        _real("TrainConfig", "t_hi", self.t_hi, 0.0, 1.0)
        if not self.t_lo < self.t_hi:
            raise ValueError(
                f"TrainConfig.t_lo and t_hi must satisfy 0 <= t_lo < t_hi <= 1, got {self.t_lo!r} and {self.t_hi!r}"
            )
        if not isinstance(self.flip, bool):
            raise ValueError(f"TrainConfig.flip must be True or False, got {self.flip!r}")

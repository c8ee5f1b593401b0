"""A tiny random-weight prior for the export and calibration tests (torch; no training, no data).

It imports torch: a test module imports it after ``pytest.importorskip("torch", reason=NEEDS_TORCH)``,
or inside the fixture or test that needs it."""

from __future__ import annotations

from dataclasses import asdict

import torch
from conftest import random_poses as poses

from zedo.runtime.core.sde import SDEConfig
from zedo.runtime.engines.prior_file import PriorMeta
from zedo.training.model import PriorConfig, ScoreNet
from zedo.training.train import CHECKPOINT_FORMAT

torch.set_num_threads(1)  # tiny networks; leave the machine's cores to other work
TINY = PriorConfig(hidden_dim=64, embed_dim=32, groups=8)


def model(seed: int = 0) -> ScoreNet:
    """The tiny network with seeded random weights, in eval mode."""
    torch.manual_seed(seed)
    return ScoreNet(TINY).eval()


def meta() -> PriorMeta:
    return PriorMeta(
        sde=SDEConfig(), clusters={1: poses(1), 50: poses(50, 1)}, name="tiny", prior_config=TINY.to_dict()
    )


def write_checkpoint(path) -> None:
    """A fake zedo-train checkpoint (the tiny network's random weights) at ``path``."""
    m = model()
    torch.save(
        {
            "format": CHECKPOINT_FORMAT,
            "model": m.state_dict(),
            "ema": m.state_dict(),
            "step": 5,
            "prior_config": TINY.to_dict(),
            "sde_config": asdict(SDEConfig()),
            "provenance": [],
            "clusters_1": torch.from_numpy(poses(1)),
            "clusters_50": torch.from_numpy(poses(50, 1)),
        },
        path,
    )


def write_onnx(path):
    """The tiny network exported (``export_onnx``, parity checked) to the FP32 ONNX prior ``path``; returns it."""
    from zedo.export.onnx_export import export_onnx

    export_onnx(model(), meta(), path)
    return path

"""Training (zedo.training.train, zedo.training.model): the loss, determinism and resume,
augmentation, the network's size and TrainConfig's checks. Needs torch (the train extra)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import NEEDS_TORCH
from conftest import standing_poses as _poses

pytest.importorskip("torch", reason=NEEDS_TORCH)

import torch

from zedo.runtime.core.sde import SDEConfig, marginal_std, mean_coeff
from zedo.runtime.core.skeleton import BONES, bone_lengths
from zedo.training.model import PriorConfig, ScoreNet, count_parameters
from zedo.training.train import TrainConfig, augment_bone_lengths, dsm_loss, load_pose_files, train

torch.set_num_threads(1)
TINY = PriorConfig(hidden_dim=32, embed_dim=16, groups=8)


def test_paper_width_has_about_7_2_million_parameters():
    assert abs(count_parameters(ScoreNet(PriorConfig(hidden_dim=1024, embed_dim=512))) - 7.2e6) < 0.05e6


def test_the_default_width_is_the_shipped_priors():
    assert (PriorConfig().hidden_dim, PriorConfig().embed_dim) == (512, 256)


class _Oracle(torch.nn.Module):
    """Knows x0: predicts eps exactly from x_t = m x0 + s eps."""

    def __init__(self, x0, sde):
        super().__init__()
        self.x0, self.sde = x0, sde

    def forward(self, x, t):
        m = mean_coeff(t, self.sde, torch)[:, None, None]
        s = marginal_std(t, self.sde, torch)[:, None, None]
        return (x - m * self.x0) / s


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_dsm_loss_is_zero_for_the_true_noise_and_one_for_zero(dtype):
    sde = SDEConfig()
    x0 = torch.from_numpy(_poses(256)).to(dtype)
    t = torch.linspace(0.01, 0.1, 256, dtype=dtype)
    eps = torch.randn(x0.shape, generator=torch.Generator().manual_seed(0), dtype=dtype)
    assert dsm_loss(_Oracle(x0, sde), x0, t, eps, sde).item() < 1e-8
    zero = lambda x, t: torch.zeros_like(x)  # noqa: E731
    assert abs(dsm_loss(zero, x0, t, eps, sde).item() - 1.0) < 0.05


def test_training_is_deterministic_and_resume_matches(tmp_path, pose_file):
    cfg = TrainConfig(steps=6, batch_size=16, warmup=2, checkpoint_every=3, threads=1)
    a = train([pose_file], tmp_path / "a.pt", cfg, TINY, progress=False)
    b = train([pose_file], tmp_path / "b.pt", cfg, TINY, progress=False)
    ka, kb = torch.load(a, weights_only=False), torch.load(b, weights_only=False)
    for k in ka["ema"]:
        assert torch.equal(ka["ema"][k], kb["ema"][k])
    # Interrupt a run after its step-3 checkpoint, resume it: same weights as the uninterrupted run.
    import zedo.training.train as tr

    calls = {"n": 0}
    real_loss = tr.dsm_loss

    def interrupting_loss(*args):
        calls["n"] += 1
        if calls["n"] == 5:
            raise KeyboardInterrupt
        return real_loss(*args)

    tr.dsm_loss = interrupting_loss
    try:
        with pytest.raises(KeyboardInterrupt):
            train([pose_file], tmp_path / "c.pt", cfg, TINY, progress=False)
    finally:
        tr.dsm_loss = real_loss
    assert torch.load(tmp_path / "c.pt", weights_only=False)["step"] == 3
    train([pose_file], tmp_path / "c.pt", cfg, TINY, progress=False)
    kc = torch.load(tmp_path / "c.pt", weights_only=False)
    assert kc["step"] == 6
    for k in ka["model"]:
        assert torch.equal(ka["model"][k], kc["model"][k])
    assert ka["clusters_1"].shape == (1, 17, 3) and ka["clusters_50"].shape == (50, 17, 3)
    assert "clusters_1000" not in ka  # more clusters than training poses: that set is skipped


def test_resume_with_other_settings_is_refused(tmp_path, pose_file):
    cfg = TrainConfig(steps=2, batch_size=8, warmup=1, threads=1)
    out = train([pose_file], tmp_path / "p.pt", cfg, TINY, progress=False)
    with pytest.raises(ValueError, match="different configuration"):
        train([pose_file], out, TrainConfig(steps=2, batch_size=8, warmup=1, lr=1e-2, threads=1), TINY, progress=False)


def test_bad_pose_file_is_named(tmp_path):
    bad = tmp_path / "bad.npz"
    np.savez(bad, other=np.zeros(3))
    with pytest.raises(ValueError, match="bad.npz.*'poses'"):
        train([bad], tmp_path / "x.pt", TrainConfig(steps=1), TINY, progress=False)
    assert not (tmp_path / "x.pt").exists()
    np.save(tmp_path / "single.npy", _poses())
    with pytest.raises(ValueError, match="single.npy: not a readable prepared .npz pose file"):
        load_pose_files([tmp_path / "single.npy"])
    with pytest.raises(ValueError, match="no prepared pose files"):
        load_pose_files([])


def test_bone_augmentation_keeps_directions_symmetry_and_total_length():
    x = torch.from_numpy(_poses(32))
    y = augment_bone_lengths(x, 0.1, torch.Generator().manual_seed(0))
    lx, ly = bone_lengths(x.numpy()), bone_lengths(y.numpy())
    np.testing.assert_allclose(lx.sum(1), ly.sum(1), rtol=1e-5)
    assert np.abs(ly / lx - 1).max() > 0.02  # proportions did change
    for p, c in BONES:
        dx, dy = x[:, c] - x[:, p], y[:, c] - y[:, p]
        cos = (dx * dy).sum(-1) / (dx.norm(dim=-1) * dy.norm(dim=-1))
        assert torch.all(cos > 1 - 1e-5)
    ratio = ly / lx
    np.testing.assert_allclose(ratio[:, 0], ratio[:, 3], rtol=1e-5)  # r_hip and l_hip bones alike


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("batch_size", 0, r"batch_size must be a whole number in \[1, 1048576\]"),
        ("ema_decay", 1.0, r"ema_decay must be in \[0, 1\)"),
        ("t_lo", 0.2, "t_lo and t_hi"),
        ("warmup", -1, r"warmup must be a whole number in \[0, "),
        ("threads", 100000, r"threads must be a whole number in \[0, 1024\]"),
        ("steps", 0, r"steps must be a whole number in \[1, "),
        ("lr", float("inf"), r"lr must be a number in \(0, 1\]"),
        ("seed", -1, "seed must be"),
    ],
)
def test_train_config_names_the_bad_field(field, value, message):
    with pytest.raises(ValueError, match=f"TrainConfig.{message}"):
        TrainConfig(**{field: value})

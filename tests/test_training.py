"""Training: the loss, determinism and resume, augmentation, clusters, Human3.6M conversion, and the
zedo-prepare / zedo-train commands (one error line, --help without torch)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from zedo.datasets.h36m import Camera, load_positions, world_to_camera
from zedo.runtime.core.sde import SDEConfig, marginal_std, mean_coeff
from zedo.runtime.core.skeleton import BONES, bone_lengths
from zedo.training import cli
from zedo.training.clusters import face_camera, kmeans_poses
from zedo.training.h36m import prepare_h36m
from zedo.training.model import PriorConfig, ScoreNet, count_parameters
from zedo.training.train import TrainConfig, augment_bone_lengths, dsm_loss, load_pose_files, train

torch.set_num_threads(1)
TINY = PriorConfig(hidden_dim=32, embed_dim=16, groups=8)


def _poses(n=64, seed=0):
    """Random plausible root-relative poses: a jittered standing skeleton, metres."""
    from conftest import TPOSE

    rng = np.random.default_rng(seed)
    p = TPOSE[None] + 0.03 * rng.standard_normal((n, 17, 3))
    return (p - p[:, :1]).astype(np.float32)


@pytest.fixture
def pose_file(tmp_path):
    path = tmp_path / "poses.npz"
    np.savez(path, poses=_poses(), provenance=json.dumps({"source": "test"}))
    return path


def test_paper_width_has_about_7_2_million_parameters():
    assert abs(count_parameters(ScoreNet(PriorConfig())) - 7.2e6) < 0.05e6


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
    for i, (p, c) in enumerate(BONES):
        dx, dy = x[:, c] - x[:, p], y[:, c] - y[:, p]
        cos = (dx * dy).sum(-1) / (dx.norm(dim=-1) * dy.norm(dim=-1))
        assert torch.all(cos > 1 - 1e-5)
    ratio = ly / lx
    np.testing.assert_allclose(ratio[:, 0], ratio[:, 3], rtol=1e-5)  # r_hip and l_hip bones alike


def test_face_camera_puts_the_hips_on_x_and_keeps_lengths():
    rng = np.random.default_rng(0)
    x = _poses(16)
    a = rng.uniform(-np.pi, np.pi, 16)
    R = np.zeros((16, 3, 3))
    R[:, 0, 0], R[:, 0, 2], R[:, 1, 1], R[:, 2, 0], R[:, 2, 2] = np.cos(a), np.sin(a), 1, -np.sin(a), np.cos(a)
    turned = x @ np.swapaxes(R, 1, 2)
    f = face_camera(turned)
    hips = f[:, 4] - f[:, 1]
    assert np.all(hips[:, 0] > 0) and np.allclose(hips[:, 2], 0, atol=1e-9)
    np.testing.assert_allclose(face_camera(x), f, atol=1e-9)  # yaw removed: same result
    np.testing.assert_allclose(bone_lengths(f), bone_lengths(x), rtol=1e-6)


def test_kmeans_finds_planted_clusters():
    rng = np.random.default_rng(0)
    base = _poses(3, seed=5)
    data = np.concatenate([base[i] + 0.001 * rng.standard_normal((40 * (i + 1), 17, 3)) for i in range(3)])
    c = kmeans_poses(face_camera(data).astype(np.float32), 3)
    # Largest cluster first; each centre is one of the planted poses.
    np.testing.assert_allclose(c[0], face_camera(base[2:3])[0], atol=2e-3)
    with pytest.raises(ValueError):
        kmeans_poses(data[:2], 5)


def _tiny_h36m(tmp_path):
    rng = np.random.default_rng(0)
    positions = {"S1": {"Walk 1": rng.standard_normal((5, 32, 3)).astype(np.float32)}}
    np.savez(tmp_path / "data_3d_h36m.npz", positions_3d=positions)
    R = np.linalg.qr(rng.standard_normal((3, 3)))[0]
    R *= np.sign(np.linalg.det(R))
    cam = {"R": R.tolist(), "center": [1.0, 2.0, 3.0], "f": [1000.0, 1000.0], "c": [500.0, 500.0]}
    cams = {"S1": {cid: cam for cid in ("54138969", "55011271", "58860488", "60457274")}}
    (tmp_path / "cameras.json").write_text(json.dumps(cams))
    return positions, R


def test_h36m_camera_frame_conversion(tmp_path):
    positions, R = _tiny_h36m(tmp_path)
    out = prepare_h36m(tmp_path, tmp_path / "out.npz", subjects=("S1",))
    p = np.load(out)["poses"]
    assert p.shape == (4 * 5, 17, 3)
    np.testing.assert_allclose(p[:, 0], 0, atol=1e-6)
    world = positions["S1"]["Walk 1"][:, [0, 1, 2, 3, 6, 7, 8, 12, 13, 14, 15, 17, 18, 19, 25, 26, 27]]
    # A rigid change of frame keeps bone lengths.
    np.testing.assert_allclose(bone_lengths(p[:5]), bone_lengths(world), rtol=1e-4)
    cam = Camera(R, np.array([1.0, 2.0, 3.0]), np.eye(3))
    back = world_to_camera(world.astype(np.float64), cam) @ R + cam.center
    np.testing.assert_allclose(back, world, atol=1e-5)


def test_h36m_bad_inputs_are_named(tmp_path):
    _tiny_h36m(tmp_path)
    with pytest.raises(ValueError, match="subject 'S9' is not in the file"):
        prepare_h36m(tmp_path, tmp_path / "o.npz", subjects=("S9",))
    assert not (tmp_path / "o.npz").exists()
    np.savez(tmp_path / "wrong.npz", other=np.zeros(2))
    with pytest.raises(ValueError, match="wrong.npz.*positions_3d"):
        load_positions(tmp_path / "wrong.npz")


# --- the commands ---------------------------------------------------------------------------------

TINY_FLAGS = ["--hidden", "32", "--embed", "16", "--blocks", "1", "--batch-size", "8", "--threads", "1", "--quiet"]
FIXTURES = Path(__file__).parent / "fixtures"


def _error_line(capsys) -> str:
    """The one error line on stderr (zedo-prepare's progress bar may stand before it)."""
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("error:") == 1 and err.endswith("\n"), err
    return err.strip().splitlines()[-1]


def test_train_command_writes_what_the_library_writes(tmp_path, pose_file, capsys):
    out = tmp_path / "cli.pt"
    assert cli.train_main(["--data", str(pose_file), "-o", str(out), "--steps", "2", *TINY_FLAGS]) == 0
    assert capsys.readouterr().out.startswith(f"wrote {out} (2 steps)")
    cfg = TrainConfig(steps=2, batch_size=8, threads=1)
    ref = train(
        [pose_file], tmp_path / "lib.pt", cfg, PriorConfig(hidden_dim=32, embed_dim=16, n_blocks=1), progress=False
    )
    a, b = torch.load(out, weights_only=False), torch.load(ref, weights_only=False)
    assert a["train_config"] == b["train_config"]
    for k in a["ema"]:
        assert torch.equal(a["ema"][k], b["ema"][k])


def test_train_command_errors_are_one_line(tmp_path, pose_file, capsys, monkeypatch):
    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied", "/read-only/x.pt")

    monkeypatch.setattr(cli, "train_prior", denied)
    assert cli.train_main(["--data", str(pose_file), "-o", "/read-only/x.pt"]) == 2
    assert _error_line(capsys) == "zedo-train: error: /read-only/x.pt: Permission denied"
    monkeypatch.undo()
    # Checked before training: an output whose folder cannot be made.
    (tmp_path / "a_file").write_text("")
    assert cli.train_main(["--data", str(pose_file), "-o", str(tmp_path / "a_file" / "x.pt"), *TINY_FLAGS]) == 2
    assert _error_line(capsys).startswith(
        f"zedo-train: error: {tmp_path / 'a_file' / 'x.pt'}: cannot write the checkpoint here"
    )
    assert cli.train_main(["--data", str(pose_file), "-o", str(tmp_path / "x.pt"), "--steps", "-1"]) == 2
    assert "TrainConfig.steps must be a whole number in [1, 10000000], got -1" in _error_line(capsys)
    assert cli.train_main(["--recipe", "h36m", "--data", str(pose_file), "-o", str(tmp_path / "x.pt")]) == 2
    assert "not both" in _error_line(capsys)
    assert not (tmp_path / "x.pt").exists()


def test_prepare_command_errors_are_one_line(tmp_path, capsys):
    (tmp_path / "a_file").write_text("")
    bandai = str(FIXTURES / "bandai_tiny.bvh")
    assert cli.prepare_main(["bvh", bandai, "-o", str(tmp_path / "a_file" / "x.npz")]) == 2
    assert _error_line(capsys).startswith("zedo-prepare: error: ")
    assert cli.prepare_main(["bvh", str(tmp_path / "absent.bvh"), "-o", str(tmp_path / "x.npz")]) == 2
    assert "absent.bvh: no such file or folder" in _error_line(capsys)
    assert cli.prepare_main(["bvh", bandai, "-o", str(tmp_path / "x.npz"), "--views", "1", "--every", "1"]) == 0
    assert np.load(tmp_path / "x.npz")["poses"].shape == (2, 17, 3)


def _without_torch(code: str) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter where ``import torch`` fails."""
    shim = "import sys; sys.modules['torch'] = None\n"
    return subprocess.run([sys.executable, "-c", shim + code], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("main", ["train_main", "prepare_main"])
def test_help_works_without_torch(main):
    proc = _without_torch(f"from zedo.training.cli import {main}; sys.exit({main}(['--help']))")
    assert proc.returncode == 0 and proc.stdout.startswith("usage: zedo-"), proc.stderr


def test_train_without_torch_says_what_to_install(pose_file, tmp_path):
    argv = ["--data", str(pose_file), "-o", str(tmp_path / "x.pt")]
    proc = _without_torch(f"from zedo.training.cli import train_main; sys.exit(train_main({argv!r}))")
    assert proc.returncode == 2 and proc.stderr.strip().splitlines() == [
        'zedo-train: error: training needs torch, which is not installed: pip install torch==2.13.0, then pip install -e ".[train]"'
    ]


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

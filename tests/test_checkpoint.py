"""load_prior on our checkpoint format and the official ZeDO release layout; load_clusters; bad files."""

from __future__ import annotations

from dataclasses import asdict

import numpy as np
import pytest
from conftest import NEEDS_TORCH
from conftest import random_poses as _poses

pytest.importorskip("torch", reason=NEEDS_TORCH)

import torch

from zedo.runtime.core.sde import SDEConfig
from zedo.runtime.engines.prior_file import PriorMeta
from zedo.training.checkpoint import RELEASE_FORMAT, RELEASE_SDE, load_clusters, load_prior
from zedo.training.model import PriorConfig, ScoreNet
from zedo.training.train import CHECKPOINT_FORMAT, skeleton_dict

torch.set_num_threads(1)  # tiny networks; leave the machine's cores to other work

TINY = PriorConfig(hidden_dim=64, embed_dim=32, groups=8)


def _net(cfg: PriorConfig, seed: int) -> ScoreNet:
    torch.manual_seed(seed)
    return ScoreNet(cfg).eval()


def _ours(raw: ScoreNet, ema: ScoreNet, cfg: PriorConfig = TINY) -> dict:
    return {
        "format": CHECKPOINT_FORMAT,
        "model": raw.state_dict(),
        "ema": ema.state_dict(),
        "step": 123,
        "prior_config": cfg.to_dict(),
        "sde_config": asdict(SDEConfig(beta_max=18.0)),
        "train_config": {"steps": 123},
        "skeleton": skeleton_dict(),
        "provenance": [{"file": "poses.npz", "poses": 10}],
        "clusters_1": torch.from_numpy(_poses(1)),
        "clusters_50": torch.from_numpy(_poses(50, seed=1)),
    }


def _release(raw: ScoreNet, ema: ScoreNet) -> dict:
    state = {f"module.{k}": v for k, v in raw.state_dict().items()}
    state["module.sigmas"] = torch.linspace(1.0, 0.01, 10)
    shadow = [p.detach().clone() for p in ema.parameters()]
    return {"model_state_dict": state, "ema": {"decay": 0.999, "num_updates": 7, "shadow_params": shadow}, "step": 77}


def _same_function(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    x, t = torch.randn(5, 17, 3), torch.rand(5) * 0.1
    with torch.no_grad():
        return torch.equal(a(x, t), b(x, t))


def test_our_format_round_trip(tmp_path):
    raw, ema = _net(TINY, 0), _net(TINY, 1)
    ck = _ours(raw, ema)
    path = tmp_path / "prior.pt"
    torch.save(ck, path)

    model, info = load_prior(path)
    assert not model.training
    assert _same_function(model, ema) and not _same_function(model, raw)
    assert info.format == CHECKPOINT_FORMAT and info.step == 123 and info.weights == "ema"
    assert info.prior_config == TINY and info.sde == SDEConfig(beta_max=18.0)
    assert sorted(info.clusters) == [1, 50]
    np.testing.assert_allclose(info.clusters[50], ck["clusters_50"].numpy(), atol=1e-7)
    assert info.provenance[0] == {"file": "poses.npz", "poses": 10}
    assert info.provenance[-1]["checkpoint"] == "prior.pt" and info.provenance[-1]["step"] == 123

    model_raw, info_raw = load_prior(path, use_ema=False)
    assert _same_function(model_raw, raw) and info_raw.weights == "model"

    meta = PriorMeta.from_json(info.to_meta(name="tiny").to_json())
    assert meta.name == "tiny" and meta.sde == info.sde and meta.prior_config == TINY.to_dict()
    np.testing.assert_allclose(meta.clusters[1], info.clusters[1], atol=1e-6)


def test_dict_in_place_of_path():
    raw, ema = _net(TINY, 0), _net(TINY, 1)
    model, info = load_prior(_ours(raw, ema))
    assert _same_function(model, ema) and info.source == "<checkpoint dict>"


def test_release_format_loads_ema_and_infers_widths(tmp_path):
    # The release's GroupNorm has PriorConfig's default 32 groups: widths must be multiples of 32.
    cfg = PriorConfig(hidden_dim=64, embed_dim=48, n_blocks=3)
    raw, ema = _net(cfg, 0), _net(cfg, 1)
    path = tmp_path / "release.pth"
    torch.save(_release(raw, ema), path)

    model, info = load_prior(path)
    assert (info.prior_config.hidden_dim, info.prior_config.embed_dim, info.prior_config.n_blocks) == (64, 48, 3)
    assert _same_function(model, ema) and not _same_function(model, raw)
    assert info.format == RELEASE_FORMAT and info.step == 77 and info.sde == RELEASE_SDE
    assert info.clusters == {}

    model_raw, _ = load_prior(path, use_ema=False)
    assert _same_function(model_raw, raw)


def test_release_with_cluster_file_is_made_root_relative(tmp_path):
    cfg = PriorConfig(hidden_dim=64, embed_dim=32)
    path = tmp_path / "release.pth"
    torch.save(_release(_net(cfg, 0), _net(cfg, 1)), path)
    poses = _poses(5)
    npy = tmp_path / "h36m_cluster5.npy"
    np.save(npy, poses + np.array([0.1, -0.2, 4.0], dtype=np.float32))  # not root-relative

    _, info = load_prior(path, clusters=npy)
    assert sorted(info.clusters) == [5]
    np.testing.assert_allclose(info.clusters[5], poses, atol=1e-5)


def test_load_clusters_npz_and_unit_check(tmp_path):
    npz = tmp_path / "clusters.npz"
    np.savez(npz, c1=_poses(1), c50=_poses(50))
    assert sorted(load_clusters(npz)) == [1, 50]

    mm = tmp_path / "mm.npy"
    np.save(mm, _poses(3) * 1000.0)
    with pytest.raises(ValueError, match="metres"):
        load_clusters(mm)
    wrong = tmp_path / "wrong.npy"
    np.save(wrong, np.zeros((3, 16, 3)))
    with pytest.raises(ValueError, match=r"wrong\.npy.*\(S, 17, 3\)"):
        load_clusters(wrong)
    with pytest.raises(FileNotFoundError):
        load_clusters(tmp_path / "absent.npy")


def test_bad_files_raise_value_error_naming_the_file(tmp_path):
    raw, ema = _net(TINY, 0), _net(TINY, 1)

    text = tmp_path / "notes.pt"
    text.write_text("not a checkpoint")
    with pytest.raises(ValueError, match=r"notes\.pt: not a torch checkpoint"):
        load_prior(text)

    unknown = tmp_path / "unknown.pt"
    torch.save({"weights": raw.state_dict()}, unknown)
    with pytest.raises(ValueError, match=r"unknown\.pt: unknown checkpoint format"):
        load_prior(unknown)

    ck = _ours(raw, ema)
    del ck["ema"]
    missing = tmp_path / "missing.pt"
    torch.save(ck, missing)
    with pytest.raises(ValueError, match=r"missing\.pt: .*missing keys \['ema'\]"):
        load_prior(missing)

    wide = tmp_path / "wide.pt"
    torch.save({**_ours(raw, ema), "prior_config": PriorConfig(hidden_dim=128, embed_dim=32, groups=8).to_dict()}, wide)
    with pytest.raises(
        ValueError, match=r"wide\.pt: ema\['pre_dense\.weight'\] has shape \(64, 51\), expected \(128, 51\)"
    ):
        load_prior(wide)

    rel = _release(_net(PriorConfig(hidden_dim=64, embed_dim=32), 0), _net(PriorConfig(hidden_dim=64, embed_dim=32), 1))
    rel["ema"]["shadow_params"] = rel["ema"]["shadow_params"][:-1]
    short = tmp_path / "short_ema.pth"
    torch.save(rel, short)
    with pytest.raises(ValueError, match=r"short_ema\.pth: ema shadow_params has \d+ entries"):
        load_prior(short)

    pickled = tmp_path / "objects.pt"
    torch.save({"format": CHECKPOINT_FORMAT, "extra": np.zeros(3)}, pickled)
    with pytest.raises(ValueError, match=r"objects\.pt: holds Python objects"):
        load_prior(pickled)

    with pytest.raises(FileNotFoundError, match="absent.pt"):
        load_prior(tmp_path / "absent.pt")

"""The default's work per pose (solve.work): noisy 2D gets the ensemble of starts, clean 2D the
loop as set; what each pose got is written as ``starts``. Planted truths on the shipped example
(32 Human3.6M poses, its ground-truth 2D) with the bundled h36m prior."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from zedo.runtime import LoopConfig, estimate, open_engine
from zedo.runtime.core.config import ADAPTIVE_STARTS, preset_config
from zedo.runtime.io.formats import save_output
from zedo.runtime.solve.work import NOISY_INPUT_POSES, NOISY_INPUT_PX, NOISY_POSE_PX, noisy

EXAMPLE = Path(__file__).resolve().parents[1] / "runtime" / "examples" / "example.npz"


@pytest.fixture(scope="module")
def example():
    d = np.load(EXAMPLE)
    return {"keypoints": d["keypoints"].astype(np.float64), "K": d["K"], "engine": open_engine("h36m", threads=1)}


def run(example, keypoints, **config):
    return estimate(keypoints, K=example["K"], engine=example["engine"], config=LoopConfig(**config))


def test_noisy_is_the_pose_own_misfit_or_its_input_median():
    clean = np.full(9, NOISY_INPUT_PX - 1.0)
    clean[3] = NOISY_POSE_PX + 0.5  # one pose far from any body
    clean[5] = np.nan  # not measured: clean
    assert noisy(clean).tolist() == [i == 3 for i in range(9)]
    assert noisy(np.full(9, NOISY_INPUT_PX + 0.1)).all()  # a noisy source: every pose
    assert noisy(np.full(NOISY_INPUT_POSES, NOISY_INPUT_PX + 0.1)).all()
    # Too few poses to judge their source: each by its own misfit.
    few = np.full(NOISY_INPUT_POSES - 1, NOISY_INPUT_PX + 0.1)
    few[0] = NOISY_POSE_PX + 0.1
    assert noisy(few).tolist() == [True] + [False] * (NOISY_INPUT_POSES - 2)


def test_a_pose_with_planted_noise_gets_the_ensemble_and_a_clean_one_does_not(example):
    kp = example["keypoints"]
    clean = run(example, kp)
    noisy_kp = kp.copy()
    noisy_kp[0] += np.random.default_rng(0).normal(0.0, 15.0, kp[0].shape)
    got = run(example, noisy_kp)
    assert clean.starts[0] == 1 and got.starts[0] == ADAPTIVE_STARTS
    assert (clean.starts == 1).mean() > 0.9  # ground truth: nearly every pose runs the loop as set
    same = (clean.starts == 1) & (np.arange(len(kp)) > 0)
    assert (got.starts[same] == 1).all()
    # A clean pose's work and result are today's default's, bit for bit.
    plain = run(example, noisy_kp, adaptive=False)
    assert (plain.starts == 1).all()
    np.testing.assert_array_equal(got.joints_3d[got.starts == 1], plain.joints_3d[got.starts == 1])


def test_a_noisy_input_gets_the_ensemble_for_every_pose(example):
    kp = example["keypoints"] + np.random.default_rng(1).normal(0.0, 8.0, example["keypoints"].shape)
    assert (run(example, kp).starts == ADAPTIVE_STARTS).all()
    assert (run(example, kp, noise_px=8.0).starts == 1).all()  # a given noise level: the loop as set
    every = estimate(kp[:4], K=example["K"], engine=example["engine"], config=preset_config("noisy"))
    assert (every.starts == 8).all()


def test_starts_is_written_beside_noise_px(example, tmp_path):
    kp = example["keypoints"][:3].copy()
    kp[0] += np.random.default_rng(0).normal(0.0, 15.0, kp[0].shape)
    got = estimate(kp, K=example["K"], engine=example["engine"])
    save_output(tmp_path / "out.npz", got)
    save_output(tmp_path / "out.json", got)
    with np.load(tmp_path / "out.npz") as f:
        np.testing.assert_array_equal(f["starts"], got.starts)
        assert f["noise_px"].shape == f["starts"].shape == (3,)
    assert json.loads((tmp_path / "out.json").read_text())["starts"] == got.starts.tolist()

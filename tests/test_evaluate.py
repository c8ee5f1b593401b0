"""zedo-eval on a tiny synthetic Human3.6M folder (VideoPose3D layout): loading both 2D tracks and scoring."""

from __future__ import annotations

import json

import numpy as np
import pytest

from zedo.evaluate import action_mean, evaluate, load_h36m_eval, score

CAMS = ("54138969", "55011271", "58860488", "60457274")


@pytest.fixture
def h36m_dir(tmp_path):
    from conftest import TPOSE

    rng = np.random.default_rng(0)
    # Standing subjects 4-5 m in front of every camera (world = camera frame here: R = I, centre 0).
    world = {}
    for action, n in (("Walking 1", 6), ("Eating", 4)):
        p = TPOSE[None] + 0.02 * rng.standard_normal((n, 17, 3)) + np.array([0.0, 0.0, 4.5])
        full = np.zeros((n, 32, 3), np.float32)
        full[:, [0, 1, 2, 3, 6, 7, 8, 12, 13, 14, 15, 17, 18, 19, 25, 26, 27]] = p
        world[action] = full
    np.savez(tmp_path / "data_3d_h36m.npz", positions_3d={"S9": world})
    cam = {"R": np.eye(3).tolist(), "center": [0.0, 0.0, 0.0], "f": [1000.0, 1000.0], "c": [500.0, 500.0]}
    (tmp_path / "cameras.json").write_text(json.dumps({"S9": {c: cam for c in CAMS}}))
    dets = {}
    for action, full in world.items():
        j = full[:, [0, 1, 2, 3, 6, 7, 8, 12, 13, 15, 17, 18, 19, 25, 26, 27]]  # 16 joints, no neck/nose
        uv = 1000.0 * j[..., :2] / j[..., 2:] + 500.0
        per_cam = [uv.copy() for _ in CAMS]
        per_cam[1][0] = np.nan  # one absent detection
        dets[action] = per_cam
    np.savez(tmp_path / "data_2d_h36m_sh_pt_mpii.npz", positions_2d={"S9": dets})
    return tmp_path


def test_load_tracks(h36m_dir):
    gt = load_h36m_eval(h36m_dir, every=1, track="gt")
    assert gt.gt.shape == (40, 17, 3) and gt.dropped == 0 and set(gt.actions) == {"Walking", "Eating"}
    det = load_h36m_eval(h36m_dir, every=1, track="detected")
    assert det.dropped == 2 and len(det.gt) == 38
    assert np.all(det.scores[:, [7, 9]] == 0) and np.isnan(det.keypoints[:, 9]).all()
    # The synthetic detections are exact projections: they match each kept frame's truth.
    ok = np.delete(np.arange(17), 9)
    uvw = det.gt @ np.swapaxes(det.K, 1, 2)
    np.testing.assert_allclose(det.keypoints[:, ok], (uvw[..., :2] / uvw[..., 2:])[:, ok], atol=1e-3)
    with pytest.raises(ValueError, match="track"):
        load_h36m_eval(h36m_dir, track="nope")


def test_score_of_truth_and_multi_hypotheses(h36m_dir):
    d = load_h36m_eval(h36m_dir, every=1)
    hyps = np.stack([d.gt, d.gt + np.array([0.0, 0.0, 0.1]) * np.arange(17)[None, :, None] / 16], 1)
    r = score(hyps, np.zeros(len(d.gt), int), d)
    assert r["mpjpe"] == pytest.approx(0.0, abs=1e-6) and r["pa_mpjpe"] == pytest.approx(0.0, abs=1e-6)
    assert r["mpjpe_oracle"] <= r["mpjpe_mean_hyp"]
    assert r["pck150"] == 100.0
    assert action_mean(np.array([1.0, 1.0, 4.0]), np.array(["a", "a", "b"])) == 2.5


def test_evaluate_end_to_end_with_a_tiny_prior(h36m_dir, tiny_prior):
    from zedo.runtime import LoopConfig

    r = evaluate(h36m_dir, engine=tiny_prior, every=2, config=LoopConfig(iterations=5), progress=False)
    assert r["poses"] == 20 and np.isfinite(r["mpjpe"]) and r["track"] == "gt"

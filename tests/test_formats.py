"""Input and output files (zedo.runtime.io.formats): load_input's formats and its errors naming the
file and field, save_output's round trip and its failures leaving nothing behind."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import synthetic_poses

from zedo.runtime import LoopConfig, estimate, load_input, save_output


def test_load_input_formats(tmp_path):
    s = synthetic_poses(1, seed=12)
    single = tmp_path / "single.json"
    single.write_text(json.dumps({"keypoints": s["keypoints"][0].tolist(), "K": s["K"].tolist(), "scores": [1.0] * 17}))
    d = load_input(single)
    assert d.keypoints.shape == (1, 17, 2) and d.scores.shape == (1, 17) and d.K.shape == (1, 3, 3)
    assert d.keypoints.dtype == np.float64
    many = tmp_path / "many.npz"
    kp = np.concatenate([s["keypoints"]] * 3).astype(np.float32)
    kp[2, 16] = np.nan
    sc = np.ones((3, 17))
    sc[2, 16] = 0.0
    np.savez(many, keypoints=kp, K=np.stack([s["K"]] * 3), scores=sc)
    d = load_input(many)
    assert d.keypoints.shape == (3, 17, 2) and d.K.shape == (3, 3, 3) and d.keypoints.dtype == np.float64
    assert (d.keypoints[2, 16] == 0).all() and d.scores[2, 16] == 0  # a missing joint is zeroed, score 0
    np.savez(many, keypoints=kp[:2], K=s["K"])
    assert (load_input(many).scores == 1).all()


@pytest.mark.parametrize(
    "name, content, match",
    [
        ("in.txt", "", r"in.txt: unknown input format '.txt'"),
        ("in.json", "[1, 2]", r"in.json: expected a JSON object \(zedo.s input\)"),
        (
            "in.json",
            '{"keypoints": "abc", "K": [[1, 0, 0], [0, 1, 0], [0, 0, 1]]}',
            r"in.json: keypoints must hold real numbers, got <U3",
        ),
        (
            "in.json",
            '{"keypoints": [[1, 2], [3]], "K": [[1, 0, 0], [0, 1, 0], [0, 0, 1]]}',
            r"in.json: keypoints is not a rectangular numeric array",
        ),
        ("in.json", '{"K": [[1, 0, 0], [0, 1, 0], [0, 0, 1]]}', r"in.json: missing key 'keypoints'"),
        (
            "in.json",
            json.dumps({"keypoints": [[1.0, 2.0]] * 17, "K": [[True, 0, 0], [0, 1, 0], [0, 0, 1]]}),
            r"in.json: K must hold real numbers \(null for missing\), got \['bool', 'int'\]",
        ),
        (
            "in.json",
            json.dumps({"keypoints": [["１２", 2.0]] * 17, "K": [[1, 0, 0], [0, 1, 0], [0, 0, 1]]}),
            r"in.json: keypoints must hold real numbers",
        ),
    ],
)
def test_load_input_errors_name_file_and_field(tmp_path, name, content, match):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(ValueError, match=match):
        load_input(path)


def test_load_input_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.npz"):
        load_input(tmp_path / "nope.npz")


@pytest.fixture(scope="module")
def results(tiny_prior):
    s = synthetic_poses(2, seed=13)
    cfg = LoopConfig(iterations=5)
    return {S: estimate(s["keypoints"], K=s["K"], engine=tiny_prior, hypotheses=S, config=cfg) for S in (1, 3)}


@pytest.mark.parametrize("suffix", [".npz", ".json"])
@pytest.mark.parametrize("S", [1, 3])
def test_save_output_round_trip(tmp_path, results, suffix, S):
    r = results[S]
    path = tmp_path / f"out{suffix}"
    save_output(path, r, engine="tiny")
    if suffix == ".npz":
        with np.load(path) as f:
            got = {k: f[k] for k in f.files}
    else:
        got = {k: np.asarray(v) for k, v in json.loads(path.read_text()).items()}
    keys = {"joints_3d", "translation", "valid", "K", "layout", "engine", "noise_px", "starts"}
    if S > 1:
        keys |= {"hypotheses", "selected", "selection", "reprojection_px", "prior_residual"}
    assert set(got) == keys
    for k in keys - {"engine", "selection", "layout"}:
        np.testing.assert_array_equal(got[k], getattr(r, k))
    assert str(got["engine"]) == "tiny"
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_save_output_failure_leaves_nothing(tmp_path, results):
    with pytest.raises(ValueError, match="unknown output format"):
        save_output(tmp_path / "out.txt", results[1])
    with pytest.raises(ValueError, match="joints_3d"):
        save_output(tmp_path / "out.npz", results[1], joints_3d=np.zeros(3))
    kept = tmp_path / "kept.json"
    kept.write_text("old")
    with pytest.raises(ValueError, match="'note'"):
        save_output(kept, results[3], note={"not": "an array"})
    assert kept.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["kept.json"]

"""The installed ``zedo-infer`` command, run as a user would (a subprocess of the console script)."""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest
from conftest import EXE, assert_one_error_line, fast, synthetic_poses, zedo_infer


@pytest.fixture
def npz_input(tmp_path):
    s = synthetic_poses(4, seed=9)
    path = tmp_path / "cam0.npz"
    np.savez(path, keypoints=s["keypoints"], K=s["K"], scores=np.full((4, 17), 0.8))
    return path


def test_help_lists_what_a_user_sets_and_help_all_the_rest():
    short = zedo_infer("--help", check_rc=0, env_extra={"COLUMNS": "80"}).stdout
    assert len(short.splitlines()) <= 50
    for option in ("-o", "--layout", "--image-size", "--camera", "--preset", "--device", "--fps", "--plot"):
        assert option in short
    for internal in ("--step-scale", "--start-shortlist", "--sampler", "--no-warmup", "cpu-split", "--ipo-joints"):
        assert internal not in short
    every = zedo_infer("--help-all", check_rc=0).stdout
    for option in ("--engine", "--hypotheses", "--iterations", "--batch-size", "--selection", "--sampler", "--no-ipo"):
        assert option in every
    assert "cpu-split" in every


def test_npz_in_npz_out(tmp_path, npz_input, tiny_prior):
    out = tmp_path / "poses.npz"
    proc = zedo_infer(npz_input, "-o", out, *fast(tiny_prior), check_rc=0)
    summary = proc.stdout.strip().splitlines()
    assert len(summary) == 1 and "4 poses x 1 hypothesis" in summary[0] and " px" in summary[0]
    assert proc.stderr == ""  # --quiet: no progress bar
    with np.load(out) as f:
        assert f["joints_3d"].shape == (4, 17, 3) and f["translation"].shape == (4, 3)
        np.testing.assert_array_equal(f["joints_3d"][:, 0], f["translation"])
        assert "hypotheses" not in f.files
        assert int(f["iterations"]) == 20 and str(f["engine"]) == str(tiny_prior)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cam0.npz", "poses.npz"]  # no temporary left


def test_json_single_pose_in_json_out_with_hypotheses(tmp_path, tiny_prior):
    s = synthetic_poses(1, seed=10)
    kp = s["keypoints"][0].tolist()
    kp[13] = [None, None]  # a missing joint: null keypoint, score 0
    scores = [1.0] * 17
    scores[13] = 0.0
    inp = tmp_path / "pose.json"
    inp.write_text(json.dumps({"keypoints": kp, "K": s["K"].tolist(), "scores": scores}))
    out = tmp_path / "out" / "pose3d.json"
    zedo_infer(inp, "-o", out, *fast(tiny_prior), "--hypotheses", 3, check_rc=0)
    doc = json.loads(out.read_text())
    assert np.shape(doc["joints_3d"]) == (1, 17, 3) and np.shape(doc["hypotheses"]) == (1, 3, 17, 3)
    assert np.shape(doc["reprojection_px"]) == (1, 3) and np.shape(doc["prior_residual"]) == (1, 3)
    assert doc["selection"] == "both" and 0 <= doc["selected"][0] < 3  # auto, the noise estimated
    assert np.isfinite(np.asarray(doc["joints_3d"])).all()


def test_start_candidates_recorded(tmp_path, npz_input, tiny_prior):
    out = tmp_path / "poses.npz"
    zedo_infer(npz_input, "-o", out, *fast(tiny_prior), "--initial-candidates", 1, check_rc=0)
    with np.load(out) as f:
        assert int(f["start_candidates"]) == 1 and f["joints_3d"].shape == (4, 17, 3)


def test_hypotheses_written_to_npz(tmp_path, npz_input, tiny_prior):
    out = tmp_path / "poses.npz"
    zedo_infer(
        npz_input,
        "-o",
        out,
        *fast(tiny_prior),
        "--hypotheses",
        3,
        "--selection",
        "prior",
        "--batch-size",
        5,
        check_rc=0,
    )
    with np.load(out) as f:
        assert f["hypotheses"].shape == (4, 3, 17, 3)
        assert f["selected"].shape == (4,) and str(f["selection"]) == "prior"
        np.testing.assert_array_equal(f["selected"], f["prior_residual"].argmin(1))
        np.testing.assert_array_equal(f["joints_3d"], f["hypotheses"][np.arange(4), f["selected"]])


def _bad_input(tmp_path, kind):
    s = synthetic_poses(2, seed=11)
    path = tmp_path / ("bad.json" if kind == "json_syntax" else "bad.npz")
    if kind == "nan_keypoint":
        kp = s["keypoints"].copy()
        kp[1, 3] = np.nan
        np.savez(path, keypoints=kp, K=s["K"])
    elif kind == "missing_K":
        np.savez(path, keypoints=s["keypoints"])
    elif kind == "unknown_key":
        np.savez(path, keypoints=s["keypoints"], K=s["K"], score=np.ones((2, 17)))
    elif kind == "K_shape":
        np.savez(path, keypoints=s["keypoints"], K=np.eye(4))
    elif kind == "not_npz":
        path.write_bytes(b"not a zip file")
    elif kind == "json_syntax":
        path.write_text('{"keypoints": [1, 2')
    return path


@pytest.mark.parametrize(
    "kind, field",
    [
        ("nan_keypoint", "keypoints[1, 3]"),
        ("missing_K", "give K"),
        ("unknown_key", "'score'"),
        ("K_shape", "K has shape"),
        ("not_npz", ".npz"),
        ("json_syntax", ".json"),
    ],
)
def test_bad_input_exits_2_with_one_line_naming_the_file(tmp_path, tiny_prior, kind, field):
    inp = _bad_input(tmp_path, kind)
    out = tmp_path / "out.npz"
    proc = zedo_infer(inp, "-o", out, *fast(tiny_prior))
    assert_one_error_line(proc, str(inp), field)
    assert not out.exists()


@pytest.mark.parametrize(
    "problem", ["missing_input", "output_suffix", "missing_engine", "bad_option_value", "bad_candidates"]
)
def test_other_errors_exit_2_with_one_line(tmp_path, npz_input, tiny_prior, problem):
    out = tmp_path / "out.npz"
    args = {
        "missing_input": [tmp_path / "nope.npz", "-o", out, *fast(tiny_prior)],
        "output_suffix": [npz_input, "-o", tmp_path / "out.txt", *fast(tiny_prior)],
        "missing_engine": [npz_input, "-o", out, *fast(tmp_path / "nope.onnx")],
        "bad_option_value": [npz_input, "-o", out, *fast(tiny_prior), "--hypotheses", 0],
        "bad_candidates": [npz_input, "-o", out, *fast(tiny_prior), "--initial-candidates", 0],
    }[problem]
    proc = zedo_infer(*args)
    assert_one_error_line(proc)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cam0.npz"]


@pytest.mark.parametrize("existing", [False, True])
def test_failing_engine_leaves_no_output(tmp_path, npz_input, make_prior, existing):
    out = tmp_path / "poses.npz"
    if existing:
        out.write_bytes(b"previous result")
    # With the progress bar on: the error must still be the last line, after the closed bar.
    proc = zedo_infer(npz_input, "-o", out, "--engine", make_prior("fails"), "--iterations", 20, "--threads", 1)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("zedo-infer: error: ") and "fails.onnx" in last
    if existing:
        assert out.read_bytes() == b"previous result"
    else:
        assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if ".part" in p.name]


def test_plot_writes_png(tiny_prior, tmp_path, synth):
    pytest.importorskip("matplotlib")
    s = synth(2)
    inp = tmp_path / "in.npz"
    np.savez(inp, keypoints=s["keypoints"], K=s["K"])
    png = tmp_path / "poses.png"
    r = subprocess.run(
        [
            EXE,
            str(inp),
            "-o",
            str(tmp_path / "out.npz"),
            "--engine",
            str(tiny_prior),
            "--iterations",
            "5",
            "--quiet",
            "--plot",
            str(png),
        ],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_ctrl_c_exits_130_with_one_line_and_writes_nothing(tmp_path, tiny_prior):
    import signal
    import time

    s = synthetic_poses(256, seed=14)
    inp, out = tmp_path / "in.npz", tmp_path / "out.npz"
    np.savez(inp, keypoints=s["keypoints"], K=s["K"])
    proc = subprocess.Popen(
        [
            EXE,
            str(inp),
            "-o",
            str(out),
            "--engine",
            str(tiny_prior),
            "--iterations",
            "100000",
            "--threads",
            "1",
            "--quiet",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(3.0)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert stderr.strip().splitlines() == ["zedo-infer: interrupted; nothing was written"]
    assert list(tmp_path.iterdir()) == [inp]


@pytest.mark.parametrize(
    "extra, names",
    [
        (["--plot", "poses.xyz"], ["poses.xyz", "PNG"]),
        (["--plot", "{blocked}/p.png"], ["p.png", "cannot write the plot here"]),
        (["--threads", "-1"], ["--threads"]),
        (["--threads", "100000"], ["--threads"]),
        (["--hypotheses", "0"], ["--hypotheses"]),
        (["--batch-size", "0"], ["--batch-size"]),
    ],
)
def test_bad_plot_and_run_options_write_nothing(tmp_path, npz_input, tiny_prior, extra, names):
    out = tmp_path / "out.npz"
    blocked = tmp_path / "a-file"  # a plot "folder" that is a file: the plot cannot be written
    blocked.write_text("not a folder")
    extra = [e.replace("{blocked}", str(blocked)) for e in extra]
    proc = zedo_infer(npz_input, "-o", out, *fast(tiny_prior), *extra)
    assert_one_error_line(proc, *names)
    assert not out.exists()

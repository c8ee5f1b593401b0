"""zedo-eval on a tiny synthetic Human3.6M folder (VideoPose3D layout): loading both 2D tracks,
scoring, bad inputs named, the command, and the same run through zedo-infer (``--via-cli``)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from zedo.evaluation import evaluate, load_h36m_eval, score
from zedo.evaluation.scoring import action_mean
from zedo.runtime import LoopConfig


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
    r = evaluate(h36m_dir, engine=tiny_prior, every=2, config=LoopConfig(iterations=5), progress=False)
    assert r["poses"] == 20 and np.isfinite(r["mpjpe"]) and r["track"] == "gt"


# ---- bad inputs: one ValueError naming the argument or the file -------------------------------


def test_bad_arguments_are_named(h36m_dir):
    for every in (0, -1, 1.5):
        with pytest.raises(ValueError, match="every must be a whole number"):
            load_h36m_eval(h36m_dir, every=every)
    with pytest.raises(ValueError, match="subject 'S1' is not in the file"):
        load_h36m_eval(h36m_dir, subject="S1")
    with pytest.raises(ValueError, match="limit must be"):
        evaluate(h36m_dir, engine="nope.onnx", limit=-1)


@pytest.mark.parametrize("name", ["data_3d_h36m.npz", "cameras.json", "data_2d_h36m_sh_pt_mpii.npz"])
def test_a_missing_file_is_named(h36m_dir, name):
    (h36m_dir / name).unlink()
    with pytest.raises(ValueError, match=f"{name}: no such file"):
        load_h36m_eval(h36m_dir, track="detected")


def test_files_of_the_wrong_structure_are_named(h36m_dir):
    (h36m_dir / "cameras.json").write_text(json.dumps({"S9": {"54138969": {"R": np.eye(3).tolist()}}}))
    with pytest.raises(ValueError, match="cameras.json: camera S9/54138969 lacks field 'f'"):
        load_h36m_eval(h36m_dir)
    np.savez(h36m_dir / "data_3d_h36m.npz", positions_3d={"S9": {"Walking 1": np.zeros((3, 17, 3))}})
    with pytest.raises(
        ValueError, match=r"data_3d_h36m.npz: positions_3d\['S9'\]\['Walking 1'\] has shape \(3, 17, 3\)"
    ):
        load_h36m_eval(h36m_dir)
    np.savez(h36m_dir / "data_3d_h36m.npz", positions_3d=np.zeros((2, 32, 3)))
    with pytest.raises(
        ValueError,
        match="data_3d_h36m.npz: 'positions_3d' is a float64 array of shape \\(2, 32, 3\\), not the pickled dict",
    ):
        load_h36m_eval(h36m_dir)
    (h36m_dir / "data_3d_h36m.npz").write_text("not a zip")
    with pytest.raises(ValueError, match="data_3d_h36m.npz: not a readable .npz"):
        load_h36m_eval(h36m_dir)


def test_detections_of_the_wrong_structure_are_named(h36m_dir):
    path = h36m_dir / "data_2d_h36m_sh_pt_mpii.npz"
    np.savez(path, positions_2d={"S9": {"Walking 1": [np.zeros((6, 17, 2))] * 4, "Eating": [np.zeros((4, 16, 2))] * 4}})
    with pytest.raises(
        ValueError,
        match=r"mpii.npz: positions_2d\['S9'\]\['Walking 1'\]\[0\] has shape \(6, 17, 2\), expected \(N, 16, 2\)",
    ):
        load_h36m_eval(h36m_dir, track="detected")
    np.savez(path, positions_2d={"S9": {"Walking 1": [np.zeros((6, 16, 2))] * 4}})
    with pytest.raises(ValueError, match="mpii.npz: no detections of action 'Eating'"):
        load_h36m_eval(h36m_dir, track="detected")
    np.savez(path, positions_2d={"S9": {"Walking 1": [np.zeros((5, 16, 2))] * 4, "Eating": [np.zeros((4, 16, 2))] * 4}})
    with pytest.raises(ValueError, match="camera 54138969, have 5 frames; the 3D has 6"):
        load_h36m_eval(h36m_dir, track="detected")
    np.savez(path, positions_2d={"S1": {}})
    with pytest.raises(ValueError, match="mpii.npz: no detections for 'S9'"):
        load_h36m_eval(h36m_dir, track="detected")
    np.savez(path, other=np.zeros(2))
    with pytest.raises(ValueError, match="mpii.npz: no 'positions_2d' key"):
        load_h36m_eval(h36m_dir, track="detected")


# ---- the command ------------------------------------------------------------------------------

FIELDS = {
    "poses",
    "mpjpe",
    "pa_mpjpe",
    "pck150",
    "auc",
    "per_action_mpjpe",
    "engine",
    "prior",
    "subject",
    "every",
    "track",
    "hypotheses",
    "selection",
    "dropped_frames",
    "seconds",
    "loop",
    "via",
    "layout",
    "image_size",
    "focal_scale",
    "added_noise_px",
    "estimated_noise_px_median",
    "more_starts_fraction",
}


def test_command_prints_a_row_and_writes_the_json(h36m_dir, tiny_prior, tmp_path, capsys):
    from zedo.evaluation.cli import main

    out = tmp_path / "new" / "r.json"
    argv = [
        "--data",
        str(h36m_dir),
        "--engine",
        str(tiny_prior),
        "--every",
        "3",
        "--iterations",
        "3",
        "--track",
        "detected",
        "--quiet",
        "-o",
        str(out),
    ]
    assert main(argv) == 0
    r = json.loads(out.read_text())
    assert set(r) == FIELDS and r["track"] == "detected" and r["loop"]["iterations"] == 3 and r["via"] == "estimate"
    assert capsys.readouterr().out.startswith("    tiny     detected S=1   MPJPE")


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--every", "0"], "every must be a whole number >= 1, got 0"),
        (["--no-ipo", "--start-candidates", "5"], "--start-candidates"),
        (["--ipo-joints", "paper"], "--ipo-joints paper"),
    ],
)
def test_command_bad_options_give_one_line(h36m_dir, tiny_prior, capsys, argv, message):
    from zedo.evaluation.cli import main

    assert main(["--data", str(h36m_dir), "--engine", str(tiny_prior), "--quiet", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("zedo-eval: error: ") and message in err and err.count("\n") == 1


def test_unwritable_output_is_found_before_the_run(h36m_dir, tmp_path, capsys, monkeypatch):
    import zedo.evaluation.cli as cli

    monkeypatch.setattr(cli, "evaluate", lambda *a, **k: pytest.fail("the evaluation ran"))
    (tmp_path / "file").write_text("")
    for output, message in ((tmp_path / "file" / "r.json", "cannot write the output"), (tmp_path, "is a folder")):
        assert cli.main(["--data", str(h36m_dir), "-o", str(output)]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"zedo-eval: error: {output}") and message in err and err.count("\n") == 1


# ---- --via-cli: the same run through the installed zedo-infer --------------------------------


def test_via_cli_passes_every_loop_option(tmp_path):
    from zedo.evaluation.via_cli import infer_argv
    from zedo.runtime.apps.cli import build_parser
    from zedo.runtime.apps.loop_settings import loop_config
    from zedo.runtime.core.skeleton import IPO_JOINTS

    config = LoopConfig(
        iterations=7, sampler="sde", step_scale=0.37, warmup_fraction=0.0, start_candidates=1, ipo_joints=IPO_JOINTS
    )
    argv = infer_argv("in.npz", "out.npz", "h36m", 1, config, 64, "reprojection", seed=5, threads=2, progress=False)
    args = build_parser().parse_args(argv)
    assert loop_config(args) == config
    assert (args.engine, args.hypotheses, args.batch_size, args.selection, args.seed, args.threads, args.quiet) == (
        "h36m",
        1,
        64,
        "reprojection",
        5,
        2,
        True,
    )
    no_ipo = LoopConfig(ipo=False)
    assert loop_config(build_parser().parse_args(infer_argv("i.npz", "o.npz", "h36m", 2, no_ipo, 8, "prior"))) == no_ipo


def test_via_cli_gives_the_in_process_numbers(h36m_dir, tiny_prior):
    from zedo.runtime.core.skeleton import IPO_JOINTS

    config = LoopConfig(
        iterations=4, sampler="sde", step_scale=0.5, warmup_fraction=0.0, start_candidates=1, ipo_joints=IPO_JOINTS
    )
    kw = dict(engine=str(tiny_prior), every=3, config=config, progress=False, threads=1, seed=3, batch_size=7)
    here, there = evaluate(h36m_dir, **kw), evaluate(h36m_dir, via_cli=True, **kw)
    assert there["via"] == "zedo-infer" and here["poses"] == there["poses"] == 16
    for field in ("mpjpe", "pa_mpjpe", "pck150", "auc"):
        assert there[field] == pytest.approx(here[field], rel=1e-5, abs=1e-6)


def test_a_failing_zedo_infer_is_one_line(h36m_dir, tiny_prior, capsys):
    from zedo.evaluation.cli import main

    with pytest.raises(RuntimeError, match=r"^zedo-infer failed \(exit status 2\): --batch-size must be"):
        evaluate(h36m_dir, engine=str(tiny_prior), every=3, via_cli=True, batch_size=0, progress=False)
    capsys.readouterr()
    assert (
        main(["--data", str(h36m_dir), "--engine", str(tiny_prior), "--every", "3", "--via-cli", "--batch-size", "0"])
        == 2
    )
    err = capsys.readouterr().err
    assert err.startswith("zedo-eval: error: --batch-size must be a whole number >= 1") and err.count("\n") == 1, (
        err
    )  # checked before the run


def test_relay_passes_the_progress_bar_and_holds_the_error():
    import io

    from zedo.evaluation.via_cli import relay

    text = "\rzedo:  10%|#\rzedo:  20%|##\rzedo:  20%|##\nwarning: slow\nzedo-infer: error: no such file x.npz\n"
    out = io.StringIO()
    assert relay(io.BufferedReader(io.BytesIO(text.encode())), out) == "no such file x.npz"
    assert out.getvalue() == "\rzedo:  10%|#\rzedo:  20%|##\rzedo:  20%|##\nwarning: slow\n"


def test_evaluation_stands_on_the_runtime_only():
    """zedo.evaluation and zedo.datasets load neither torch nor zedo.training (one-way layers)."""
    import subprocess
    import sys

    code = (
        "import sys, zedo.evaluation.cli, zedo.datasets.h36m; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'torch' or m.startswith('zedo.training')))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


@pytest.mark.parametrize("via_cli", [False, True])
def test_layouts_and_cameras_as_a_user_would_give_them(h36m_dir, tiny_prior, via_cli):
    """The set written as COCO-17 or OpenPose (the joints they share), and the camera as an image size
    or a scaled K, runs through estimate and zedo-infer alike."""
    from zedo.evaluation.accuracy import evaluate
    from zedo.runtime import LoopConfig

    cfg = LoopConfig(iterations=3)
    runs = {
        key: evaluate(h36m_dir, str(tiny_prior), every=3, config=cfg, progress=False, via_cli=via_cli, **kw)
        for key, kw in {
            "coco": {"layout": "coco17"},
            "op": {"layout": "openpose25"},
            "size": {"image_size": (1000, 1002)},
            "f": {"focal_scale": 1.4},
        }.items()
    }
    assert (
        runs["coco"]["layout"] == "coco17"
        and runs["size"]["image_size"] == [1000, 1002]
        and runs["f"]["focal_scale"] == 1.4
    )
    assert all(np.isfinite(r["mpjpe"]) for r in runs.values())
    with pytest.raises(ValueError, match="focal_scale"):
        evaluate(h36m_dir, str(tiny_prior), every=3, config=cfg, image_size=(1000, 1002), focal_scale=2.0)


def test_raw_detections_keep_the_spine_and_added_noise_is_seeded(h36m_dir, tiny_prior, tmp_path, capsys):
    from zedo.evaluation.cli import main
    from zedo.evaluation.evalset import add_noise, load_h36m_eval

    curated, raw = (load_h36m_eval(h36m_dir, "S9", 3, track) for track in ("detected", "detected-raw"))
    assert (curated.scores[:, 7] == 0).all() and (raw.scores[:, 7] == 1).all() and (raw.scores[:, 9] == 0).all()
    noisy = [add_noise(raw, 5.0, seed) for seed in (0, 0, 1)]
    np.testing.assert_array_equal(noisy[0].keypoints, noisy[1].keypoints)
    assert not np.allclose(noisy[0].keypoints, noisy[2].keypoints)
    assert 3.0 < np.nanstd(noisy[0].keypoints - raw.keypoints) < 7.0
    out = tmp_path / "r.json"
    argv = [
        "--data",
        str(h36m_dir),
        "--engine",
        str(tiny_prior),
        "--every",
        "3",
        "--iterations",
        "3",
        "--track",
        "detected-raw",
        "--add-noise",
        "5",
        "--quiet",
        "-o",
        str(out),
    ]
    assert main(argv) == 0
    r = json.loads(out.read_text())
    assert r["added_noise_px"] == 5.0 and r["estimated_noise_px_median"] >= 0
    assert "detected-raw+5px" in capsys.readouterr().out
    assert main(argv[:-2] + ["--add-noise", "-1"]) == 2
    assert "added noise" in capsys.readouterr().err

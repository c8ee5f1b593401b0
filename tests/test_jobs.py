"""Many inputs into one output folder (zedo.runtime.pipeline.jobs) in one process, and its command line."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import synthetic_poses

from zedo.runtime import LoopConfig, load_input
from zedo.runtime.apps.cli import main
from zedo.runtime.pipeline.jobs import run_job, run_local
from zedo.runtime.pipeline.plan import Item, is_complete, plan_job
from zedo.runtime.pipeline.request import Request
from zedo.runtime.solve.api import estimate_inputs


def options(prior, **kw) -> Request:
    return Request(engine=str(prior), threads=1, config=LoopConfig(iterations=20), **kw)


def write_input(path, n: int, seed: int, **extra):
    s = synthetic_poses(n, seed=seed)
    np.savez(path, keypoints=s["keypoints"], K=s["K"], **extra)
    return path


@pytest.fixture
def inputs(tmp_path):
    """Three good inputs of 5, 7 and 3 poses."""
    folder = tmp_path / "in"
    folder.mkdir()
    return [write_input(folder / f"part{i}.npz", n, seed=i) for i, n in enumerate((5, 7, 3))]


def lifted(path, prior):
    """One input lifted in one call, as ``zedo-infer INPUT -o OUT`` lifts it."""
    return estimate_inputs(load_input(path), str(prior), 1, LoopConfig(iterations=20))


def test_outputs_named_after_inputs_equal_one_run_each(tmp_path, inputs, tiny_prior):
    summary = run_job(inputs, tmp_path / "out", options(tiny_prior))
    assert summary.inputs == 3 and summary.poses == 15 and not summary.failed
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "part0.npz",
        "part1.npz",
        "part2.npz",
    ]  # nothing else left
    for path in inputs:
        with np.load(tmp_path / "out" / path.name) as f:
            np.testing.assert_array_equal(f["joints_3d"], lifted(path, tiny_prior).joints_3d)
            assert int(f["iterations"]) == 20 and str(f["engine"]) == str(tiny_prior)
    assert "15 poses lifted" in summary.line() and "poses/s" in summary.line()


def test_a_failing_input_is_named_and_the_others_go_on(tmp_path, inputs, tiny_prior):
    bad = tmp_path / "in" / "bad.npz"
    np.savez(bad, keypoints=np.full((2, 17, 2), np.nan), K=np.eye(3), scores=np.ones((2, 17)))
    unplaced = write_input(tmp_path / "in" / "nohips.npz", 2, seed=5, scores=np.zeros((2, 17)))
    lines = []
    summary = run_job([inputs[0], bad, unplaced, inputs[1]], tmp_path / "out", options(tiny_prior), report=lines.append)
    assert [s for s, _ in summary.failed] == [str(bad), str(unplaced)]
    assert (
        len(lines) == 2
        and lines[0].startswith(f"{bad}: keypoints[0, 0]")
        and lines[1].startswith(f"{unplaced}: none of the 2 poses can be placed")
    )
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["part0.npz", "part1.npz"]
    assert summary.poses == 12 and "2 failed" in summary.line()


@pytest.mark.parametrize("output_format", ["zedo", "mmpose"])
def test_chunks_are_joined_into_the_output_of_one_run(tmp_path, tiny_prior, output_format):
    big = write_input(tmp_path / "big.npz", 7, seed=3, frame=np.arange(7) * 2, track=np.zeros(7, int))
    request = options(tiny_prior, output_format=output_format, per_frame=True)
    run_job([big], tmp_path / "whole", request)
    plan = plan_job([big], tmp_path / "chunked", request, chunk_size=3)
    assert [(i.start, i.stop) for i in plan.items] == [(0, 3), (3, 6), (6, 7)]
    summary = run_job([big], tmp_path / "chunked", request, chunk_size=3)
    assert summary.poses == 7 and not summary.failed
    name = "big.npz" if output_format == "zedo" else "big.json"
    assert [p.name for p in (tmp_path / "chunked").iterdir()] == [name]  # the parts are gone
    if output_format == "zedo":
        with np.load(tmp_path / "whole" / name) as a, np.load(tmp_path / "chunked" / name) as b:
            assert sorted(a.files) == sorted(b.files)
            for key in a.files:
                np.testing.assert_array_equal(a[key], b[key])
    else:
        assert json.loads((tmp_path / "whole" / name).read_text()) == json.loads(
            (tmp_path / "chunked" / name).read_text()
        )


def test_a_video_input_is_one_item_whatever_the_chunk_size(tmp_path, tiny_prior):
    """Its tracks are smoothed over all their frames: a chunk would change its answer."""
    video = write_input(tmp_path / "video.npz", 7, seed=3, frame=np.arange(7), track=np.zeros(7, int))
    plan = plan_job([video], tmp_path / "out", options(tiny_prior), chunk_size=3)
    assert [(i.start, i.stop, i.output_format) for i in plan.items] == [(0, 7, "zedo")] and not plan.parts


def test_resume_skips_complete_outputs_and_redoes_the_rest(tmp_path, inputs, tiny_prior):
    out = tmp_path / "out"
    run_job(inputs, out, options(tiny_prior))
    (out / "part1.npz").write_bytes((out / "part1.npz").read_bytes()[:100])  # damaged by something else
    (out / "part2.npz").unlink()
    kept = (out / "part0.npz").stat().st_mtime_ns
    summary = run_job(inputs, out, options(tiny_prior), resume=True)
    assert summary.skipped == (str(inputs[0]),) and summary.poses == 10 and "1 complete already" in summary.line()
    assert (out / "part0.npz").stat().st_mtime_ns == kept
    assert all(is_complete(out / p.name, n, "zedo") for p, n in zip(inputs, (5, 7, 3)))


def test_an_interrupted_chunked_job_resumes_from_its_parts(tmp_path, tiny_prior):
    big = write_input(tmp_path / "big.npz", 7, seed=4)
    ran = []

    def stop_after_two(items, opts, on_outcome):
        def counted(outcome):
            ran.append(outcome.name)
            on_outcome(outcome)
            if len(ran) == 2:
                raise KeyboardInterrupt

        run_local(items, opts, counted)

    with pytest.raises(KeyboardInterrupt):
        run_job([big], tmp_path / "out", options(tiny_prior), chunk_size=3, runner=stop_after_two)
    assert len(list((tmp_path / "out" / ".big.parts").iterdir())) == 2 and not (tmp_path / "out" / "big.npz").exists()
    summary = run_job([big], tmp_path / "out", options(tiny_prior), chunk_size=3, resume=True)
    assert summary.poses == 1  # only the last chunk was left
    with np.load(tmp_path / "out" / "big.npz") as f:
        np.testing.assert_array_equal(f["joints_3d"], lifted(big, tiny_prior).joints_3d)


def test_json_outputs_with_invalid_poses_count_as_complete(tmp_path, tiny_prior):
    scores = np.ones((3, 17))
    scores[1, 4:] = 0.0  # 4 joints seen: kept with valid 0, NaN joints (null in JSON)
    path = write_input(tmp_path / "p.npz", 3, seed=6, scores=scores)
    for fmt in ("json", "mmpose"):
        summary = run_job([path], tmp_path / fmt, options(tiny_prior, output_format=fmt))
        assert summary.invalid == 1
        assert is_complete(tmp_path / fmt / "p.json", 3, fmt) and not is_complete(tmp_path / fmt / "p.json", 4, fmt)


def test_plan_refuses_jobs_that_cannot_be_laid_out(tmp_path, tiny_prior):
    a = write_input(tmp_path / "x.npz", 2, seed=0)
    (tmp_path / "sub").mkdir()
    b = write_input(tmp_path / "sub" / "x.npz", 2, seed=1)
    with pytest.raises(ValueError, match="would both write"):
        plan_job([a, b], tmp_path / "out", options(tiny_prior))
    with pytest.raises(ValueError, match="overwrite the input"):
        plan_job([a], tmp_path, options(tiny_prior))
    with pytest.raises(ValueError, match="chunk_size"):
        plan_job([a], tmp_path / "out", options(tiny_prior), chunk_size=0)
    with pytest.raises(ValueError, match="output_format"):
        options(tiny_prior, output_format="csv")


def test_item_names_say_which_poses_a_chunk_holds():
    assert Item("a.npz", "o/a.npz", 0, 5).name == "a.npz"
    assert Item("a.npz", "o/.a.parts/0-3.npz", 0, 3, "part").name == "a.npz (poses 0-3)"


def fast_argv(prior):
    return ["--engine", str(prior), "--iterations", "20", "--threads", "1", "--quiet"]


def test_command_output_dir_exit_status_and_lines(tmp_path, inputs, tiny_prior, capsys):
    bad = tmp_path / "in" / "bad.json"
    bad.write_text("{not json")
    rc = main(
        [
            *map(str, inputs),
            str(bad),
            "--output-dir",
            str(tmp_path / "out"),
            "--output-format",
            "json",
            *fast_argv(tiny_prior),
        ]
    )
    out, err = capsys.readouterr()
    assert rc == 2
    assert out.strip().startswith("4 inputs: 15 poses lifted") and "1 failed" in out
    lines = err.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith(f"zedo-infer: {bad}: not a readable .json file")
    assert lines[1] == f"zedo-infer: error: 1 of 4 inputs failed (each named above): {bad}"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["part0.json", "part1.json", "part2.json"]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["a.npz", "b.npz", "-o", "x.npz"], "2 inputs: give --output-dir DIR"),
        (["a.npz"], "a.npz: no such input file"),
        (["a.npz", "-o", "x.npz", "--output-dir", "d"], "not both"),
        (["a.npz", "-o", "x.npz", "--ray"], "--ray works with --output-dir"),
        (["a.npz", "-o", "x.npz", "--resume"], "--resume works with --output-dir"),
        (["a.npz", "--output-dir", "d", "--workers", "2"], "--workers works with --ray"),
        (["a.npz", "--output-dir", "d", "--plot", "p.png"], "--plot draws one input's poses"),
        (["a.npz", "-o", "x.npz", "--output-format", "json"], "name a .json file"),
    ],
)
def test_command_refuses_options_that_do_not_go_together(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]


def test_command_ray_address_that_is_an_input_is_refused(tmp_path, inputs, capsys):
    assert main([str(inputs[0]), "--output-dir", str(tmp_path / "o"), "--ray", str(inputs[1])]) == 2
    assert "is not a Ray address" in capsys.readouterr().err

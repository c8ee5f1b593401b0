"""zedo on Ray (zedo.runtime.pipeline.ray_data): a local Ray of 2 CPUs, the tiny prior, few iterations.

One Ray for the module (starting it takes seconds); every test lifts a handful of small inputs.
"""

from __future__ import annotations

import os
import signal
import threading
import time

import numpy as np
import pytest
from conftest import synthetic_poses

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'zedo[ray]')")

from zedo.runtime import LoopConfig, estimate  # noqa: E402
from zedo.runtime.apps.cli import main  # noqa: E402
from zedo.runtime.pipeline.jobs import run_job  # noqa: E402
from zedo.runtime.pipeline.plan import is_complete  # noqa: E402
from zedo.runtime.pipeline.ray_data import RayRunner, Workers, lift_dataset, root_cause  # noqa: E402
from zedo.runtime.pipeline.request import Request  # noqa: E402


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
    yield
    ray.shutdown()


def options(prior, iterations: int = 20) -> Request:
    return Request(engine=str(prior), threads=1, config=LoopConfig(iterations=iterations))


def write_inputs(folder, sizes):
    folder.mkdir()
    paths = []
    for i, n in enumerate(sizes):
        s = synthetic_poses(n, seed=20 + i)
        paths.append(folder / f"part{i}.npz")
        np.savez(paths[-1], keypoints=s["keypoints"], K=s["K"])
    return paths


def assert_same_outputs(a, b):
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir())
    for name in names:
        with np.load(a / name) as x, np.load(b / name) as y:
            assert sorted(x.files) == sorted(y.files)
            for key in x.files:
                np.testing.assert_array_equal(x[key], y[key])


def test_ray_command_gives_the_one_process_results(local_ray, tmp_path, tiny_prior, capsys):
    inputs = write_inputs(tmp_path / "in", (4, 6, 3, 5))
    bad = tmp_path / "in" / "bad.npz"
    bad.write_bytes(b"not an npz")
    run_job(inputs, tmp_path / "one", options(tiny_prior))
    argv = [
        *map(str, [*inputs, bad]),
        "--output-dir",
        str(tmp_path / "ray"),
        "--engine",
        str(tiny_prior),
        "--iterations",
        "20",
        "--quiet",
    ]
    assert main([*argv, "--ray", "--workers", "2"]) == 2  # Ray is running already: the command joins it
    out, err = capsys.readouterr()
    assert out.startswith("5 inputs: 18 poses lifted") and "1 failed" in out
    assert (
        f"zedo-infer: {bad}: not a readable zedo input .npz file" in err
        and f"1 of 5 inputs failed (each named above): {bad}" in err
    )
    assert_same_outputs(tmp_path / "one", tmp_path / "ray")


def test_a_killed_worker_is_restarted_and_every_output_is_complete(local_ray, tmp_path, tiny_prior):
    from ray._private import state  # the actors' process ids, as `ray list actors` shows them

    sizes = (3,) * 8
    inputs = write_inputs(tmp_path / "in", sizes)
    out = tmp_path / "out"
    done = {}
    job = threading.Thread(
        target=lambda: done.update(
            summary=run_job(inputs, out, options(tiny_prior, 300), runner=RayRunner(workers=Workers(2)))
        )
    )
    job.start()
    deadline = time.monotonic() + 60
    while not any(out.glob("part*.npz")) and job.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    written = len(list(out.glob("part*.npz")))
    workers = [a for a in state.actors().values() if "ItemWorker" in a["ActorClassName"] and a["State"] == "ALIVE"]
    for actor in workers:
        os.kill(actor["Pid"], signal.SIGKILL)
    job.join(timeout=120)
    assert not job.is_alive() and workers
    assert 0 < written < len(inputs)  # the kill came mid-run
    summary = done["summary"]
    assert not summary.failed and summary.poses == sum(sizes)
    assert all(is_complete(out / p.name, n, "zedo") for p, n in zip(inputs, sizes))
    restarted = [a for a in state.actors().values() if a["ActorID"] in {w["ActorID"] for w in workers}]
    assert all(a["NumRestarts"] >= 1 for a in restarted)


def test_lift_dataset_adds_poses_and_reports_a_bad_row(local_ray, tiny_prior):
    s = synthetic_poses(12, seed=30)
    keypoints = s["keypoints"].copy()
    keypoints[7, 4] = np.inf
    ds = ray.data.from_items([{"id": i, "keypoints": keypoints[i], "K": s["K"]} for i in range(12)])
    rows = sorted(lift_dataset(ds, options(tiny_prior), Workers(2), batch_size=5).take_all(), key=lambda r: r["id"])
    assert [r["id"] for r in rows] == list(range(12))
    assert [i for i, r in enumerate(rows) if r["error"]] == [7] and "keypoints[0, 4]" in rows[7]["error"]
    assert not rows[7]["valid"] and np.isnan(rows[7]["joints_3d"]).all()
    good = [i for i in range(12) if i != 7]
    ref = estimate(keypoints[good], K=s["K"], engine=str(tiny_prior), config=LoopConfig(iterations=20))
    np.testing.assert_allclose(np.stack([rows[i]["joints_3d"] for i in good]), ref.joints_3d, atol=1e-9)
    np.testing.assert_allclose(np.stack([rows[i]["translation"] for i in good]), ref.translation, atol=1e-9)


@pytest.mark.parametrize(
    "kw, message",
    [
        ({"count": 0}, "workers must be"),
        ({"cpus": -1}, "cpus per worker"),
        ({"cpus": 0, "gpus": 0}, "some CPUs or GPUs"),
    ],
)
def test_workers_are_checked(kw, message):
    with pytest.raises(ValueError, match=message):
        Workers(**kw)


def test_threads_follow_the_cpus_of_a_worker():
    assert Workers(cpus=2).threads(Request()) == 2 and Workers(cpus=0.5).threads(Request()) == 1
    assert Workers(cpus=2).threads(Request(threads=3)) == 3


def test_a_worker_that_cannot_open_the_engine_is_one_line(local_ray, tiny_prior):
    import onnxruntime

    if "CUDAExecutionProvider" in onnxruntime.get_available_providers():
        pytest.skip("this ONNX Runtime has CUDA")
    with pytest.raises(RuntimeError, match="a Ray worker cannot open the engine: device 'cuda' needs onnxruntime-gpu"):
        Workers(1).check_engine(Request(engine=str(tiny_prior), device="cuda"))
    with pytest.raises(ValueError, match="not one worker with 1 CPUs and 1 GPUs fits"):
        Workers(1, 1.0, 1.0).size()


def test_root_cause_is_the_workers_own_error():
    inner = RuntimeError("Traceback (most recent call last):\n  File x\nValueError: a.npz: bad")
    outer = RuntimeError("wrapped")
    outer.__cause__ = inner
    assert root_cause(outer) == "ValueError: a.npz: bad"
    assert root_cause(KeyError("k")) == "KeyError: 'k'"


def test_the_reach_check_knows_a_ray_cluster(local_ray):
    """``--ray HOST:PORT`` checks that Ray's gRPC answers before ``ray.init``: the running cluster's
    GCS passes (a closed port, a silent one and one that speaks something else fail:
    tests/test_bad_inputs_wave3.py)."""
    from zedo.runtime.pipeline.ray_connect import reach

    reach(ray.get_runtime_context().gcs_address, timeout=5)

"""Throughput of ``zedo-infer --ray`` with 1 and 2 workers (one thread each) beside one process, in one run.

    python benchmarks/ray_scale.py [--data ../shared/data/h36m] [--files 8] [--poses 300] [--preset v1] \
[--iterations N] [--workers 1 2] [-o benchmarks/results/ray-scale.json]
    python benchmarks/ray_scale.py --device cuda --workers 1 --files 8 --poses 3000\
     # one GPU: one actor on it, CUDA engine

Writes ``--files`` inputs of ``--poses`` Human3.6M S9 poses each (ground-truth 2D, true K; evenly
spread over the subject's every-16th frames) to a temporary folder, then lifts them all with
``zedo.runtime.pipeline.jobs.run_job``: in this process (``run_local``, one ONNX Runtime thread), and on a
local Ray (``RayRunner``) with each of ``--workers`` workers of one CPU and one thread (and one GPU
each with ``--device cuda`` or ``tensorrt``). Prints poses per second of each (the job's wall time:
actor start and engine opening included, Ray's own start not), the speed-up of the most workers
over one, and the largest difference of any output from the one-process run (metres). Ray is
started with as many CPUs (and GPUs) as this machine has, its workers at nice 0 like this process
(Ray's default is 15). Beside each run: the cores it used (CPU seconds of this process, or of the
Ray workers, over the wall time), poses per CPU-second, the overlap of its pieces (their wall
times summed over the job's: how many ran at once), and the 1-minute load average before and
after it. Workers that scale use about one core each at an unchanged rate per CPU-second; fewer
cores used than workers means other work held the cores, and the wall-time figures then say little.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import ray

from zedo.evaluation import load_h36m_eval
from zedo.evaluation.evalset import runtime_input
from zedo.runtime.pipeline.jobs import run_job, run_local
from zedo.runtime.pipeline.ray_data import RayRunner, Workers, connect
from zedo.runtime.pipeline.request import Request

sys.path.insert(0, str(Path(__file__).resolve().parent))
from settings import add_preset_options, preset_of  # noqa: E402


def write_inputs(data_dir, folder: Path, files: int, poses: int) -> list[Path]:
    """``files`` zedo .npz inputs of ``poses`` S9 poses each: keypoints (poses, 17, 2) px, scores, K (poses, 3, 3)."""
    data = load_h36m_eval(data_dir, "S9", every=16, track="gt")
    total = files * poses
    if len(data.gt) < total:
        raise SystemExit(f"S9 every 16th frame has {len(data.gt)} poses; {files} x {poses} asked")
    given = runtime_input(data.take(np.linspace(0, len(data.gt) - 1, total).astype(int)))
    paths = []
    for i in range(files):
        rows = slice(i * poses, (i + 1) * poses)
        paths.append(folder / f"s9_part{i}.npz")
        np.savez(
            paths[-1],
            keypoints=given["keypoints"][rows],
            scores=given["scores"][rows],
            K=given["K"][rows],
            layout=given["layout"],
        )
    return paths


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of process ``pid`` so far (Linux /proc); None when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class WorkerCPU:
    """CPU seconds of the Ray workers of a job, read from /proc every 0.2 s while it runs (the
    last reading of each actor process; up to 0.2 s of its end may be missed)."""

    def __init__(self):
        self.seen: dict[int, float] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self):
        from ray._private import state  # the actors' process ids, as `ray list actors` shows them

        while not self.stop.wait(0.2):
            for actor in state.actors().values():
                if "ItemWorker" in actor["ActorClassName"] and actor["State"] == "ALIVE":
                    cpu = _cpu_seconds(actor["Pid"])
                    if cpu is not None:
                        self.seen[actor["Pid"]] = cpu

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()

    @property
    def seconds(self) -> float:
        return sum(self.seen.values())


def max_difference(reference: Path, other: Path) -> float:
    """Largest |joints_3d| difference (metres) over all files; inf if validity differs or a file is missing."""
    worst = 0.0
    for ref in sorted(reference.glob("*.npz")):
        path = other / ref.name
        if not path.is_file():
            return float("inf")
        with np.load(ref) as a, np.load(path) as b:
            if not np.array_equal(a["valid"], b["valid"]):
                return float("inf")
            ok = a["valid"].astype(bool)
            worst = max(worst, float(np.abs(a["joints_3d"][ok] - b["joints_3d"][ok]).max(initial=0.0)))
    return worst


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default="../shared/data/h36m", help="Human3.6M folder (VideoPose3D files)")
    p.add_argument("--files", type=int, default=8)
    p.add_argument("--poses", type=int, default=300, help="poses per file")
    p.add_argument("--engine", default="default", help="bundled prior name or .onnx")
    add_preset_options(p)
    p.add_argument(
        "--device", default="cpu", help="ONNX Runtime execution provider: cpu, cuda or tensorrt (needs onnxruntime-gpu)"
    )
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts to measure (default: 1 2)")
    p.add_argument("-o", "--output", help="write the numbers as JSON")
    a = p.parse_args(argv)
    options = Request(engine=a.engine, device=a.device, threads=1, config=preset_of(a))
    gpus = 0.0 if a.device == "cpu" else 1.0
    runs = {
        "one process": run_local,
        **{f"ray, {n} worker{'s' if n > 1 else ''}": RayRunner(workers=Workers(n, 1.0, gpus)) for n in a.workers},
    }
    with tempfile.TemporaryDirectory() as tmp:
        inputs = write_inputs(a.data, Path(tmp), a.files, a.poses)
        # Ray starts its workers at nice 15; at 0, as the one-process run, they compete equally with
        # whatever else runs on the machine.
        os.environ.setdefault("RAY_worker_niceness", "0")
        ray.init(num_cpus=os.cpu_count(), include_dashboard=False, logging_level="ERROR", log_to_driver=False)
        connect()
        results = {}
        for name, runner in runs.items():
            out = Path(tmp) / name.replace(" ", "_").replace(",", "")
            load, own, busy = os.getloadavg()[0], time.process_time(), []

            def timed(items, opts, on_outcome, runner=runner, busy=busy):
                return runner(items, opts, lambda o: (busy.append(o.seconds), on_outcome(o)))

            with WorkerCPU() as workers:
                summary = run_job(inputs, out, options, runner=timed, report=lambda line: print(line, file=sys.stderr))
            if summary.failed:
                raise SystemExit(f"{name}: {summary.failed}")
            cpu = time.process_time() - own if runner is run_local else workers.seconds
            load = (load, os.getloadavg()[0])
            results[name] = {
                "poses": summary.poses,
                "seconds": summary.seconds,
                "poses_per_second": summary.poses_per_second,
                "cpu_seconds": cpu,
                "cores_used": cpu / summary.seconds,
                "poses_per_cpu_second": summary.poses / cpu,
                "overlap": sum(busy) / summary.seconds,
                "load_average_before_after": load,
                "output": out,
            }
            print(
                f"{name:16s} {summary.poses} poses in {summary.seconds:7.1f} s: "
                f"{summary.poses_per_second:6.2f} poses/s; {cpu / summary.seconds:.2f} cores used, "
                f"{summary.poses / cpu:.2f} poses per CPU-second, "
                f"overlap x{sum(busy) / summary.seconds:.2f} (load average {load[0]:.1f} -> {load[1]:.1f})",
                flush=True,
            )
        reference = results["one process"]["output"]
        for r in results.values():
            r["max_difference_m"] = max_difference(reference, r.pop("output"))
    rates = [r["poses_per_second"] for name, r in results.items() if name != "one process"]
    speedup = rates[-1] / rates[0]
    print(
        f"{max(a.workers)} workers / {min(a.workers)}: x{speedup:.2f}; max difference from one process: "
        + ", ".join(f"{k} {v['max_difference_m']:.2g} m" for k, v in results.items())
    )
    if a.output:
        doc = {
            "command": "python benchmarks/ray_scale.py " + " ".join(argv if argv is not None else sys.argv[1:]),
            "cpus": os.cpu_count(),
            "ray": ray.__version__,
            "files": a.files,
            "poses_per_file": a.poses,
            "preset": a.preset,
            "iterations": options.config.iterations,
            "engine": a.engine,
            "device": a.device,
            "runs": results,
            f"speedup_{max(a.workers)}_over_{min(a.workers)}": speedup,
        }
        Path(a.output).write_text(json.dumps(doc, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Where zedo's time goes: one estimate per batch size, its steps timed as a tree.

    python benchmarks/breakdown.py --engine h36m [--batches 1 1024] [--poses-batch-1 8] \
[--settings default paper] [--clock cpu --threads 1]

Each step of the estimate (the start's shortlist, IPO fits and prior calls; each iteration's
translation solve, ray projection, soft data step and noise estimate, prior call and reverse step;
the final scoring) is wrapped in
a timer that adds up its time under the step that called it (wall time, or with ``--clock cpu``
the process's CPU time, which other work on a shared machine disturbs less; with ``--threads 1``
it is the work done), so a line's time includes its
children's and "(rest)" is the time not in any timed child (NumPy glue, Python). Same poses as
benchmarks/speed.py (Human3.6M S9, ground-truth 2D). Batch 1 runs one thread (ONNX Runtime's
intra-op threads; NumPy's BLAS as the environment sets it). The timers cost about a microsecond a
call, which shows at batch 1 (a few per iteration).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from settings import SETTINGS, parse_setting, setting_config  # noqa: E402

from zedo.evaluation import load_h36m_eval  # noqa: E402
from zedo.runtime import estimate, open_engine  # noqa: E402
from zedo.runtime.core import sde  # noqa: E402
from zedo.runtime.solve import ipo, lift, loop, noise, start  # noqa: E402

CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


class Tree:
    """Inclusive time (``clock``) and call count per call path ("estimate/loop/prior")."""

    def __init__(self, clock=time.perf_counter):
        self.seconds, self.calls, self.stack, self.clock = defaultdict(float), defaultdict(int), [], clock

    def wrap(self, name: str, fn):
        def timed(*args, **kwargs):
            self.stack.append(name)
            key = "/".join(self.stack)
            t0 = self.clock()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[key] += self.clock() - t0
                self.calls[key] += 1
                self.stack.pop()

        return timed

    def lines(self, poses: int) -> list[str]:
        out = []
        for key in sorted(self.seconds):
            depth = key.count("/")
            kids = sum(v for k, v in self.seconds.items() if k.startswith(key + "/") and k.count("/") == depth + 1)
            s = self.seconds[key]
            out.append(
                f"{'  ' * depth}{key.rsplit('/', 1)[-1]:<{28 - 2 * depth}} {s:9.3f} s {1e3 * s / poses:9.3f} ms/pose "
                f"{self.calls[key]:8d} calls {1e6 * s / self.calls[key]:10.1f} us/call"
            )
            if kids:
                out.append(
                    f"{'  ' * (depth + 1)}{'(rest)':<{26 - 2 * depth}} {s - kids:9.3f} s "
                    f"{1e3 * (s - kids) / poses:9.3f} ms/pose"
                )
        return out


class TimedEngine:
    """An engine whose calls are timed as "prior" under the current step."""

    def __init__(self, engine, tree: Tree):
        self.xp, self.meta, self.path = engine.xp, engine.meta, getattr(engine, "path", None)
        self._call = tree.wrap("prior", engine.__call__)

    def __call__(self, x, t):
        return self._call(x, t)


# (module, attribute, label): the steps timed, patched where they are looked up.
STEPS = [
    (lift, "choose_start", "start"),
    (lift, "place_start", "start (placed)"),
    (start, "shortlist", "shortlist"),
    (start, "fit_yaw_distance", "ipo"),
    (start, "reprojection_error", "reprojection"),
    (start, "prior_residual", "prior residual"),
    (lift, "run_loop", "loop"),
    (loop, "solve_translation", "solve translation"),
    (loop, "project_onto_rays", "project onto rays"),
    (noise, "data_step", "soft data step"),
    (noise, "denoised_residual_px", "noise estimate"),
    (lift, "reprojection_error", "final reprojection"),
    (lift, "prior_residual", "final prior residual"),
    (ipo, "_pattern_search", "pattern search"),
]


def profile(engine, data, batch: int, config, clock=time.perf_counter) -> Tree:
    """The tree of one ``estimate`` of ``data``'s poses at ``batch`` poses a call."""
    tree = Tree(clock)
    saved = [(m, a, getattr(m, a)) for m, a, _ in STEPS]
    saved_step = sde.SAMPLERS[config.sampler]
    try:
        for m, a, label in STEPS:
            setattr(m, a, tree.wrap(label, getattr(m, a)))
        sde.SAMPLERS[config.sampler] = tree.wrap("reverse step", saved_step)
        run = tree.wrap("estimate", estimate)
        run(data.keypoints, data.K, data.scores, engine=TimedEngine(engine, tree), config=config, batch_size=batch)
    finally:
        for m, a, fn in saved:
            setattr(m, a, fn)
        sde.SAMPLERS[config.sampler] = saved_step
    return tree


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--engine", default="h36m", help="bundled prior name or .onnx")
    p.add_argument("--data", default="../shared/data/h36m")
    p.add_argument("--batches", type=int, nargs="+", default=[1, 1024])
    p.add_argument("--poses-batch-1", type=int, default=8, help="poses run one at a time at batch 1")
    p.add_argument(
        "--settings",
        nargs="+",
        default=["default"],
        help=f"names of benchmarks/settings.py's table ({', '.join(SETTINGS)}) or NAME=FLAGS",
    )
    p.add_argument("--threads", type=int, default=0, help="ONNX Runtime threads above batch 1 (0: its default)")
    p.add_argument(
        "--clock",
        choices=sorted(CLOCKS),
        default="wall",
        help="wall time, or the process's CPU time (default: %(default)s)",
    )
    a = p.parse_args(argv)
    data = load_h36m_eval(a.data, every=16)
    for text in a.settings:
        name, flags = parse_setting(text)
        for b in a.batches:
            config, device = setting_config(flags)
            engine = open_engine(a.engine, device=device, threads=1 if b == 1 and device != "cpu-numpy" else a.threads)
            n = a.poses_batch_1 if b == 1 else b
            tree = profile(engine, data.take(np.arange(n)), b, config, CLOCKS[a.clock])
            print(f"--- {name} ({flags or 'no flags'}), batch {b}, {n} poses, device {device}, {a.clock} time")
            print("\n".join(tree.lines(n)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

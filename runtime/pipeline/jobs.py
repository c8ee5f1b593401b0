"""Many inputs, one output folder: a job of items (an input, or a chunk of one, planned by
``pipeline.plan.plan_job``), each lifted and written on its own, so one bad input never stops the
others and an interrupted job loses nothing.

``run_item`` reads, lifts and writes one item through ``pipeline.run.lift_source`` (the path of
every front door, so an item's output equals ``zedo-infer -o``'s), returning an ``Outcome`` (its
error as one line instead of raising). ``run_job`` runs the plan through a runner: ``run_local``
(one item after another in this process) or ``zedo.runtime.pipeline.ray_data.RayRunner`` (Ray
actors); both call ``run_item`` on the same items. The chunks of an input are joined into its
output once all are done.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Callable

import numpy as np
from tqdm.auto import tqdm

from ..core.errors import one_line
from ..core.result import Estimate
from ..core.text import counted
from ..engines.open import Engine
from ..io.npz import read_npz
from .plan import Item, Plan, plan_job
from .request import Request
from .run import Lifted, lift_source, write_result


@dataclass(frozen=True)
class Outcome:
    """What became of one item: poses lifted (``invalid`` of them with valid 0), wall seconds, and
    the error as one line ("" when it succeeded)."""

    source: str  # the input
    name: str  # the item, for messages (the input, and its poses for a chunk)
    poses: int
    invalid: int
    seconds: float
    error: str = ""


@dataclass(frozen=True)
class JobSummary:
    """The end of a job: inputs given, poses lifted this run, failures, wall seconds of the run."""

    inputs: int
    poses: int
    invalid: int
    seconds: float
    output_dir: Path
    failed: tuple[tuple[str, str], ...] = ()  # (input, error)
    skipped: tuple[str, ...] = ()

    @property
    def poses_per_second(self) -> float:
        return self.poses / self.seconds if self.seconds > 0 else 0.0

    def line(self) -> str:
        rate = f"{self.poses_per_second:.2f} poses/s"
        text = f"{counted(self.inputs, 'input')}: {counted(self.poses, 'pose')} lifted in {self.seconds:.1f} s ({rate})"
        if self.invalid:
            text += f", {self.invalid} of them with valid = 0"
        if self.skipped:
            text += f"; {len(self.skipped)} complete already, skipped"
        if self.failed:
            text += f"; {len(self.failed)} failed"
        return f"{text} -> {self.output_dir}"


def run_item(item: Item, engine: Engine, request: Request) -> Outcome:
    """Read, lift and write one item (``run.lift_source``); any failure comes back as the
    outcome's one-line error."""
    start = time.perf_counter()
    try:
        lifted = lift_source(item.source, request, engine, rows=(item.start, item.stop))
        write_result(item.output, lifted, request, item.output_format)
        result = lifted.result
    except Exception as e:  # the item's failure is reported by the job, which goes on
        return Outcome(item.source, item.name, 0, 0, time.perf_counter() - start, one_line(e))
    return Outcome(item.source, item.name, len(result.valid), int((~result.valid).sum()), time.perf_counter() - start)


def _estimate_of_fields(f: dict, selection: str) -> Estimate:
    """An ``Estimate`` from zedo's output fields (with one hypothesis its criteria are not stored)."""
    joints = f["joints_3d"]
    n = len(joints)
    hyps = f.get("hypotheses", joints[:, None])
    nan = np.full(hyps.shape[:2], np.nan)
    return Estimate(
        joints,
        f["translation"],
        hyps,
        f.get("selected", np.zeros(n, np.int64)),
        f.get("reprojection_px", nan),
        f.get("prior_residual", nan),
        str(f.get("selection", selection)),
        f["valid"].astype(bool),
        f["K"],
        str(f["layout"]),
        f.get("noise_px"),
        f.get("starts"),
    )


def join_parts(output, parts: tuple[Item, ...], request: Request) -> None:
    """Join an input's part files (zedo .npz, in order) into its output in the job's format, then
    remove them."""
    fields = [read_npz(p.output, "zedo part") for p in parts]
    joined = {k: np.concatenate([f[k] for f in fields]) if v.ndim else v for k, v in fields[0].items()}
    indices = SimpleNamespace(frame=joined.get("frame"), track=joined.get("track"))
    write_result(output, Lifted(indices, _estimate_of_fields(joined, request.selection)), request)
    shutil.rmtree(Path(parts[0].output).parent)


Runner = Callable[[tuple[Item, ...], Request, Callable[[Outcome], None]], None]


def run_local(items: tuple[Item, ...], request: Request, on_outcome: Callable[[Outcome], None]) -> None:
    """A ``Runner``: the items one after another in this process, on one engine."""
    engine = request.open_engine()
    for item in items:
        on_outcome(run_item(item, engine, request))


def named(name: str, source: str, error: str) -> str:
    """``error`` as a line that names the item ``name`` once (errors that name ``source`` already
    have it replaced by ``name``)."""
    return name + error[len(source) :] if error.startswith(f"{source}:") else f"{name}: {error}"


@dataclass
class _Tally:
    """The job's count as outcomes arrive: poses lifted, and the first error of each failed input."""

    bar: tqdm
    report: Callable[[str], None]
    poses: int = 0
    invalid: int = 0
    failed: dict[str, str] = field(default_factory=dict)

    def fail(self, source: str, name: str, error: str) -> None:
        """Record ``source``'s first error and report it, naming the item once."""
        self.failed.setdefault(source, error)
        with tqdm.external_write_mode():
            self.report(named(name, source, error))

    def __call__(self, outcome: Outcome) -> None:
        self.bar.update(outcome.poses)
        if outcome.error:
            self.fail(outcome.source, outcome.name, outcome.error)
        else:
            self.poses, self.invalid = self.poses + outcome.poses, self.invalid + outcome.invalid


def _join_all(plan: Plan, request: Request, tally: _Tally) -> None:
    for output, parts in plan.parts.items():
        source = parts[0].source
        if source in tally.failed:
            continue  # its parts stay for a --resume
        try:
            join_parts(output, parts, request)
        except Exception as e:  # a part damaged meanwhile: that input fails, not the job
            tally.fail(source, source, one_line(e))


def run_job(
    sources,
    output_dir,
    request: Request = Request(),
    chunk_size: int | None = None,
    resume: bool = False,
    runner: Runner = run_local,
    progress: bool = False,
    report: Callable[[str], None] = print,
) -> JobSummary:
    """Lift every input in ``sources`` (paths) into ``output_dir`` (see the module docstring).

    ``runner`` runs the items (``run_local``, or a ``ray_data.RayRunner``); ``report`` gets one
    line per note and per failed input, naming it; ``progress`` shows a bar over all poses. A
    failed input does not stop the others: it is in ``summary.failed``, not raised. The engine is
    checked first (``Request.check_engine``), so a bad one raises before any input is read.
    """
    sources = [str(s) for s in sources]
    request.check_engine()
    plan = plan_job(sources, output_dir, request, chunk_size, resume)
    for line in plan.notes + tuple(named(s, s, e) for s, e in plan.failed):
        report(line)
    start = time.perf_counter()
    with tqdm(total=sum(i.stop - i.start for i in plan.items), disable=not progress, desc="zedo", unit="pose") as bar:
        tally = _Tally(bar, report)
        if plan.items:
            runner(plan.items, request, tally)
    _join_all(plan, request, tally)
    failed = plan.failed + tuple(tally.failed.items())
    return JobSummary(
        len(sources), tally.poses, tally.invalid, time.perf_counter() - start, Path(output_dir), failed, plan.skipped
    )

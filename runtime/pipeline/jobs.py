"""Many inputs, one output folder: a job of items (an input, or a chunk of one), each lifted and
written on its own, so one bad input never stops the others and an interrupted job loses nothing.

``plan_job`` reads every input once (the bad ones are reported there), skips outputs that are
complete already (``resume``) and cuts inputs longer than ``chunk_size`` poses into chunks.
``run_item`` lifts one item and writes its output atomically, returning an ``Outcome`` (its error
as one line instead of raising). ``run_job`` runs the plan through a runner: ``run_local`` (one
item after another in this process) or ``zedo.runtime.pipeline.ray_data.RayRunner`` (Ray actors); both call
``run_item`` on the same items, so their results are the same. The chunks of an input are written
as parts (``OUTPUT_DIR/.NAME.parts/``) and joined into its output once all are done.

Outputs are named after their input: ``part0.npz`` (or an OpenPose folder ``part0/``) gives
``OUTPUT_DIR/part0.npz``, or ``.json`` for the JSON formats. Units and fields as
``zedo.runtime.io.formats``.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import SimpleNamespace
from typing import Callable

import numpy as np
from tqdm.auto import tqdm

from ..apps.commands import one_line
from ..core.config import LoopConfig
from ..core.result import Estimate
from ..engines.open import Engine, open_engine
from ..engines.prior_file import TENSORRT_SUFFIXES
from ..io.formats import check_output_path, load_input, save_output, write_mmpose_json
from ..io.npz import read_npz
from ..io.readers import read_json
from ..io.validation import Inputs, as_numbers
from ..solve.api import estimate_inputs
from ..solve.scoring import SELECTIONS

# --output-format -> the suffix of its files; "zedo" and "json" hold the same fields.
FORMAT_SUFFIX = {"zedo": ".npz", "json": ".json", "mmpose": ".json"}


@dataclass(frozen=True)
class RunOptions:
    """How every item of a job is read, lifted and written (what ``estimate`` and ``load_input``
    take); checked when made (ValueError naming the field)."""

    engine: str = "default"  # bundled prior name or engine file
    device: str = "cpu"  # ONNX Runtime execution provider (zedo.runtime.engines.onnxruntime_engine.DEVICES)
    threads: int = 0  # ONNX Runtime intra-op threads; 0: its default
    hypotheses: int = 1
    config: LoopConfig = LoopConfig()
    batch_size: int = 1024  # (pose, hypothesis) pairs per prior call
    selection: str = "prior"
    seed: int = 0
    layout: str | None = None  # the inputs' layout where a file does not say
    image_size: tuple[float, float] | None = None  # (width, height) px where a file has no K
    output_format: str = "zedo"  # a key of FORMAT_SUFFIX

    def __post_init__(self):
        for name in ("hypotheses", "batch_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a whole number >= 1, got {value!r}")
        if self.selection not in SELECTIONS:
            raise ValueError(f"selection must be one of {SELECTIONS}, got {self.selection!r}")
        if self.output_format not in FORMAT_SUFFIX:
            raise ValueError(f"output_format must be one of {', '.join(FORMAT_SUFFIX)}, got {self.output_format!r}")

    def open_engine(self) -> Engine:
        return open_engine(self.engine, device=self.device, threads=self.threads)

    def check_engine(self) -> None:
        """Open the prior on the CPU (a TensorRT plan: see that the file exists), so a bad engine
        stops a job before any input is read; the device is checked where the workers run."""
        if Path(self.engine).suffix.lower() in TENSORRT_SUFFIXES:
            if not Path(self.engine).is_file():
                raise FileNotFoundError(f"engine file {self.engine} does not exist")
            return
        open_engine(self.engine, device="cpu", threads=1)


@dataclass(frozen=True)
class Item:
    """One unit of work: poses [start, stop) of the input ``source``, written to ``output`` in
    ``output_format`` ("part": a chunk, zedo's .npz to be joined). Plain fields, so items travel as
    table rows."""

    source: str
    output: str
    start: int
    stop: int
    output_format: str = "zedo"

    @property
    def name(self) -> str:
        return f"{self.source} (poses {self.start}-{self.stop})" if self.output_format == "part" else self.source


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
class Plan:
    """A job's items to run, the parts of each chunked output, and what planning found."""

    items: tuple[Item, ...]
    parts: dict[str, tuple[Item, ...]]  # output -> all its chunk items, in order (chunked inputs only)
    failed: tuple[tuple[str, str], ...] = ()  # (input, error) of inputs that could not be read
    skipped: tuple[str, ...] = ()  # inputs whose output is complete already (resume)
    notes: tuple[str, ...] = ()  # what was assumed while reading (each distinct note once)


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
        text = f"{self.inputs} inputs: {self.poses} poses lifted in {self.seconds:.1f} s ({self.poses_per_second:.2f} poses/s)"
        if self.invalid:
            text += f", {self.invalid} of them with valid = 0"
        if self.skipped:
            text += f"; {len(self.skipped)} complete already, skipped"
        if self.failed:
            text += f"; {len(self.failed)} failed"
        return f"{text} -> {self.output_dir}"


def output_path(source, output_dir, output_format: str) -> Path:
    """``OUTPUT_DIR/<input's name without suffix><the format's suffix>``."""
    return Path(output_dir) / (Path(source).stem + FORMAT_SUFFIX[output_format])


def _outputs(sources: list[str], output_dir: Path, output_format: str) -> dict[str, str]:
    """Each input's output path; ValueError if two inputs would write one file or an output would
    overwrite an input."""
    outputs, owner = {}, {}
    for source in sources:
        out = output_path(source, output_dir, output_format)
        check_output_path(out, inputs=sources)
        if out in owner:
            raise ValueError(f"{owner[out]} and {source} would both write {out}; give the inputs different names")
        owner[out], outputs[source] = source, str(out)
    return outputs


def _stored_joints(path: Path, output_format: str) -> np.ndarray:
    if output_format == "mmpose":
        joints = [inst["keypoints_3d"] for frame in read_json(path) for inst in frame["instances"]]
    else:
        joints = (read_npz(path, "zedo output") if path.suffix.lower() == ".npz" else read_json(path))["joints_3d"]
    return as_numbers(joints, str(path), "joints_3d")  # JSON null (a pose with valid 0) -> NaN


def is_complete(path, poses: int, output_format: str) -> bool:
    """Whether ``path`` is a readable output of ``output_format`` ("part": zedo's .npz) holding
    ``poses`` poses of 17 joints. Outputs are written atomically, so a file there is whole unless
    something else wrote it; this is the check ``resume`` trusts."""
    path = Path(path)
    if not path.is_file():
        return False
    try:
        return _stored_joints(path, output_format).shape == (poses, 17, 3)
    except (ValueError, KeyError, TypeError, OSError):
        return False


def _chunk_items(source: str, output: str, n: int, chunk_size: int) -> tuple[Item, ...]:
    """An input's chunks of ``chunk_size`` poses, written as parts in ``OUTPUT_DIR/.NAME.parts/``."""
    parts_dir = Path(output).parent / f".{Path(output).stem}.parts"
    bounds = [(a, min(a + chunk_size, n)) for a in range(0, n, chunk_size)]
    return tuple(Item(source, str(parts_dir / f"{a:010d}-{b:010d}.npz"), a, b, "part") for a, b in bounds)


def _check_chunk_size(chunk_size) -> None:
    if chunk_size is not None and (isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1):
        raise ValueError(f"chunk_size must be a whole number >= 1, got {chunk_size!r}")


def plan_job(
    sources: list, output_dir, options: RunOptions, chunk_size: int | None = None, resume: bool = False
) -> Plan:
    """Read every input (``load_input``; a bad one is recorded with its one-line error, not raised)
    and make the items: one per input, or chunks of ``chunk_size`` poses for a longer input;
    ``resume`` leaves out outputs and parts that are complete already. ValueError for a job that
    cannot be laid out (no inputs, two inputs with one output name, an output over an input)."""
    _check_chunk_size(chunk_size)
    sources = [str(s) for s in sources]
    if not sources:
        raise ValueError("no inputs given")
    outputs = _outputs(sources, Path(output_dir), options.output_format)
    items, parts, failed, skipped, notes = [], {}, [], [], {}
    for source in sources:
        try:
            inputs = load_input(source, layout=options.layout, image_size=options.image_size)
        except Exception as e:  # a bad input is reported and the others go on
            failed.append((source, one_line(e)))
            continue
        for note in inputs.notes:
            notes.setdefault(note, f"{source}: {note}")
        n, out = len(inputs.keypoints), outputs[source]
        if resume and is_complete(out, n, options.output_format):
            skipped.append(source)
        elif chunk_size is None or n <= chunk_size:
            items.append(Item(source, out, 0, n, options.output_format))
        else:
            parts[out] = _chunk_items(source, out, n, chunk_size)
            items += [p for p in parts[out] if not (resume and is_complete(p.output, p.stop - p.start, "part"))]
    return Plan(tuple(items), parts, tuple(failed), tuple(skipped), tuple(notes.values()))


def take_poses(inputs: Inputs, start: int, stop: int) -> Inputs:
    """Poses [start, stop) of ``inputs``."""
    rows = slice(start, stop)
    cut = lambda a: None if a is None else a[rows]  # noqa: E731
    return replace(
        inputs,
        keypoints=inputs.keypoints[rows],
        scores=inputs.scores[rows],
        K=inputs.K[rows],
        valid=inputs.valid[rows],
        frame=cut(inputs.frame),
        track=cut(inputs.track),
    )


def run_fields(engine, config: LoopConfig, seed: int) -> dict:
    """The run's settings written beside a zedo-format result (``save_output``'s extra fields)."""
    return dict(
        engine=str(engine),
        iterations=config.iterations,
        sampler=config.sampler,
        ipo=config.ipo,
        start_candidates=config.start_candidates,
        seed=seed,
    )


def write_result(path, result: Estimate, indices, options: RunOptions, output_format: str) -> None:
    """Write ``result`` atomically: MMPose's per-frame JSON, or zedo's fields (a part: zedo's
    .npz). ``indices``: anything with ``frame`` and ``track`` (None or (N,) ints), e.g. ``Inputs``."""
    if output_format == "mmpose":
        write_mmpose_json(path, result, indices)
    else:
        save_output(path, result, indices, **run_fields(options.engine, options.config, options.seed))


def run_item(item: Item, engine: Engine, options: RunOptions) -> Outcome:
    """Read, lift and write one item; any failure comes back as the outcome's one-line error."""
    start = time.perf_counter()
    try:
        inputs = take_poses(
            load_input(item.source, layout=options.layout, image_size=options.image_size), item.start, item.stop
        )
        result = estimate_inputs(
            inputs, engine, options.hypotheses, options.config, options.batch_size, options.selection, options.seed
        )
        write_result(item.output, result, inputs, options, item.output_format)
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
    )


def join_parts(output, parts: tuple[Item, ...], options: RunOptions) -> None:
    """Join an input's part files (zedo .npz, in order) into its output in the job's format, then
    remove them."""
    fields = [read_npz(p.output, "zedo part") for p in parts]
    joined = {k: np.concatenate([f[k] for f in fields]) if v.ndim else v for k, v in fields[0].items()}
    indices = SimpleNamespace(frame=joined.get("frame"), track=joined.get("track"))
    write_result(output, _estimate_of_fields(joined, options.selection), indices, options, options.output_format)
    shutil.rmtree(Path(parts[0].output).parent)


Runner = Callable[[tuple[Item, ...], RunOptions, Callable[[Outcome], None]], None]


def run_local(items: tuple[Item, ...], options: RunOptions, on_outcome: Callable[[Outcome], None]) -> None:
    """A ``Runner``: the items one after another in this process, on one engine."""
    engine = options.open_engine()
    for item in items:
        on_outcome(run_item(item, engine, options))


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


def _join_all(plan: Plan, options: RunOptions, tally: _Tally) -> None:
    for output, parts in plan.parts.items():
        source = parts[0].source
        if source in tally.failed:
            continue  # its parts stay for a --resume
        try:
            join_parts(output, parts, options)
        except Exception as e:  # a part damaged meanwhile: that input fails, not the job
            tally.fail(source, source, one_line(e))


def run_job(
    sources,
    output_dir,
    options: RunOptions = RunOptions(),
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
    checked first (``RunOptions.check_engine``), so a bad one raises before any input is read.
    """
    sources = [str(s) for s in sources]
    options.check_engine()
    plan = plan_job(sources, output_dir, options, chunk_size, resume)
    for line in plan.notes + tuple(named(s, s, e) for s, e in plan.failed):
        report(line)
    start = time.perf_counter()
    with tqdm(total=sum(i.stop - i.start for i in plan.items), disable=not progress, desc="zedo", unit="pose") as bar:
        tally = _Tally(bar, report)
        if plan.items:
            runner(plan.items, options, tally)
    _join_all(plan, options, tally)
    failed = plan.failed + tuple(tally.failed.items())
    return JobSummary(
        len(sources), tally.poses, tally.invalid, time.perf_counter() - start, Path(output_dir), failed, plan.skipped
    )

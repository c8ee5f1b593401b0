"""A job's plan: many inputs, one output folder. ``plan_job`` reads every input once (a bad one is
recorded with its one-line error, not raised), skips outputs that are complete already
(``resume``) and cuts per-pose inputs longer than ``chunk_size`` poses into chunks (``Item``s).
A video input (``run.lifts_as_video``) stays one item: its tracks are smoothed over all their
frames, so a chunk would change its answer.

Outputs are named after their input: ``part0.npz`` (or an OpenPose folder ``part0/``) gives
``OUTPUT_DIR/part0.npz``, or ``.json`` for the JSON formats; the chunks of an input are written
as parts (``OUTPUT_DIR/.NAME.parts/``). Units and fields as ``zedo.runtime.io.formats``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.config import check_int
from ..core.errors import one_line
from ..io.formats import check_output_path
from ..io.npz import read_npz
from ..io.readers import read_json
from ..io.validation import as_numbers
from .request import FORMAT_SUFFIX, Request
from .run import lifts_as_video, read_source


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
class Plan:
    """A job's items to run, the parts of each chunked output, and what planning found."""

    items: tuple[Item, ...]
    parts: dict[str, tuple[Item, ...]]  # output -> all its chunk items, in order (chunked inputs only)
    failed: tuple[tuple[str, str], ...] = ()  # (input, error) of inputs that could not be read
    skipped: tuple[str, ...] = ()  # inputs whose output is complete already (resume)
    notes: tuple[str, ...] = ()  # what was assumed while reading (each distinct note once)


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


def plan_job(sources: list, output_dir, request: Request, chunk_size: int | None = None, resume: bool = False) -> Plan:
    """Read every input (``run.read_source``; a bad one is recorded with its one-line error, not raised)
    and make the items: one per input, or chunks of ``chunk_size`` poses for a longer per-pose input;
    ``resume`` leaves out outputs and parts that are complete already. ValueError for a job that
    cannot be laid out (no inputs, two inputs with one output name, an output over an input)."""
    if chunk_size is not None:
        check_int("chunk_size", chunk_size, 1)
    sources = [str(s) for s in sources]
    if not sources:
        raise ValueError("no inputs given")
    outputs = _outputs(sources, Path(output_dir), request.output_format)
    items, parts, failed, skipped, notes = [], {}, [], [], {}
    for source in sources:
        try:
            inputs = read_source(source, request)
        except Exception as e:  # a bad input is reported and the others go on
            failed.append((source, one_line(e)))
            continue
        for note in inputs.notes:
            notes.setdefault(note, f"{source}: {note}")
        n, out = len(inputs.keypoints), outputs[source]
        if resume and is_complete(out, n, request.output_format):
            skipped.append(source)
        elif chunk_size is None or n <= chunk_size or lifts_as_video(inputs, request):
            items.append(Item(source, out, 0, n, request.output_format))
        else:
            parts[out] = _chunk_items(source, out, n, chunk_size)
            items += [p for p in parts[out] if not (resume and is_complete(p.output, p.stop - p.start, "part"))]
    return Plan(tuple(items), parts, tuple(failed), tuple(skipped), tuple(notes.values()))

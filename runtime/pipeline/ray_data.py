"""zedo on Ray: a Ray Data pipeline whose ``map_batches`` stage is an actor class that opens the
engine once per actor (needs ``pip install 'zedo[ray]'``).

- ``lift_dataset(ds, ...)``: a Ray Dataset of 2D poses (one row per pose: ``keypoints`` (J, 2) px,
  optional ``scores`` (J,), ``K`` (3, 3) unless ``image_size`` is given) -> the same Dataset with
  ``joints_3d`` (17, 3) and ``translation`` (3,) metres in the camera frame, ``valid`` and
  ``error`` ("" or why the row could not be lifted) added.
- ``RayRunner``: the runner of ``pipeline.jobs.run_job`` behind ``zedo-infer --ray``: one row per
  job item (an input file or a chunk of one), each read, lifted and written by an actor with
  ``jobs.run_item``, the same call as a run in one process, so the results are the same. Inputs
  and the output folder must be on storage every node sees.

Workers are actors of Ray Data's fixed-size pool (``ActorPoolStrategy(size=workers)``), each
reserving ``cpus`` CPUs and ``gpus`` GPUs (``Workers``); ONNX Runtime gets as many threads as the
worker has CPUs (unless ``Request.threads`` says), and Ray sets the actor's OMP_NUM_THREADS, which
NumPy's OpenBLAS follows, to its CPUs, so workers do not oversubscribe the cores. Ray Data
restarts an actor that dies and retries its block (its actor pools default to
``max_restarts=-1`` and ``max_task_retries=-1``); outputs are written atomically, so a retried
item rewrites a whole file.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Callable

import numpy as np
import ray
import ray.data

from ..core.config import check_float, check_int
from ..core.errors import one_line
from ..engines.open import Engine
from ..io.validation import validate_inputs
from ..solve.api import estimate_inputs
from .jobs import Outcome, run_item
from .plan import Item
from .ray_connect import RAY_TIMEOUT, connect
from .request import Request


def _workers_that_fit(cpus: float, gpus: float) -> int:
    """How many workers of ``cpus`` CPUs and ``gpus`` GPUs the cluster holds; ValueError for none
    (Ray would wait for them for ever)."""
    resources = ray.cluster_resources()
    fits = [resources.get("CPU", 0) / cpus] if cpus else []
    fits += [resources.get("GPU", 0) / gpus] if gpus else []
    if min(fits) < 1:
        have = f"{resources.get('CPU', 0):g} CPUs and {resources.get('GPU', 0):g} GPUs"
        raise ValueError(f"the Ray cluster has {have}: not one worker with {cpus:g} CPUs and {gpus:g} GPUs fits")
    return int(min(fits))


@dataclass(frozen=True)
class Workers:
    """The actor pool of a ``map_batches`` stage: ``count`` actors (None: as many as fit), each
    reserving ``cpus`` CPUs and ``gpus`` GPUs (fractions share a device)."""

    count: int | None = None
    cpus: float = 1.0
    gpus: float = 0.0

    def __post_init__(self):
        if self.count is not None:
            check_int("workers", self.count, 1)
        for name in ("cpus", "gpus"):
            check_float(f"{name} per worker", getattr(self, name), 0, 1024)
        if self.cpus == 0 and self.gpus == 0:
            raise ValueError("a worker must reserve some CPUs or GPUs")

    def threads(self, request: Request) -> int:
        """ONNX Runtime threads per worker: the request's own, else the worker's CPUs (at least 1)."""
        return request.threads or max(1, int(self.cpus))

    def size(self, at_most: int | None = None) -> int:
        """The number of actors: ``count``, or as many as fit in the cluster; at most ``at_most``.
        ValueError when not even one fits."""
        fit = _workers_that_fit(self.cpus, self.gpus)
        size = self.count or fit
        return size if at_most is None else max(1, min(size, at_most))

    def check_engine(self, request: Request) -> None:
        """Open the engine in one Ray task with a worker's resources: RuntimeError with its one-line
        error where it cannot (a worker's failing constructor would bury it in Ray's tracebacks)."""
        error = ray.get(_engine_error.options(num_cpus=self.cpus, num_gpus=self.gpus).remote(request))
        if error:
            raise RuntimeError(f"a Ray worker cannot open the engine: {error}")

    def map_batches(self, ds, fn, request: Request, batch_size: int, at_most: int | None = None):
        """``ds.map_batches`` with the actor class ``fn(request)`` on this pool (of at most
        ``at_most`` actors: no more than there are blocks), once a worker has opened the engine."""
        size = self.size(at_most)
        self.check_engine(request)
        return ds.map_batches(
            fn,
            batch_size=batch_size,
            compute=ray.data.ActorPoolStrategy(size=size),
            num_cpus=self.cpus,
            num_gpus=self.gpus,
            fn_constructor_kwargs={"request": replace(request, threads=self.threads(request))},
        )


@ray.remote(max_retries=0)
def _engine_error(request: Request) -> str:
    """ "" where the engine opens on this worker, else its error on one line."""
    try:
        request.open_engine()
    except Exception as e:  # reported to the driver as a line, not raised through Ray
        return one_line(e)
    return ""


class _EngineActor:
    """A Ray Data actor class: the engine is opened once, when the actor starts."""

    def __init__(self, request: Request):
        self.request = request
        self.engine: Engine = request.open_engine()


class ItemWorker(_EngineActor):
    """Runs job items (rows of ``jobs.Item`` fields) with ``jobs.run_item``; returns ``Outcome`` rows."""

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, list]:
        columns = [batch[k].tolist() for k in Item.__dataclass_fields__]
        items = [Item(*row) for row in zip(*columns)]
        outcomes = [asdict(run_item(item, self.engine, self.request)) for item in items]
        return {k: [o[k] for o in outcomes] for k in Outcome.__dataclass_fields__}


@dataclass(frozen=True)
class RayRunner:
    """A ``jobs.Runner`` on Ray: at ``address`` (None: a local Ray on this machine), reached within
    ``timeout`` seconds (``ray_connect``), on ``workers``; one item per block, so a retried block
    redoes one item."""

    address: str | None = None
    workers: Workers = Workers()
    timeout: float = RAY_TIMEOUT

    def __post_init__(self):
        check_float("timeout", self.timeout, 0.1, 86400)

    def __call__(self, items: tuple[Item, ...], request: Request, on_outcome: Callable[[Outcome], None]) -> None:
        started = connect(self.address, self.timeout)
        ds = ray.data.from_items([asdict(i) for i in items], override_num_blocks=len(items))
        try:
            for row in self.workers.map_batches(ds, ItemWorker, request, batch_size=1, at_most=len(items)).iter_rows():
                on_outcome(Outcome(**row))
        except ray.exceptions.RayError as e:
            raise RuntimeError(
                f"Ray stopped the job: {root_cause(e)}; the outputs written so far are complete (resume=True)"
            ) from e
        finally:
            if started:  # here, not at exit, so that Ctrl-C while Ray stops is the command's one line too
                ray.shutdown()


def root_cause(e: BaseException) -> str:
    """The worker's own error behind a Ray error, on one line: the innermost exception in the chain
    with a message; Ray's carry the worker's traceback as text, whose last line is the error."""
    chain = [e]
    while len(chain) < 20 and (getattr(chain[-1], "cause", None) or chain[-1].__cause__) is not None:
        chain.append(getattr(chain[-1], "cause", None) or chain[-1].__cause__)
    for exc in reversed(chain):
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        if lines:
            return lines[-1] if len(lines) > 1 else f"{type(exc).__name__}: {lines[0]}"
    return type(e).__name__


class PoseLifter(_EngineActor):
    """Lifts a batch of pose rows with ``estimate``; a batch with a bad row is lifted row by row, and
    a row that fails comes back with valid False, NaN joints and its error."""

    def _lift(self, batch: dict[str, np.ndarray], rows: slice) -> dict[str, np.ndarray]:
        o = self.request
        K, scores = (batch[key][rows] if key in batch else None for key in ("K", "scores"))
        inputs = validate_inputs(
            batch["keypoints"][rows], K, scores, source="pose row", layout=o.layout, image_size=o.image_size
        )
        r = estimate_inputs(inputs, self.engine, o.hypotheses, o.config, o.batch_size, o.selection, o.seed)
        return {"joints_3d": r.joints_3d, "translation": r.translation, "valid": r.valid}

    def _row_by_row(self, batch: dict[str, np.ndarray], n: int) -> tuple[dict[str, np.ndarray], list[str]]:
        out = {
            "joints_3d": np.full((n, 17, 3), np.nan),
            "translation": np.full((n, 3), np.nan),
            "valid": np.zeros(n, bool),
        }
        errors = [""] * n
        for i in range(n):
            try:
                for key, value in self._lift(batch, slice(i, i + 1)).items():
                    out[key][i] = value[0]
            except ValueError as e:
                errors[i] = one_line(e)
        return out, errors

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        n = len(batch["keypoints"])
        try:
            out, errors = self._lift(batch, slice(None)), [""] * n
        except ValueError:  # a bad row: find it, lift the others
            out, errors = self._row_by_row(batch, n)
        return {**batch, **out, "error": np.array(errors, dtype=object)}


def lift_dataset(ds, request: Request = Request(), workers: Workers = Workers(), batch_size: int = 256):
    """``ds`` (a ``ray.data.Dataset`` of pose rows, see the module docstring) with ``joints_3d``,
    ``translation``, ``valid`` and ``error`` added, lifted by ``workers`` actors in batches of
    ``batch_size`` rows. Lazy, as every Dataset transform: it runs when consumed. ``request``
    gives the engine, loop settings, ``layout`` and ``image_size`` (its output fields are unused).
    Joins the Ray already initialised, else starts a local one."""
    connect()
    return workers.map_batches(ds, PoseLifter, request, batch_size)

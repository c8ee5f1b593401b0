"""``zedo-eval --via-cli``: the evaluation set through the installed ``zedo-infer`` command.

The set is written as a zedo-infer input file (keypoints (M, 17, 2) px, NaN where missing; scores
(M, 17); K (M, 3, 3)), the command runs in a subprocess with the same loop options
(``zedo.runtime.apps.loop_settings.loop_argv``), and its output file is read back. Its progress bar passes
through to our stderr; its error line becomes the message of one RuntimeError.
"""

from __future__ import annotations

import codecs
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from zedo.runtime import LoopConfig
from zedo.runtime.apps.loop_settings import loop_argv

INFER = "zedo-infer"
ERROR_PREFIX = f"{INFER}: error: "


def infer_executable() -> str:
    """Path of ``zedo-infer``: beside this Python (the environment running zedo-eval, activated or
    not), else on PATH."""
    exe = shutil.which(INFER, path=str(Path(sys.executable).parent)) or shutil.which(INFER)
    if exe is None:
        raise RuntimeError(f"{INFER} is not on PATH (pip install the package)")
    return exe


def infer_argv(
    input_path,
    output_path,
    engine,
    hypotheses: int,
    config: LoopConfig,
    batch_size: int,
    selection: str,
    seed: int = 0,
    threads: int = 0,
    progress: bool = True,
) -> list[str]:
    """zedo-infer's arguments (without the program) for one run with these settings."""
    argv = [
        str(input_path),
        "-o",
        str(output_path),
        "--engine",
        str(engine),
        "--hypotheses",
        str(hypotheses),
        "--selection",
        selection,
    ]
    argv += [
        "--batch-size",
        str(batch_size),
        "--seed",
        str(seed),
        "--threads",
        str(threads),
        *loop_argv(config, hypotheses),
    ]
    return argv if progress else argv + ["--quiet"]


def run_zedo_infer(
    given: dict,
    engine,
    hypotheses: int,
    config: LoopConfig,
    batch_size: int,
    selection: str,
    seed: int = 0,
    threads: int = 0,
    progress: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Hypotheses (M, S, 17, 3) camera-frame metres and selected (M,) from zedo-infer on the input
    ``given`` (``evalset.runtime_input``: keypoints, scores, K or image_size, layout), written as
    zedo's .npz; ``engine`` a bundled prior name or a file. RuntimeError with zedo-infer's message
    if it fails."""
    if not isinstance(engine, (str, Path)):
        raise ValueError(f"--via-cli needs a prior name or file for {INFER}, not an engine object")
    exe = infer_executable()
    with tempfile.TemporaryDirectory() as tmp:
        inp, out = Path(tmp) / "input.npz", Path(tmp) / "output.npz"
        np.savez(inp, **{k: v for k, v in given.items() if v is not None})
        run_quietly(
            [exe, *infer_argv(inp, out, engine, hypotheses, config, batch_size, selection, seed, threads, progress)]
        )
        with np.load(out) as r:
            hyps = r["hypotheses"] if "hypotheses" in r.files else r["joints_3d"][:, None]
            selected = r["selected"] if "selected" in r.files else np.zeros(len(hyps), int)
    return hyps, selected


def run_quietly(cmd: list[str]) -> None:
    """Run ``cmd`` (a zedo command): its stdout (a summary naming a temporary file) is dropped, its
    stderr copied to ours as it comes, but for its error line: a failure raises RuntimeError with it."""
    with subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) as proc:
        error = relay(proc.stderr, sys.stderr)
        status = proc.wait()
    if status != 0:
        raise RuntimeError(f"{INFER} failed (exit status {status}): {error or 'no message'}")


def relay(stream, out) -> str:
    """Copy the bytes of ``stream`` to the text stream ``out`` as they arrive (a progress bar's
    redraws end in carriage returns, not newlines), holding back the text from ``ERROR_PREFIX`` to
    the end of its line; returns the last such text without the prefix ('' if none)."""
    decoder, pending, error = codecs.getincrementaldecoder("utf-8")(errors="replace"), "", ""
    while chunk := stream.read1(4096):
        *lines, pending = (pending + decoder.decode(chunk)).split("\n")
        for line in lines:
            error = _pass_line(line, out, "\n") or error
        redrawn = pending.rfind("\r")  # pass finished redraws on; keep the one being written
        if redrawn > 0:
            out.write(pending[:redrawn])
            pending = pending[redrawn:]
        out.flush()
    error = _pass_line(pending + decoder.decode(b"", final=True), out, "") or error
    out.flush()
    return error


def _pass_line(line: str, out, end: str) -> str:
    """Write ``line`` + ``end`` to ``out`` unless it holds ``ERROR_PREFIX``: then write what comes
    before it and return what follows it."""
    at = line.find(ERROR_PREFIX)
    if at < 0:
        out.write(line + end)
        return ""
    if line[:at].strip():
        out.write(line[:at] + end)
    return line[at + len(ERROR_PREFIX) :].strip()

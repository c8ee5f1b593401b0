"""Errors as one line: what every boundary (a command, a job's item, a Ray worker, the C++ wrapper)
prints, and ``FieldError``, a bad setting named by its field so that each caller can name it its
own way (``hypotheses`` in Python, ``--hypotheses`` on the command line)."""

from __future__ import annotations

import re
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parents[2]  # the repository, where zedo runs from a checkout


def install_extra(extra: str) -> str:
    """The pip line that installs an extra of pyproject.toml (``ray``, ``export,train``): from the
    checkout zedo runs from (``pip install -e "/path/zedo[ray]"``), else from the index."""
    if (_CHECKOUT / "pyproject.toml").is_file() and (_CHECKOUT / "runtime").is_dir():
        return f'pip install -e "{_CHECKOUT}[{extra}]"'
    return f'pip install "zedo[{extra}]"'


# Optional packages -> how to install them (the extras of pyproject.toml).
INSTALL = {
    "torch": f"pip install torch==2.13.0 (the CPU build), then {install_extra('export,train')}",
    "onnx": install_extra("export"),
    "onnxruntime": "pip install onnxruntime (or onnxruntime-gpu for --device cuda/tensorrt; not both)",
    "matplotlib": install_extra("viz"),
    "cupy": install_extra("gpu"),
    "tensorrt": "pip install tensorrt (on a machine with an NVIDIA GPU)",
    "ray": install_extra("ray"),
    "bvhio": install_extra("bvh"),
    "av": install_extra("video"),
    "PIL": install_extra("video"),
    "rtmlib": install_extra("rtmlib"),
}


# The settings a library message may name as Python spells them (``layout='coco17'``,
# ``image_size=(W, H)``, ``per_frame=True``), and the command line's flag for each: a command's
# boundary rewrites them (``command_flags``), so each caller reads its own spelling.
FLAGS = {
    "layout": "--layout",
    "image_size": "--image-size",
    "per_frame": "--per-frame",
    "hypotheses": "--hypotheses",
    "retrack": "--retrack",
    "trust_edges": "--trust-edges",
    "device": "--device",
    "frame": "--frame",
    "fixed_bones": "--fixed-bones",
    "output_format": "--output-format",
    "resume": "--resume",
    "threads": "--threads",
    "detector": "--detector",
    "detector_model": "--detector-model",
    "fps": "--fps",
}
_SPELLED = re.compile(r"(?<![\w/.=-])(%s)=(\(([^()]*)\)|'([^']*)'|[\w.]+)" % "|".join(FLAGS))


def _flag(m: re.Match) -> str:
    name, value = m[1], m[2]
    if value in ("True", "False"):
        return FLAGS[name] if value == "True" else FLAGS[name].replace("--", "--no-", 1)
    words = m[3].replace(",", " ").split() if m[3] is not None else [m[4] if m[4] is not None else value]
    return " ".join([FLAGS[name], *words])


def command_flags(text: str) -> str:
    """A library message as a command prints it: each setting named as Python spells it
    (``layout='coco17'``, ``image_size=(W, H)``, ``per_frame=True``) as its flag (``--layout
    coco17``, ``--image-size W H``, ``--per-frame``)."""
    return _SPELLED.sub(_flag, text)


class FieldError(ValueError):
    """A setting out of its range: ``field`` (the Python name, e.g. ``batch_size``) and ``text``
    (what is wrong, e.g. ``must be a whole number >= 1, got 0``); reads ``field text``."""

    def __init__(self, field: str, text: str):
        super().__init__(f"{field} {text}")
        self.field, self.text = field, text


def _os_error(e: OSError) -> str:
    """An OSError as 'file: reason' (without Python's '[Errno N]')."""
    if not e.strerror:
        return " ".join(str(e).split())
    return f"{e.filename}: {e.strerror}" if e.filename else e.strerror


def one_line(e: BaseException) -> str:
    """The exception's message on one line; for a missing optional package the line to install
    it; the type's name where the message is empty or the exception is not one of ours (a bug, or
    a library's)."""
    if isinstance(e, ModuleNotFoundError) and (e.name or "").partition(".")[0] in INSTALL:
        name = e.name.partition(".")[0]
        return f"this needs {name}, which is not installed: {INSTALL[name]}"
    text = _os_error(e) if isinstance(e, OSError) else " ".join(str(e).split())
    if isinstance(e, (ValueError, RuntimeError, OSError)) and text:
        return text
    if isinstance(e, MemoryError):
        return f"out of memory{': ' + text if text else ''} (try a smaller --batch-size or input)"
    return f"unexpected {type(e).__name__}{': ' + text if text else ''} (set ZEDO_DEBUG=1 for the traceback)"

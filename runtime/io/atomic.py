"""File helpers shared by every command: atomic writes, so a failed run never leaves half a file."""

from __future__ import annotations

import errno
import math
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it onto ``path`` only if the block succeeds.

    The temporary file keeps ``path``'s suffix (numpy and onnx pick formats by suffix).
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f".part{path.suffix}", dir=path.parent)
    except OSError as e:
        raise OSError(
            e.errno, f"{path}: cannot write here ({e.strerror or e}{': ' + str(e.filename) if e.filename else ''})"
        ) from None
    os.close(fd)
    tmp_path = Path(tmp)
    # mkstemp creates 0600 files; give the result the permissions an ordinary open() would.
    umask = os.umask(0)
    os.umask(umask)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o666 & ~umask)
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def check_writable(path: str | os.PathLike, what: str = "the output") -> Path:
    """``path``, once a file has been made and removed in its folder (or in the nearest folder above
    it that exists: ``atomic_path`` makes the rest); checked before a long run, so that it fails
    now, not at the end. A real probe: permission bits do not bind root. OSError naming ``path``."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, f"{path}: {what} is a folder; name a file")
    folder = next((p for p in (path.parent, *path.parent.parents) if p.exists()), Path.cwd())
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as e:
        raise OSError(e.errno, f"{path}: cannot write {what} here ({e.strerror or e}: {folder})") from None
    return path


def save_npz_atomic(path: str | os.PathLike, **arrays) -> None:
    """np.savez to ``path`` (".npz" appended by numpy is avoided by writing through a file handle)."""
    import numpy as np

    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, **arrays)


def _nan_to_none(value):
    if isinstance(value, list):
        return [_nan_to_none(v) for v in value]
    if isinstance(value, dict):
        return {k: _nan_to_none(v) for k, v in value.items()}
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_json_atomic(path: str | os.PathLike, doc) -> None:
    """Write ``doc`` (lists, dicts, numbers, strings) as JSON to ``path`` atomically; NaN and
    infinities (a pose that could not be placed) become null, which every JSON reader accepts."""
    import json

    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(_nan_to_none(doc)), encoding="utf-8")

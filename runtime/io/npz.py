"""Reading ``.npz`` files that come from users: arrays only (never pickles), one error line that
names the file, and a bound on what a file may make us allocate.

Array sizes are read from each member's ``.npy`` header before any data is loaded, so a small file
that claims a huge array (or a compressed one that would expand to gigabytes) is refused up front.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
from numpy.lib import format as npy_format

MAX_ARRAY_BYTES = 8 << 30  # 8 GiB: far above any input zedo reads, far below a machine's ruin


def _header_bytes(archive: zipfile.ZipFile, name: str, path: Path) -> int:
    with archive.open(name) as f:
        try:
            major, _ = npy_format.read_magic(f)
            read_header = npy_format.read_array_header_1_0 if major == 1 else npy_format.read_array_header_2_0
            shape, _, dtype = read_header(f)
        except (ValueError, OSError) as e:
            raise ValueError(
                f"{path}: member {name} is not a readable .npy array ({' '.join(str(e).split())[:200]})"
            ) from None
    if dtype.hasobject:
        raise ValueError(f"{path}: member {name} holds Python objects (a pickle); zedo reads plain arrays only")
    return int(np.prod(shape, dtype=np.float64) * dtype.itemsize)


def _size(n: float) -> str:
    return f"{n / 2**30:.1f} GiB" if n >= 2**30 else f"{n / 2**20:.1f} MiB"


def read_npz(path, what: str = ".npz file", limit: int = MAX_ARRAY_BYTES) -> dict[str, np.ndarray]:
    """All arrays of the ``.npz`` at ``path`` as a dict; ValueError naming the file (``what`` says
    what it should have been) when it is not a readable archive of plain arrays, or when its arrays
    would take more than ``limit`` bytes together. FileNotFoundError when there is no file."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such {what}")
    try:
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if n.endswith(".npy")]
            total = sum(_header_bytes(archive, n, path) for n in names)
        if total > limit:
            raise ValueError(f"{path}: its arrays would take {_size(total)} (more than {_size(limit)}); not a {what}")
        with np.load(path, allow_pickle=False) as f:
            return {k: f[k] for k in f.files}
    except (OSError, EOFError, zipfile.BadZipFile, ValueError) as e:
        if isinstance(e, ValueError) and str(e).startswith(f"{path}:"):
            raise
        raise ValueError(f"{path}: not a readable {what} ({' '.join(str(e).split())[:200]})") from None

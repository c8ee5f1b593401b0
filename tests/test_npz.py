"""Reading users' .npz files (zedo.runtime.io.npz): plain arrays only, sizes bounded before loading."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest

from zedo.runtime.io.npz import read_npz


def test_reads_plain_arrays(tmp_path):
    path = tmp_path / "a.npz"
    np.savez_compressed(path, x=np.arange(6.0).reshape(2, 3), name="coco17")
    got = read_npz(path)
    assert set(got) == {"x", "name"} and got["x"].shape == (2, 3) and str(got["name"]) == "coco17"


def test_a_file_claiming_a_huge_array_is_refused_before_loading(tmp_path):
    """A 400-byte archive whose .npy header claims 253 GiB: refused from the header alone."""
    path = tmp_path / "huge.npz"
    header = np.lib.format.header_data_from_array_1_0(np.zeros(1))
    header["shape"] = (34_000_000_000,)
    with zipfile.ZipFile(path, "w") as z, z.open("keypoints.npy", "w") as f:
        np.lib.format.write_array_header_1_0(f, header)
        f.write(b"\0" * 64)
    assert path.stat().st_size < 1000
    with pytest.raises(ValueError, match="huge.npz: its arrays would take 253.3 GiB"):
        read_npz(path)


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda p: np.savez(p, o=np.array([{"a": 1}], dtype=object)), "member o.npy holds Python objects"),
        (lambda p: p.write_bytes(b"not a zip"), "not a readable .npz file"),
        (
            lambda p: np.save(p.with_suffix(".npy"), np.ones(2)) or p.with_suffix(".npy").rename(p),
            "not a readable .npz file",
        ),
    ],
)
def test_bad_files_are_one_line_naming_the_file(tmp_path, make, match):
    path = tmp_path / "bad.npz"
    make(path)
    with pytest.raises(ValueError, match=match) as info:
        read_npz(path)
    assert str(info.value).startswith(str(path))


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.npz: no such"):
        read_npz(tmp_path / "nope.npz")

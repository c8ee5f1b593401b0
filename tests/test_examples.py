"""The webcam example's glue (examples/webcam.py) on recorded arrays: no camera, rtmlib or weights."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from conftest import fast, trajectory, zedo_infer

from zedo.runtime import open_engine
from zedo.runtime.io.layouts import get_layout

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "webcam.py"


@pytest.fixture(scope="module")
def webcam():
    spec = importlib.util.spec_from_file_location("webcam_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def coco_people(frames: int = 6):
    """What rtmlib's Body gives per frame: (P, 17, 2) COCO keypoints and (P, 17) scores; frame 3 is
    empty and the others hold the tracked person and a fainter second one."""
    s = trajectory(frames)
    kp, sc = get_layout("coco17").from_prior(s["keypoints"], np.ones((frames, 17)))
    out = []
    for f in range(frames):
        if f == 3:
            out.append((np.zeros((0, 17, 2)), np.zeros((0, 17))))
            continue
        other = kp[f] + [200.0, 0.0]
        out.append(
            (np.stack([other, kp[f]]), np.stack([np.full(17, 0.3), np.where(np.isfinite(kp[f, :, 0]), 0.9, 0.0)]))
        )
    return out


def test_main_person_is_the_most_confident(webcam):
    assert webcam.main_person(np.zeros((0, 17, 2)), np.zeros((0, 17))) is None
    assert webcam.main_person(np.zeros((2, 17, 2)), np.stack([np.full(17, 0.2), np.full(17, 0.8)])) == 1


def test_recorded_frames_are_lifted_drawn_and_saved_for_zedo_infer(webcam, tiny_prior, tmp_path):
    pytest.importorskip("matplotlib")
    engine = open_engine(tiny_prior, threads=1)
    record = tmp_path / "keys.npz"
    window = webcam.SkeletonWindow(show=False)
    assert webcam.run((1000, 1000), iter(coco_people()), engine, window, record) == 5
    image_size, frames = webcam.replay(record)
    replayed = list(frames)
    assert image_size == (1000, 1000) and len(replayed) == 6 and len(replayed[3][0]) == 0
    assert webcam.run(image_size, iter(replayed), engine, None) == 5
    proc = zedo_infer(record, "-o", tmp_path / "poses.npz", *fast(tiny_prior), check_rc=0)
    assert "5 poses" in proc.stdout
    with np.load(tmp_path / "poses.npz") as f:
        assert f["frame"].tolist() == [0, 1, 2, 4, 5] and f["valid"].all()

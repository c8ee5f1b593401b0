"""Keypoint layouts (zedo.runtime.io.layouts): each table on hand-made poses, and how input in a
layout goes through validation and estimate."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import OWN_NAMES, SHARED, synthetic_poses, write_as

from zedo.runtime import LoopConfig, estimate
from zedo.runtime.core.skeleton import JOINT_NAMES
from zedo.runtime.io.layouts import LAYOUTS, get_layout, looks_like_body25b, looks_like_coco
from zedo.runtime.io.validation import validate_inputs


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_each_layout_gives_back_the_joints_it_shares_and_synthesises_the_rest(name):
    layout = get_layout(name)
    s = synthetic_poses(4, seed=3)
    kp, sc = write_as(layout, s["keypoints"])
    if layout.normalised:
        kp = kp / 1000.0
        out = validate_inputs(kp, s["K"], sc, layout=name, image_size=(1000, 1000))
    else:
        out = validate_inputs(kp, s["K"], sc, layout=name)
    got, got_sc = out.keypoints, out.scores
    for j, joint in enumerate(JOINT_NAMES):
        if joint in SHARED or joint in OWN_NAMES.get(name, {}) or name == "h36m17":
            np.testing.assert_allclose(got[:, j], s["keypoints"][:, j], atol=1e-9, err_msg=f"{name}: {joint}")
    assert (got_sc[:, [0, 1, 4]] > 0).all() and out.valid.all() and out.layout == name
    # Synthesised torso joints land near the truth (the T-pose's proportions are Human3.6M-like).
    for j in (0, 7, 8, 10):
        assert np.linalg.norm(got[:, j] - s["keypoints"][:, j], axis=-1).max() < 40, (name, JOINT_NAMES[j])


def test_left_and_right_stay_the_subjects_own():
    coco = get_layout("coco17")
    assert coco.to_h36m[JOINT_NAMES.index("l_hip")] == ((coco.joint_names.index("left_hip"), 1.0),)
    op = get_layout("openpose25")
    assert op.to_h36m[JOINT_NAMES.index("r_wrist")] == ((op.joint_names.index("right_wrist"), 1.0),)


def test_synthesised_score_is_the_smallest_source_score_and_a_missing_source_drops_it():
    coco = get_layout("coco17")
    kp = np.random.default_rng(0).uniform(100, 900, (2, 17, 2))
    sc = np.ones((2, 17))
    sc[0, 11], sc[0, 12] = 0.4, 0.9  # hips
    sc[1, 12] = 0.0  # right hip missing
    out, out_sc = coco.to_prior(kp, sc)
    assert out_sc[0, 0] == pytest.approx(0.4)  # pelvis = middle of the hips
    np.testing.assert_allclose(out[0, 0], (kp[0, 11] + kp[0, 12]) / 2)
    assert out_sc[1, 0] == 0 and np.isnan(out[1, 0]).all() and out_sc[1, 1] == 0
    assert out_sc[1, 4] == 1  # the left hip is still there


def test_coco_order_given_as_human36m_is_refused_but_human36m_is_not():
    s = synthetic_poses(5, seed=4)
    coco, sc = write_as(get_layout("coco17"), s["keypoints"])
    assert looks_like_coco(coco, sc) and not looks_like_coco(s["keypoints"], np.ones((5, 17)))
    with pytest.raises(ValueError, match="layout=.coco17."):
        validate_inputs(coco, s["K"], sc)
    assert validate_inputs(s["keypoints"], s["K"]).layout == "h36m17"


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"layout": "coco18"}, "layout 'coco18' is not a known keypoint layout"),
        ({"layout": "halpe26"}, "layout halpe26 has 26 keypoints, keypoints has 17"),
        ({"keypoints": np.ones((2, 19, 2))}, "19 keypoints per pose fit no known layout"),
        (
            {"keypoints": np.full((2, 33, 2), 0.5), "image_size": None, "K": None},
            "layout mediapipe33 gives coordinates in \\[0, 1\\]",
        ),
        ({"K": None}, "no camera: give K"),
        ({"K": None, "image_size": (0, 100)}, "image_size must be"),
        ({"keypoints": np.ones((2, 17, 3)), "scores": np.ones((2, 17))}, "score column"),
    ],
)
def test_bad_layout_and_camera_inputs(kwargs, match):
    s = synthetic_poses(2, seed=5)
    args = {"keypoints": s["keypoints"], "K": s["K"], "scores": None, **kwargs}
    with pytest.raises(ValueError, match=match):
        validate_inputs(args.pop("keypoints"), args.pop("K"), args.pop("scores"), source="x", **args)


def test_a_count_that_fits_one_layout_is_taken_and_said(tiny_prior):
    s = synthetic_poses(3, seed=6)
    kp, sc = write_as(get_layout("halpe26"), s["keypoints"])
    inputs = validate_inputs(np.concatenate([kp, sc[..., None]], -1), None, None, image_size=(1000, 1000))
    assert (
        inputs.layout == "halpe26"
        and any("halpe26" in n for n in inputs.notes)
        and any("focal" in n for n in inputs.notes)
    )
    np.testing.assert_allclose(inputs.K[0], [[1200, 0, 500], [0, 1200, 500], [0, 0, 1]])
    r = estimate(
        kp, scores=sc, layout="halpe26", image_size=(1000, 1000), engine=tiny_prior, config=LoopConfig(iterations=5)
    )
    assert r.layout == "halpe26" and r.joints_3d.shape == (3, 17, 3) and np.isfinite(r.joints_3d).all()
    np.testing.assert_allclose(r.K, inputs.K)


def test_body25b_is_told_from_body25_by_anatomy():
    """25 keypoints without a layout: BODY_25B (eyes and ears beside the nose at 1-4) or BODY_25
    (neck and right arm at 1-4), said in a note; a layout given is taken as it is."""
    s = synthetic_poses(6, seed=7)
    b25, sc25 = write_as(get_layout("openpose25"), s["keypoints"])
    b25b, sc25b = write_as(get_layout("openpose25b"), s["keypoints"])
    assert looks_like_body25b(b25b, sc25b) and not looks_like_body25b(b25, sc25)
    got = validate_inputs(b25b, s["K"], sc25b)
    assert got.layout == "openpose25b" and any("openpose25b" in n and "eyes and ears" in n for n in got.notes)
    np.testing.assert_allclose(got.keypoints[:, 1], s["keypoints"][:, 1], atol=1e-9)  # r_hip: index 12 of 25B
    assert validate_inputs(b25, s["K"], sc25).layout == "openpose25"
    assert validate_inputs(b25b, s["K"], sc25b, layout="openpose25").layout == "openpose25"

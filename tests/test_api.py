"""estimate() end to end with a tiny ONNX prior: shapes, consistency and input validation."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from conftest import cluster_poses, synthetic_poses

from zedo.runtime import LoopConfig, estimate, open_engine
from zedo.runtime.io.validation import validate_inputs
from zedo.runtime.solve.scoring import row_ranks, select_hypotheses

CFG = LoopConfig(iterations=20)


@pytest.fixture(scope="module")
def engine(tiny_prior):
    return open_engine(tiny_prior, threads=1)


def run(engine, n=5, seed=0, **kw):
    s = synthetic_poses(n, seed=seed)
    kw.setdefault("config", CFG)
    return s, estimate(s["keypoints"], K=s["K"], engine=engine, **kw)


@pytest.mark.parametrize("n", [1, 5])
@pytest.mark.parametrize("S", [1, 3])
def test_output_shapes_and_consistency(engine, n, S):
    s, r = run(engine, n=n, hypotheses=S)
    assert r.joints_3d.shape == (n, 17, 3) and r.translation.shape == (n, 3)
    assert r.hypotheses.shape == (n, S, 17, 3)
    assert r.selected.shape == (n,) and ((0 <= r.selected) & (r.selected < S)).all()
    assert r.reprojection_px.shape == (n, S) and r.prior_residual.shape == (n, S)
    assert r.selection == "both"  # auto, with the noise estimated
    for a in (r.joints_3d, r.translation, r.hypotheses, r.reprojection_px, r.prior_residual):
        assert a.dtype == np.float64 and np.isfinite(a).all()
    np.testing.assert_array_equal(r.joints_3d, r.hypotheses[np.arange(n), r.selected])
    np.testing.assert_array_equal(
        r.selected, (row_ranks(r.reprojection_px, np) + row_ranks(r.prior_residual, np)).argmin(1)
    )
    np.testing.assert_array_equal((r.joints_3d - r.translation[:, None])[:, 0], 0.0)
    assert (r.joints_3d[..., 2] > 0).all()  # in front of the camera
    # Every joint is observed, so the loop leaves each on its ray: sub-pixel reprojection.
    assert (r.reprojection_px < 0.5).all()
    assert (r.prior_residual >= 0).all()


def test_hypotheses_start_from_the_first_clusters(engine):
    """S = 3 starts from clusters[50][:3]; the first is the T-pose, as the S = 1 cluster, so
    hypothesis 0 reproduces the single-hypothesis run started from the mean pose, and the others differ."""
    assert engine.meta.initial_poses(3).shape == (3, 17, 3)
    np.testing.assert_allclose(engine.meta.initial_poses(3), cluster_poses(50)[:3], atol=1e-6)
    _, one = run(engine, hypotheses=1, config=LoopConfig(iterations=20, start_candidates=1))
    _, three = run(engine, hypotheses=3)
    np.testing.assert_allclose(three.hypotheses[:, 0], one.hypotheses[:, 0], atol=1e-6)
    assert not np.allclose(three.hypotheses[:, 1], three.hypotheses[:, 0], atol=1e-3)


def test_single_hypothesis_starts_from_the_best_fitting_cluster(make_prior):
    """With a prior that predicts no noise, the loop only rescales its start onto the rays, so the
    result has the start's shape: S = 1 must start from the cluster the keypoints were made from
    (PA-MPJPE 0), where the mean pose does not. A prior storing only the mean pose starts from it."""
    from conftest import TPOSE

    from zedo.evaluation.metrics import pa_mpjpe
    from zedo.runtime.core.sde import SDEConfig
    from zedo.runtime.engines.prior_file import PriorMeta

    s = synthetic_poses(3, seed=3, noise=0.05)
    clusters = cluster_poses(50)
    clusters[[10, 20, 30]] = s["pose"]
    meta = PriorMeta(SDEConfig(), name="planted", clusters={1: TPOSE[None].astype(np.float32), 50: clusters})
    zero = open_engine(make_prior("zero", meta=meta), threads=1)
    # No warm-up: a translation held while the pose rescales would pull joints off their rays.
    cfg = LoopConfig(iterations=20, warmup_fraction=0.0)
    chosen = estimate(s["keypoints"], K=s["K"], engine=zero, config=cfg)
    mean = estimate(s["keypoints"], K=s["K"], engine=zero, config=replace(cfg, start_candidates=1))
    assert pa_mpjpe(chosen.joints_3d, s["pose_cam"]).max() < 0.05  # mm
    assert pa_mpjpe(mean.joints_3d, s["pose_cam"]).min() > 20.0
    only_mean = open_engine(
        make_prior(
            "zero",
            name="mean.onnx",
            meta=PriorMeta(SDEConfig(), name="mean", clusters={1: TPOSE[None].astype(np.float32)}),
        ),
        threads=1,
    )
    a = estimate(s["keypoints"], K=s["K"], engine=only_mean, config=cfg)
    np.testing.assert_array_equal(a.joints_3d, mean.joints_3d)


def test_small_batches_give_the_same_result(engine):
    _, whole = run(engine, hypotheses=3, batch_size=1024)
    _, parts = run(engine, hypotheses=3, batch_size=4)  # 15 rows in batches of 4, 4, 4, 3
    np.testing.assert_allclose(parts.hypotheses, whole.hypotheses, atol=1e-6)
    np.testing.assert_allclose(parts.prior_residual, whole.prior_residual, rtol=1e-5)
    np.testing.assert_array_equal(parts.selected, whole.selected)


def test_prior_selection_picks_the_lowest_residual(engine):
    _, r = run(engine, hypotheses=3, selection="prior")
    assert r.selection == "prior"
    np.testing.assert_array_equal(r.selected, r.prior_residual.argmin(1))


def test_auto_selection_is_the_prior_with_the_exact_step_and_reprojection_otherwise(engine):
    _, exact = run(engine, hypotheses=3, config=replace(CFG, noise_px=0.0))
    assert exact.selection == "prior"
    np.testing.assert_array_equal(exact.selected, exact.prior_residual.argmin(1))
    _, soft = run(engine, hypotheses=3, config=replace(CFG, noise_px=3.0))
    assert soft.selection == "both"
    ranks = row_ranks(soft.reprojection_px, np) + row_ranks(soft.prior_residual, np)
    np.testing.assert_array_equal(soft.selected, ranks.argmin(1))
    assert select_hypotheses(np.array([[1.0, 2.0, 0.5]]), np.array([[3.0, 1.0, 2.0]]), "both", np).tolist() == [2]


def test_sde_sampler_is_seeded(engine):
    cfg = LoopConfig(iterations=20, sampler="sde")
    a = run(engine, n=2, config=cfg, seed=0)[1].joints_3d
    b = run(engine, n=2, config=cfg, seed=0)[1].joints_3d
    assert np.array_equal(a, b)
    s = synthetic_poses(2, seed=0)
    c = estimate(s["keypoints"], K=s["K"], engine=engine, config=cfg, seed=1).joints_3d
    assert not np.allclose(a, c)


def test_ipo_off_and_per_pose_intrinsics(engine):
    s = synthetic_poses(3, seed=6)
    K = np.stack([s["K"]] * 3)
    r = estimate(s["keypoints"], K=K, engine=engine, config=LoopConfig(iterations=20, ipo=False))
    assert r.joints_3d.shape == (3, 17, 3) and (r.reprojection_px < 0.5).all()


def test_engine_given_by_path(tiny_prior):
    s = synthetic_poses(1)
    for e in (tiny_prior, str(tiny_prior)):
        assert estimate(s["keypoints"], K=s["K"], engine=e, config=LoopConfig(iterations=2)).joints_3d.shape == (
            1,
            17,
            3,
        )


def test_missing_joints_are_accepted(engine):
    s = synthetic_poses(3, seed=7)
    kp, scores = s["keypoints"].copy(), np.full((3, 17), 0.9)
    kp[1, 13] = np.nan  # missing left wrist: NaN keypoint with score 0
    scores[1, 13] = 0.0
    scores[2, 10] = 0.0  # missing head with a finite (ignored) keypoint
    r = estimate(kp, K=s["K"], scores=scores, engine=engine, config=CFG)
    assert np.isfinite(r.joints_3d).all()
    assert (r.reprojection_px < 0.5).all()


def _case(n=3, seed=8):
    s = synthetic_poses(n, seed=seed)
    return s["keypoints"].copy(), s["K"].copy(), np.ones((n, 17))


def _bad(kind):
    kp, K, sc = _case()
    if kind == "keypoints_shape":
        kp = kp[:, :16]
    elif kind == "keypoints_1d":
        kp = kp[0, :, 0]
    elif kind == "scores_shape":
        sc = sc[:, :16]
    elif kind == "K_shape":
        K = np.stack([K, K])
    elif kind == "nan_keypoint":
        kp[1, 5] = np.nan
    elif kind == "inf_keypoint":
        kp[2, 7, 0] = np.inf
    elif kind == "scores_zero":
        sc[1] = 0.0
    elif kind == "score_above_one":
        sc[0, 3] = 1.5
    elif kind == "score_negative":
        sc[0, 3] = -0.1
    elif kind == "score_nan":
        sc[0, 3] = np.nan
    elif kind == "singular_K":
        K = np.stack([K] * 3)
        K[1, 1] = K[1, 0]  # two equal rows
    elif kind == "nonfinite_K":
        K[0, 2] = np.nan
    elif kind == "K_behind":
        K[2, 2] = -1.0
    elif kind == "K_negative_focal":
        K[0, 0] = -1000.0
    elif kind == "K_tiny_focal":
        K[1, 1] = 1e-6
    elif kind == "K_huge_focal":
        K[0, 0] = 1e30
    elif kind == "K_aspect":
        K[0, 0] = 1e6
    elif kind == "keypoints_complex":
        kp = kp + 0j
    elif kind == "keypoints_bool":
        kp = kp > 0
    elif kind == "keypoints_str":
        kp = kp.astype(str)
    elif kind == "keypoints_huge":
        kp[1, 2] = 1e30
    elif kind == "scores_str":
        sc = np.full(sc.shape, "１２", dtype=object)
    elif kind == "pelvis_missing":
        sc[2, 0] = 0.0
    elif kind == "hip_missing":
        sc[1, 4] = 0.0
    elif kind == "no_poses":
        kp, sc = kp[:0], sc[:0]
    return kp, K, sc


BAD_INPUTS = {
    "keypoints_shape": r"16 keypoints per pose fit no known layout",
    "keypoints_1d": r"keypoints has shape \(17,\)",
    "scores_shape": r"scores has shape",
    "K_shape": r"K has shape \(2, 3, 3\)",
    "nan_keypoint": r"keypoints\[1, 5\].*not finite",
    "inf_keypoint": r"keypoints\[2, 7\].*not finite",
    "score_above_one": r"scores\[0, 3\] = 1.5",
    "score_negative": r"scores\[0, 3\] = -0.1",
    "score_nan": r"scores\[0, 3\] = nan",
    "singular_K": r"K\[1\]\[1\]\[0\] = 1000, expected 0",
    "nonfinite_K": r"K has non-finite",
    "K_behind": r"K\[0\]'s last row is \[0.0, 0.0, -1.0\]",
    "K_negative_focal": r"K\[0\] focal length fx = -1000 is not positive \(a negative one mirrors the pose\)",
    "K_tiny_focal": r"focal length fy = 1e-06 is outside",
    "K_huge_focal": r"focal length fx = 1e\+30 is outside",
    "K_aspect": r"fx / fy = 1e\+03",
    "keypoints_complex": r"keypoints must hold real numbers, got complex128",
    "keypoints_bool": r"keypoints must hold real numbers, got bool",
    "keypoints_str": r"keypoints must hold real numbers, got <U",
    "keypoints_huge": r"keypoints\[1, 2\] = \[1e\+30, .*beyond",
    "scores_str": r"scores must hold real numbers",
    "no_poses": r"no poses",
}


def test_poses_that_cannot_be_placed_are_reported_not_fatal(engine):
    kp, K, sc = _bad("scores_zero")
    bad = int(np.argwhere((sc > 0).sum(1) < 5)[0, 0])
    assert not validate_inputs(kp, K, sc).valid[bad]
    r = estimate(kp, K=K, scores=sc, engine=engine, config=CFG)
    assert r.valid.tolist() == [i != bad for i in range(3)]
    assert np.isnan(r.joints_3d[bad]).all() and np.isfinite(r.joints_3d[r.valid]).all()
    assert np.isnan(r.reprojection_px[bad]).all()


@pytest.mark.parametrize("kind", ["pelvis_missing", "hip_missing"])
def test_poses_without_their_pelvis_or_a_hip_are_lifted(engine, kind):
    kp, K, sc = _bad(kind)
    assert validate_inputs(kp, K, sc).valid.all()
    r = estimate(kp, K=K, scores=sc, engine=engine, config=CFG)
    assert r.valid.all() and np.isfinite(r.joints_3d).all() and np.isfinite(r.reprojection_px).all()


def test_a_run_where_no_pose_can_be_placed_fails(engine):
    kp, K, sc = _case()
    sc[:, 4:] = 0.0
    with pytest.raises(ValueError, match="none of the 3 poses can be placed: a pose is placed when at least 5"):
        estimate(kp, K=K, scores=sc, engine=engine, config=CFG)


@pytest.mark.parametrize("kind", sorted(BAD_INPUTS))
def test_bad_inputs_raise_value_error_naming_the_field(kind):
    kp, K, sc = _bad(kind)
    with pytest.raises(ValueError, match=BAD_INPUTS[kind]) as info:
        validate_inputs(kp, K, sc, source="cam0.npz")
    assert str(info.value).startswith("cam0.npz: ")


@pytest.mark.parametrize("kind", ["nan_keypoint", "K_behind", "keypoints_shape"])
def test_estimate_validates_before_opening_the_engine(kind):
    kp, K, sc = _bad(kind)
    with pytest.raises(ValueError, match=BAD_INPUTS[kind]):
        estimate(kp, K=K, scores=sc, engine="no-such-engine.onnx")


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"hypotheses": 0}, "hypotheses"),
        ({"hypotheses": 51}, "clusters"),
        ({"batch_size": 0}, "batch_size"),
        ({"selection": "best"}, "selection"),
    ],
)
def test_bad_settings_raise_value_error(engine, kwargs, match):
    kp, K, sc = _case()
    with pytest.raises(ValueError, match=match):
        estimate(kp, K=K, scores=sc, engine=engine, **kwargs)


@pytest.mark.parametrize(
    "field, value",
    [
        ("iterations", 0),
        ("iterations", 10**9),
        ("iterations", 2.5),
        ("start_candidates", 0),
        ("start_shortlist", 0),
        ("start_ensemble", 0),
        ("start_ensemble", 21),  # more than the 20 shortlisted
        ("start_fit", "global"),
        ("sampler", "heun"),
        ("warmup_fraction", 1.5),
        ("step_scale", 0.0),
        ("ipo_joints", ()),
        ("ipo_joints", (0, 17)),
        ("min_score", 0.0),
        ("ipo_distance", -3.0),
        ("ipo_scale_range", (2.0, 0.5)),
    ],
)
def test_loop_config_checks_its_fields(field, value):
    with pytest.raises(ValueError, match=field):
        LoopConfig(**{field: value})


def test_engine_errors(tmp_path, make_prior):
    kp, K, sc = _case(n=1)
    go = lambda e: estimate(kp, K=K, scores=sc, engine=e, config=LoopConfig(iterations=2))  # noqa: E731
    with pytest.raises(ValueError, match="neither a bundled prior"):
        go("nonexistent")
    with pytest.raises(ValueError, match=r"\.onnx"):
        go(tmp_path / "prior.pt")
    with pytest.raises(FileNotFoundError, match="missing.onnx"):
        go(tmp_path / "missing.onnx")
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(np.random.default_rng(0).bytes(256))
    with pytest.raises(ValueError, match="junk.onnx: not a readable ONNX model"):
        go(junk)
    with pytest.raises(ValueError, match=r"wrong_names.onnx: inputs \['pose', 'time'\]"):
        go(make_prior("wrong_names"))
    with pytest.raises(ValueError, match="no metadata sidecar"):
        go(make_prior("ok", name="bare.onnx", with_meta=False))
    with pytest.raises(RuntimeError, match="fails.onnx: ONNX Runtime failed"):
        go(make_prior("fails"))
    with pytest.raises(ValueError, match="device"):
        open_engine(make_prior("ok"), device="tpu")


def test_a_prior_of_the_wrong_output_shape_is_refused(make_prior):
    kp, K, sc = _case(n=2)
    with pytest.raises(RuntimeError, match=r"bad_shape.onnx: the prior returned eps of shape \(\d+, 1, 3\)"):
        estimate(kp, K=K, scores=sc, engine=make_prior("bad_shape"), config=CFG)


def test_a_prior_returning_nan_fails_the_run_instead_of_writing_nan_poses(make_prior):
    kp, K, sc = _case(n=2)
    with pytest.raises(RuntimeError, match="non-finite values for every one of the 2 poses"):
        estimate(kp, K=K, scores=sc, engine=make_prior("nan"), config=CFG)


def test_an_ensemble_reports_the_mean_of_its_starts_loops(engine):
    """With start_ensemble E the single hypothesis is the mean of the loops run from the E
    best-ranked starts, each as a lone run from that start would give it, placed on the 2D by the
    closed-form translation; E = 1 is the plain run."""
    from zedo.runtime.core.geometry import keypoints_to_rays, solve_translation
    from zedo.runtime.solve.candidates import choose_starts
    from zedo.runtime.solve.lift import lift_batch
    from zedo.runtime.solve.loop import translation_weights
    from zedo.runtime.solve.start import start_library

    s = synthetic_poses(4, seed=3)
    f32 = lambda a: np.ascontiguousarray(a, dtype=np.float32)  # noqa: E731
    kp, sc, K = f32(s["keypoints"]), np.ones((4, 17), np.float32), f32(np.broadcast_to(s["K"], (4, 3, 3)))
    cfg = replace(CFG, start_ensemble=3)
    library = f32(start_library(engine.meta, cfg))
    got = lift_batch(kp, sc, K, engine, cfg, library=library)
    _, x0, T0 = choose_starts(library, kp, sc, K, engine, cfg, np, 3, sde=engine.meta.sde)
    alone = [lift_batch(kp, sc, K, engine, cfg, start=(x0[:, e], T0[:, e])).x for e in range(3)]
    mean = np.mean(alone, axis=0)
    np.testing.assert_allclose(got.x, mean, atol=1e-6)
    T = solve_translation(mean, keypoints_to_rays(kp, np.linalg.inv(K), np), translation_weights(sc, cfg, np), np)
    np.testing.assert_allclose(got.T, T, atol=1e-5)
    plain = estimate(s["keypoints"], K=s["K"], engine=engine, config=CFG)
    np.testing.assert_array_equal(
        estimate(s["keypoints"], K=s["K"], engine=engine, config=replace(CFG, start_ensemble=1)).joints_3d,
        plain.joints_3d,
    )
    one = estimate(s["keypoints"], K=s["K"], engine=engine, config=cfg, batch_size=5)  # 5 // 3: one pose per call
    np.testing.assert_allclose(
        one.joints_3d, estimate(s["keypoints"], K=s["K"], engine=engine, config=cfg).joints_3d, atol=1e-6
    )


@pytest.mark.parametrize(
    "changes, hypotheses, match",
    [
        ({"start_ensemble": 2}, 3, "start_ensemble 2 .* hypotheses 3"),
        ({"start_ensemble": 2, "start_candidates": 1}, 1, "start_ensemble 2 needs"),
        ({"start_ensemble": 2, "ipo": False}, 1, "start_ensemble 2 needs"),
    ],
)
def test_an_ensemble_needs_chosen_starts(engine, changes, hypotheses, match):
    with pytest.raises(ValueError, match=match):
        run(engine, config=replace(CFG, **changes), hypotheses=hypotheses)

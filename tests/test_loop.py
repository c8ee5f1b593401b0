"""Properties of the loop's pure functions (geometry, sde samplers, ipo, scoring, start, loop) in
float32 and float64."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import TPOSE, project, synthetic_poses

from zedo.runtime.core import sde as sde_lib
from zedo.runtime.core.config import LoopConfig
from zedo.runtime.core.geometry import keypoints_to_rays, project_onto_rays, solve_translation, unit, yaw_matrices
from zedo.runtime.core.sde import ode_step, sde_step
from zedo.runtime.solve import ipo
from zedo.runtime.solve.candidates import choose_start, choose_starts, weak_perspective_fit
from zedo.runtime.solve.ipo import fit_yaw_distance, refine_yaw_distance
from zedo.runtime.solve.loop import run_loop
from zedo.runtime.solve.scoring import row_ranks
from zedo.runtime.solve.start import place_start

DTYPES = [np.float32, np.float64]
# Tolerances relative to the quantities compared (metres, pixels, unitless).
TOL = {np.float32: 1e-4, np.float64: 1e-9}


def scene(n=4, seed=0, dtype=np.float64, **kw):
    s = synthetic_poses(n, seed=seed, **kw)
    K = np.broadcast_to(s["K"], (n, 3, 3)).astype(dtype)
    return s, s["keypoints"].astype(dtype), K, np.linalg.inv(K)


def ray_distance(points_cam, unit_rays):
    """Distance (..., 17) in metres of each point from the line through the origin along its unit ray."""
    along = (points_cam * unit_rays).sum(-1, keepdims=True)
    return np.linalg.norm(points_cam - along * unit_rays, axis=-1)


@pytest.mark.parametrize("dtype", DTYPES)
def test_rays_pass_through_their_keypoints(dtype):
    s, kp, K, K_inv = scene(dtype=dtype)
    rays = keypoints_to_rays(kp, K_inv, np)
    assert rays.shape == (4, 17, 3) and rays.dtype == dtype
    np.testing.assert_allclose(rays[..., 2], 1.0, atol=TOL[dtype])
    # Any point along the ray projects to the keypoint, and the true joints lie on their rays.
    np.testing.assert_allclose(project(2.7 * rays.astype(np.float64), s["K"]), s["keypoints"], atol=1e3 * TOL[dtype])
    u = unit(rays, np)
    np.testing.assert_allclose(np.linalg.norm(u, axis=-1), 1.0, atol=TOL[dtype])
    assert ray_distance(s["pose_cam"], u.astype(np.float64)).max() < 10 * TOL[dtype]


@pytest.mark.parametrize("dtype", DTYPES)
def test_project_onto_rays_puts_observed_joints_on_rays_and_keeps_masked(dtype):
    s, kp, K, K_inv = scene(dtype=dtype)
    rng = np.random.default_rng(1)
    u = unit(keypoints_to_rays(kp, K_inv, np), np)
    pose = (s["pose"] + 0.1 * rng.standard_normal(s["pose"].shape)).astype(dtype)
    T = (s["translation"] + 0.3 * rng.standard_normal((4, 3))).astype(dtype)
    mask = (rng.uniform(size=(4, 17, 1)) > 0.3).astype(dtype)
    out = project_onto_rays(pose, T, u, mask)
    assert out.shape == pose.shape and out.dtype == dtype
    dist = ray_distance(out + T[:, None], u)
    observed = mask[..., 0] > 0
    assert dist[observed].max() < 10 * TOL[dtype]
    np.testing.assert_array_equal(out[~observed], pose[~observed])
    # The move is perpendicular to the ray: the closest point, not just any point on it.
    along = ((out - pose) * u).sum(-1)
    assert np.abs(along[observed]).max() < 10 * TOL[dtype]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("weighting", ["ones", "random", "some_zero"])
def test_solve_translation_recovers_planted_translation(dtype, weighting):
    s, kp, K, K_inv = scene(n=6, seed=2, dtype=dtype)
    rays = keypoints_to_rays(kp, K_inv, np)
    rng = np.random.default_rng(3)
    w = {
        "ones": np.ones((6, 17)),
        "random": rng.uniform(0.05, 1.0, (6, 17)),
        "some_zero": (rng.uniform(size=(6, 17)) > 0.4) * 1.0,
    }[weighting]
    w[:, :3] = 1.0  # keep the problem well posed when weights are zeroed
    T = solve_translation(s["pose"].astype(dtype), rays, w.astype(dtype), np)
    assert T.shape == (6, 3) and T.dtype == dtype
    np.testing.assert_allclose(T, s["translation"], atol=100 * TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
def test_solve_translation_is_the_least_squares_solution_of_the_releases_system(dtype):
    """Off the rays (noisy joints, missing ones): the closed form is the least-squares solution of
    the release's 34 x 3 system, rows [-w, 0, w r_x] T = w (X - r_x Z) and likewise for y."""
    s, kp, K, K_inv = scene(n=6, seed=4, dtype=dtype)
    rays = keypoints_to_rays(kp, K_inv, np)
    rng = np.random.default_rng(5)
    pose = s["pose"] + 0.05 * rng.standard_normal(s["pose"].shape)
    w = rng.uniform(0.05, 1.0, (6, 17)) * (rng.uniform(size=(6, 17)) > 0.3)
    w[:, :3] = 1.0
    T = solve_translation(pose.astype(dtype), rays, w.astype(dtype), np)
    r = rays.astype(np.float64)
    for b in range(6):
        zero = np.zeros(17)
        A = np.concatenate(
            [np.stack([-w[b], zero, w[b] * r[b, :, 0]], -1), np.stack([zero, -w[b], w[b] * r[b, :, 1]], -1)]
        )
        rhs = np.concatenate(
            [w[b] * (pose[b, :, 0] - r[b, :, 0] * pose[b, :, 2]), w[b] * (pose[b, :, 1] - r[b, :, 1] * pose[b, :, 2])]
        )
        want = np.linalg.lstsq(A, rhs, rcond=None)[0]
        np.testing.assert_allclose(T[b], want * np.sign(want[2]), atol=TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
def test_solve_translation_mirrors_a_solution_behind_the_camera(dtype):
    s, kp, K, K_inv = scene(dtype=dtype)
    rays = keypoints_to_rays(kp, K_inv, np)
    # -pose - T also lies on the rays (behind the camera), so the raw solution for -pose is -T.
    T = solve_translation(-s["pose"].astype(dtype), rays, np.ones((4, 17), dtype), np)
    assert (T[:, 2] > 0).all()
    np.testing.assert_allclose(T, s["translation"], atol=100 * TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("t", [0.1, 0.05, 0.01])
def test_ode_step_is_the_subvp_probability_flow_euler_step(dtype, t):
    cfg = sde_lib.SDEConfig()
    rng = np.random.default_rng(0)
    x, eps = rng.standard_normal((3, 17, 3)).astype(dtype), rng.standard_normal((3, 17, 3)).astype(dtype)
    dt = 0.01
    out = ode_step(x, eps, t, dt, cfg, np)
    b, g2, std = sde_lib.beta(t, cfg), sde_lib.diffusion_sq(t, cfg), sde_lib.marginal_std(t, cfg)
    score = -eps.astype(np.float64) / std
    # Backwards in time: x(t - dt) = x(t) - [f(x, t) - g^2 score / 2] dt with f = -beta x / 2.
    expected = x - (-0.5 * b * x - 0.5 * g2 * score) * dt
    assert out.dtype == dtype
    np.testing.assert_allclose(out, expected, rtol=10 * TOL[dtype], atol=10 * TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
def test_sde_step_is_the_reverse_subvp_euler_maruyama_step(dtype):
    cfg = sde_lib.SDEConfig()
    rng = np.random.default_rng(0)
    x, eps = rng.standard_normal((3, 17, 3)).astype(dtype), rng.standard_normal((3, 17, 3)).astype(dtype)
    t, dt = 0.07, 0.01
    out = sde_step(x, eps, t, dt, cfg, np, np.random.default_rng(5))
    noise = np.random.default_rng(5).standard_normal(x.shape, dtype=dtype)
    b, g2, std = sde_lib.beta(t, cfg), sde_lib.diffusion_sq(t, cfg), sde_lib.marginal_std(t, cfg)
    score = -eps.astype(np.float64) / std
    expected = x - (-0.5 * b * x - g2 * score) * dt + math.sqrt(g2 * dt) * noise
    assert out.dtype == dtype
    np.testing.assert_allclose(out, expected, rtol=10 * TOL[dtype], atol=10 * TOL[dtype])


@pytest.mark.parametrize("iterations", [1, 2, 20, 1000])
def test_time_schedule_runs_from_t_max_to_t_min(iterations):
    cfg = sde_lib.SDEConfig()
    ts = sde_lib.time_schedule(iterations, cfg)
    assert len(ts) == iterations
    assert ts[0] == cfg.t_max
    if iterations > 1:
        assert ts[-1] == pytest.approx(cfg.t_min, abs=1e-12)
        assert np.all(np.diff(ts) < 0)
        np.testing.assert_allclose(np.diff(ts), np.diff(ts)[0])


def test_time_schedule_rejects_zero_iterations():
    with pytest.raises(ValueError, match="iterations"):
        sde_lib.time_schedule(0)


@pytest.mark.parametrize("dtype", DTYPES)
def test_yaw_matrices_are_rotations_about_y(dtype):
    a = np.random.default_rng(0).uniform(-np.pi, np.pi, (2, 5)).astype(dtype)
    R = yaw_matrices(a, np)
    assert R.shape == (2, 5, 3, 3) and R.dtype == dtype
    eye = np.broadcast_to(np.eye(3), R.shape)
    np.testing.assert_allclose(R @ np.swapaxes(R, -1, -2), eye, atol=10 * TOL[dtype])
    np.testing.assert_allclose(np.linalg.det(R), 1.0, atol=10 * TOL[dtype])
    np.testing.assert_allclose(
        R @ np.array([0, 1, 0], dtype), np.broadcast_to(np.array([0, 1, 0]), (2, 5, 3)), atol=10 * TOL[dtype]
    )
    # Angles add: R(a) R(b) = R(a + b).
    np.testing.assert_allclose(R[0] @ R[1], yaw_matrices(a[0] + a[1], np), atol=10 * TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("yaw_deg", [20.0, -20.0])
def test_initial_pose_optimisation_recovers_planted_yaw_and_distance(dtype, yaw_deg):
    s, kp, K, K_inv = scene(seed=3, dtype=dtype, yaw_deg=yaw_deg, noise=0.0)
    init = np.broadcast_to(TPOSE, (4, 17, 3)).astype(dtype)
    pose, T = fit_yaw_distance(init, kp, K, K_inv, LoopConfig(), np)
    assert pose.dtype == dtype and T.dtype == dtype
    hips = pose[:, 4] - pose[:, 1]  # right hip -> left hip; yaw a maps +x to (cos a, 0, -sin a)
    np.testing.assert_allclose(np.degrees(np.arctan2(-hips[:, 2], hips[:, 0])), yaw_deg, atol=0.05)
    np.testing.assert_allclose(T, s["translation"], atol=1e-3)
    np.testing.assert_allclose(pose, s["pose"], atol=1e-3)
    ipo = [0, 1, 4]
    cam = (pose + T[:, None]).astype(np.float64)
    assert np.abs(project(cam[:, ipo], s["K"]) - s["keypoints"][:, ipo]).max() < 0.01  # pixels


@pytest.mark.parametrize("dtype", DTYPES)
def test_local_search_recovers_planted_yaw_and_distance_from_a_guess(dtype):
    """From a guess 12 degrees and 15 % off (a weak-perspective fit's error), the local search
    lands where the global grid does: the planted yaw and translation (its 12 moves stop within
    0.2 % of the distance; the loop solves the translation again)."""
    s, kp, K, K_inv = scene(seed=3, dtype=dtype, yaw_deg=20.0, noise=0.0)
    init = np.broadcast_to(TPOSE, (4, 17, 3)).astype(dtype)
    guess_yaw = np.full(4, np.deg2rad(20.0 + 12.0), dtype)
    guess_distance = (1.15 * np.linalg.norm(s["translation"], axis=-1)).astype(dtype)
    pose, T = refine_yaw_distance(init, kp, K, K_inv, guess_yaw, guess_distance, LoopConfig(), np)
    assert pose.dtype == dtype and T.dtype == dtype
    np.testing.assert_allclose(T, s["translation"], rtol=2e-3)
    np.testing.assert_allclose(pose, s["pose"], atol=5e-3)  # 0.5 degrees on a 0.6 m limb


def test_ipo_grid_in_chunks_is_bit_identical(monkeypatch):
    """The grid is evaluated GRID_ROWS poses at a time on the CPU; each pose's loss is its own, so
    the fit is the same bit for bit as the whole batch at once (here 70 poses, chunks of 32)."""
    s, kp, K, K_inv = scene(n=70, seed=6, dtype=np.float32, noise=0.03)
    init = np.broadcast_to(TPOSE, (70, 17, 3)).astype(np.float32)
    w = (np.random.default_rng(7).uniform(size=(70, 17)) > 0.2).astype(np.float32)
    chunked = fit_yaw_distance(init, kp, K, K_inv, LoopConfig(), np, w)
    monkeypatch.setattr(ipo, "GRID_ROWS", 10**6)
    whole = fit_yaw_distance(init, kp, K, K_inv, LoopConfig(), np, w)
    for a, b in zip(chunked, whole):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("rows", [1, 20, 10**6])  # one candidate per pass; groups of 5, 5, 2; all at once
@pytest.mark.parametrize("shortlist", [50, 3])  # every candidate fitted; 3 of the 12 shortlisted
@pytest.mark.parametrize("fit", ["local", "grid"])
def test_choose_start_finds_the_planted_pose(dtype, rows, shortlist, fit):
    """Among articulated variants, the one the keypoints were made from (seen at another yaw and
    distance) reprojects exactly, whatever the keypoints of missing joints say; a prior that finds
    every pose equally plausible (eps = 0) leaves the choice to the reprojection."""
    rng = np.random.default_rng(4)
    truth = TPOSE + 0.08 * rng.standard_normal((4, 17, 3))
    truth -= truth[:, :1]
    others = TPOSE + 0.08 * rng.standard_normal((8, 17, 3))
    others -= others[:, :1]
    planted = [5, 0, 11, 7]
    candidates = others.copy()
    candidates = np.insert(candidates, 0, truth[1], axis=0)  # index 0 is truth[1]
    candidates = np.insert(candidates, 5, truth[0], axis=0)
    candidates = np.insert(candidates, 7, truth[3], axis=0)
    candidates = np.insert(candidates, 11, truth[2], axis=0)
    angles = np.deg2rad([30.0, -60.0, 120.0, 0.0])
    T = np.array([[0.3, 0.1, 4.0], [-0.4, 0.2, 3.2], [0.0, -0.1, 5.0], [0.2, 0.0, 3.6]])
    cam = np.einsum("bij,bkj->bki", yaw_matrices(angles, np), truth) + T[:, None]
    K = np.broadcast_to(np.array([[1100.0, 0, 500], [0, 1100, 500], [0, 0, 1]]), (4, 3, 3))
    kp = project(cam, K[0])
    scores = np.ones((4, 17))
    scores[2, 13], kp[2, 13] = 0.0, 0.0  # a missing wrist, its keypoint garbage
    zero = lambda x, t: np.zeros_like(x)  # noqa: E731
    args = (
        candidates.astype(dtype),
        kp.astype(dtype),
        scores.astype(dtype),
        K.astype(dtype),
        zero,
        LoopConfig(start_shortlist=shortlist, start_fit=fit),
        np,
    )
    index, pose, T = choose_start(*args, rows=rows)
    np.testing.assert_array_equal(index, planted)
    # choose_starts gives the same one first, then others of the shortlist, each once.
    many, poses, Ts = choose_starts(*args, count=3, rows=rows)
    assert (
        many.shape == (4, min(3, shortlist)) and poses.shape == many.shape + (17, 3) and Ts.shape == many.shape + (3,)
    )
    np.testing.assert_array_equal(many[:, 0], planted)
    np.testing.assert_array_equal(poses[:, 0], pose)
    assert all(len(set(row)) == len(row) for row in many.tolist())
    # Returned placed by the IPO on every joint: the planted start reprojects onto its keypoints.
    assert pose.shape == (4, 17, 3) and T.shape == (4, 3) and pose.dtype == dtype
    assert np.abs(project((pose + T[:, None]).astype(np.float64), K[0]) - kp)[scores > 0].max() < 0.05  # pixels


@pytest.mark.parametrize("dtype", DTYPES)
def test_weak_perspective_fit_vanishes_for_the_true_pose_far_away(dtype):
    """Far from the camera perspective is weak perspective: the pose the keypoints were made from,
    at any yaw, fits exactly (up to its depth spread over the distance) and better than others,
    and its yaw and distance guesses are the planted ones; missing joints are ignored."""
    rng = np.random.default_rng(5)
    poses = TPOSE + 0.08 * rng.standard_normal((6, 17, 3))
    poses -= poses[:, :1]
    truth = poses[[2, 4]]
    T = np.array([[0.5, 0.2, 200.0], [-1.0, 0.0, 150.0]])
    cam = np.einsum("bij,bkj->bki", yaw_matrices(np.deg2rad([75.0, -140.0]), np), truth) + T[:, None]
    K = np.broadcast_to(np.array([[1000.0, 0, 500], [0, 1000, 500], [0, 0, 1]]), (2, 3, 3))
    kp = project(cam, K[0])
    w = np.ones((2, 17))
    w[1, 3], kp[1, 3] = 0.0, -1e4  # a missing ankle, its keypoint garbage
    r, yaw, distance = weak_perspective_fit(
        poses.astype(dtype), kp.astype(dtype), np.linalg.inv(K).astype(dtype), w.astype(dtype), np
    )
    assert r.shape == yaw.shape == distance.shape == (2, 6) and r.dtype == yaw.dtype == distance.dtype == dtype
    np.testing.assert_allclose(np.degrees(yaw[[0, 1], [2, 4]]), [75.0, -140.0], atol=0.5)
    np.testing.assert_allclose(distance[[0, 1], [2, 4]], np.linalg.norm(T, axis=-1), rtol=0.01)
    np.testing.assert_array_equal(r.argmin(1), [2, 4])
    assert r[0, 2] < 1e-3 * np.delete(r[0], 2).min() and r[1, 4] < 1e-3 * np.delete(r[1], 4).min()


def test_row_ranks_count_smaller_entries_and_share_ties():
    a = np.array([[0.3, 0.1, 0.2, 0.1], [5.0, 5.0, 5.0, 5.0]])
    np.testing.assert_array_equal(row_ranks(a, np), [[3, 0, 2, 0], [0, 0, 0, 0]])
    perm = [2, 0, 3, 1]
    np.testing.assert_array_equal(row_ranks(a[:, perm], np), row_ranks(a, np)[:, perm])


@pytest.mark.parametrize("dtype", DTYPES)
def test_run_loop_with_zero_eps_ends_with_joints_on_rays(dtype):
    """With eps = 0 a step only scales the pose about the origin, which keeps it on the rays for a
    scaled translation, so the loop with the exact data step must end with every observed joint on
    its ray."""
    s, kp, K, K_inv = scene(dtype=dtype)
    calls = []
    engine = lambda x, t: np.zeros_like(x)  # noqa: E731
    init = np.broadcast_to(TPOSE, (4, 17, 3)).astype(dtype)
    scores = np.ones((4, 17), dtype)
    cfg = LoopConfig(iterations=20, noise_px=0.0)
    x, T = place_start(init, kp, scores, K, cfg, np)
    x, T, noise, _, _ = run_loop(x, T, kp, scores, K, engine, sde_lib.SDEConfig(), cfg, np, callback=calls.append)
    assert x.dtype == dtype and T.shape == (4, 3) and (noise == 0).all()
    assert [c["i"] for c in calls] == list(range(20)) and calls[-1]["t"] == pytest.approx(0.01)
    assert all(set(c) == {"i", "t", "x", "T"} for c in calls)
    u = unit(keypoints_to_rays(kp, K_inv, np), np)
    cam = x + T[:, None]
    assert (cam[..., 2] > 0).all()
    assert ray_distance(cam, u).max() < {np.float32: 1e-5, np.float64: 1e-12}[dtype]  # metres


def test_run_loop_leaves_missing_joints_to_the_prior_and_uses_the_sde_sampler():
    s, kp, K, K_inv = scene()
    scores = np.ones((4, 17))
    scores[:, 13] = 0.0  # left wrist missing
    kp = kp.copy()
    kp[:, 13] = 0.0  # validate_inputs zeroes missing keypoints
    engine = lambda x, t: np.zeros_like(x)  # noqa: E731
    init = np.broadcast_to(TPOSE, (4, 17, 3)).astype(np.float64)
    cfg = LoopConfig(iterations=10, sampler="sde")
    x, T = place_start(init, kp, scores, K, cfg, np)
    runs = [
        run_loop(x, T, kp, scores, K, engine, sde_lib.SDEConfig(), cfg, np, np.random.default_rng(seed))
        for seed in (0, 0, 1)
    ]
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    assert not np.allclose(runs[0][0], runs[2][0])
    assert np.isfinite(runs[0][0]).all() and np.isfinite(runs[0][1]).all()


def test_loop_config_rejects_unknown_sampler():
    with pytest.raises(ValueError, match="sampler"):
        LoopConfig(sampler="heun")

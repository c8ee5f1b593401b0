"""Tracking people without ids: the optimal assignment against brute force, and the tracker through
crossings, entrances, exits and scene cuts."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from conftest import K_CAM, TPOSE, project, yaw

from zedo.runtime import LoopConfig
from zedo.runtime.video.assignment import assign
from zedo.runtime.video.crowd import CrowdStream
from zedo.runtime.video.stream_config import StreamConfig
from zedo.runtime.video.tracker import Tracker, TrackerConfig, track_video


def brute_force(cost: np.ndarray) -> float:
    n, m = cost.shape
    if n <= m:
        return min(sum(cost[i, p[i]] for i in range(n)) for p in itertools.permutations(range(m), n))
    return min(sum(cost[p[j], j] for j in range(m)) for p in itertools.permutations(range(n), m))


def test_assign_matches_brute_force_on_small_random_matrices():
    rng = np.random.default_rng(0)
    for trial in range(400):
        n, m = (int(x) for x in rng.integers(1, 6, 2))
        cost = rng.random((n, m)) if trial % 2 else np.round(rng.random((n, m)) * 3)  # ties too
        rows, cols = assign(cost)
        assert len(rows) == min(n, m) and len(set(rows)) == len(rows) and len(set(cols)) == len(cols)
        assert (np.diff(rows) > 0).all()
        assert cost[rows, cols].sum() == pytest.approx(brute_force(cost))


def test_assign_avoids_infinite_pairs_and_refuses_impossible_or_nan_matrices():
    cost = np.array([[1.0, np.inf], [0.0, 5.0]])
    rows, cols = assign(cost)
    assert cols.tolist() == [0, 1]
    with pytest.raises(ValueError, match="no complete assignment"):
        assign(np.array([[np.inf, np.inf], [1.0, 2.0]]))
    with pytest.raises(ValueError, match="NaN"):
        assign(np.array([[np.nan]]))
    assert [a.tolist() for a in assign(np.zeros((0, 3)))] == [[], []]


def person(x: float, z: float = 4.0, lift: float = 0.0) -> np.ndarray:
    """The T-pose standing at camera x metres, z metres away, its left arm raised by ``lift``."""
    pose = TPOSE.copy()
    pose[11:14, 1] -= lift
    return project(pose + np.array([x, 0.1, z]), K_CAM)


def run(frames, order_seed=0, tracker=None):
    """Each frame a list of (person label, keypoints (17, 2)); shuffled within each frame; the
    tracker's id for each (frame, label)."""
    rng = np.random.default_rng(order_seed)
    tracker = tracker or Tracker()
    out = {}
    for f, people in frames:
        people = [people[i] for i in rng.permutation(len(people))]
        kp = np.stack([p for _, p in people]) if people else np.zeros((0, 17, 2))
        ids = tracker.update(kp, np.ones(kp.shape[:2]), f)
        out.update({(f, label): int(i) for (label, _), i in zip(people, ids)})
    return out


def consistent(ids: dict, labels, frames) -> bool:
    """Each label keeps one id over ``frames`` and the labels' ids differ."""
    got = [{ids[(f, label)] for f in frames if (f, label) in ids} for label in labels]
    return all(len(g) == 1 for g in got) and len(set().union(*got)) == len(labels)


def test_two_people_crossing_keep_their_ids():
    """A walks right, B walks left at the same distance; at frame 10 they stand in one place.
    The velocity carries each through, and the poses differ (A's arm is raised)."""
    frames = [(f, [("A", person(-1.0 + 0.1 * f, lift=0.3)), ("B", person(1.0 - 0.1 * f))]) for f in range(40)]
    ids = run(frames)
    assert consistent(ids, "AB", range(40))


def test_people_entering_and_leaving_start_and_end_tracks():
    frames = []
    for f in range(60):
        people = [("A", person(-1.0 + 0.01 * f))]
        if 10 <= f < 30:
            people.append(("B", person(1.0)))
        if f >= 45:  # C enters where B was, 15 frames after B left: a new track, not B's
            people.append(("C", person(1.0)))
        frames.append((f, people))
    ids = run(frames, tracker=Tracker(TrackerConfig(max_missing=10)))
    assert consistent(ids, "ABC", range(60))


def test_a_jump_in_the_frame_number_is_a_scene_cut():
    frames = [(f, [("A", person(-1.0)), ("B", person(1.0))]) for f in range(5)]
    frames += [(f, [("C", person(-1.0)), ("D", person(1.0))]) for f in range(100, 105)]
    ids = run(frames)
    assert consistent(ids, "ABCD", [*range(5), *range(100, 105)])


def test_track_video_takes_rows_in_any_order_and_ids_count_from_zero():
    kp = np.stack([person(x) for x in (1.0, -1.0, -1.0, 1.0, 1.05, -1.05)])
    frame = np.array([0, 0, 1, 1, 2, 2])
    ids = track_video(kp[::-1], np.ones((6, 17)), frame[::-1])[::-1]
    assert ids.tolist() == [ids[0], ids[1], ids[1], ids[0], ids[0], ids[1]] and set(ids) == {0, 1}


def test_tracker_refuses_frames_going_backwards_and_reset_ends_tracks():
    tracker = Tracker()
    a = tracker.update(person(0.0)[None], np.ones((1, 17)), 3)
    with pytest.raises(ValueError, match="frame 3 comes after frame 3"):
        tracker.update(person(0.0)[None], np.ones((1, 17)), 3)
    assert tracker.update(person(0.0)[None], np.ones((1, 17))).tolist() == a.tolist()  # frame 4
    tracker.reset()
    assert tracker.update(person(0.0)[None], np.ones((1, 17))).tolist() == [a[0] + 1]


def test_crowd_stream_follows_people_in_a_live_feed(tiny_prior):
    """A live feed of two people crossing, shuffled in every frame, then a third entering: each
    keeps its id, and each track's poses come from its own stream."""
    from zedo.runtime import open_engine

    engine = open_engine(str(tiny_prior), threads=1)
    crowd = CrowdStream(engine, K=K_CAM, config=LoopConfig(iterations=3), stream_config=StreamConfig(iterations=5))
    rng, seen = np.random.default_rng(1), {}
    for f in range(16):
        people = [("A", person(-1.0 + 0.15 * f, lift=0.3)), ("B", person(1.0 - 0.15 * f))]
        if f >= 12:
            people.append(("C", person(0.0, z=6.0)))
        people = [people[i] for i in rng.permutation(len(people))]
        got = crowd.update(np.stack([p for _, p in people]))
        assert got.joints_3d.shape == (len(people), 17, 3) and got.valid.all()
        x = {label: float(j[0, 0]) for (label, _), j in zip(people, got.joints_3d)}
        for (label, _), i in zip(people, got.ids):
            seen.setdefault(label, set()).add(int(i))
        if f < 5 or f > 9:  # the pelvis follows its person: A left of B, then right of B
            assert (x["A"] < x["B"]) == (f < 5)
    assert all(len(ids) == 1 for ids in seen.values()) and len(set().union(*seen.values())) == 3
    assert crowd.update(np.zeros((0, 17, 2))).ids.shape == (0,)
    crowd.reset()
    assert crowd.update(person(0.0)[None]).ids.tolist() == [3]


def test_a_crowd_of_nine_walking_across_each_other_keeps_its_ids():
    """Nine people at 4-8 m walking at up to 1.2 m/s across the image (many crossings, near and
    far; each turned their own way, as people differ), 2 px of noise, shuffled in every frame: nine
    tracks, none switching. (Two identical poses at one place, 0 and 7 at frame 33 without the
    turns, cannot be told apart.)"""
    rng = np.random.default_rng(3)
    start = np.stack([rng.uniform(-2.5, 2.5, 9), np.full(9, 0.1), rng.uniform(4.0, 8.0, 9)], 1)
    velocity = np.stack([rng.uniform(-1.2, 1.2, 9), np.zeros(9), rng.uniform(-0.5, 0.5, 9)], 1) / 25.0
    kp, frame, who = [], [], []
    for f in range(100):
        for p in rng.permutation(9):
            pose = TPOSE @ yaw(0.3 * p + 0.02 * f).T + start[p] + velocity[p] * f  # each turned their own way
            kp.append(project(pose, K_CAM) + rng.normal(0.0, 2.0, (17, 2)))
            frame.append(f)
            who.append(p)
    ids, who = track_video(np.array(kp), np.ones((len(kp), 17)), np.array(frame)), np.array(who)
    assert len(set(ids.tolist())) == 9 and all(len(set(ids[who == p].tolist())) == 1 for p in range(9))

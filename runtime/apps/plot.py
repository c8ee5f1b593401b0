"""A picture of estimates: each pose's 2D input with the reprojected estimate, and the 3D estimate
seen from the front and from the side (camera frame, y down: drawn with up at the top); for a
video, an animation of one track (GIF, or MP4 where ffmpeg is installed).
matplotlib is optional (``pip install zedo[viz]``); nothing else in the runtime needs it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..core.errors import install_extra
from ..core.skeleton import BONES, LEFT_JOINTS
from ..io.atomic import atomic_path, check_writable
from ..io.npz import read_npz
from ..io.readers import read_json


def _bone_colour(child: int) -> str:
    return "tab:blue" if child in LEFT_JOINTS else ("tab:red" if child in {1, 2, 3, 14, 15, 16} else "0.3")


ANIMATION_WRITERS = {".gif": "pillow", ".mp4": "ffmpeg"}  # suffix -> matplotlib animation writer
ANIMATION_SUFFIXES = tuple(ANIMATION_WRITERS)
MAX_ANIMATION_FRAMES = 500  # an animation draws at most this many frames of its track (20 s at 25 fps)


def _pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise RuntimeError(f"plotting needs matplotlib: {install_extra('viz')}") from None
    return plt


def animation_writer(path) -> str:
    """The matplotlib writer for an animation at ``path`` (.gif: Pillow, .mp4: ffmpeg); ValueError for
    another suffix, RuntimeError when matplotlib or the writer is missing."""
    suffix = Path(path).suffix.lower()
    if suffix not in ANIMATION_WRITERS:
        raise ValueError(f"{path}: an animation is {' or '.join(ANIMATION_WRITERS)}")
    _pyplot()
    from matplotlib import animation

    name = ANIMATION_WRITERS[suffix]
    if not animation.writers.is_available(name):
        raise RuntimeError(
            f"{path}: matplotlib's {name} writer is not available here "
            f"(install {'Pillow' if name == 'pillow' else 'ffmpeg'}, or write a .gif)"
        )
    return name


def _reprojected(joints_3d, K):
    uvw = joints_3d @ np.swapaxes(K, -1, -2)
    return uvw[..., :2] / uvw[..., 2:]


def _draw_bones(ax, pts, **kw):
    return [ax.plot(pts[[p, c], 0], pts[[p, c], 1], color=_bone_colour(c), lw=2, **kw)[0] for p, c in BONES]


MAX_PLOT_POSES, PER_ROW = 16, 2  # a PNG draws at most this many poses (evenly spaced), two to a row


def _pose_panels(axes, i: int, keypoints, joints, K, truth) -> None:
    """Pose ``i``'s three panels: the 2D input (dots) and the reprojected estimate (lines), the
    estimate pelvis-centred from the front and from the side; the ground truth dashed where given."""
    reproj = _reprojected(joints, K)
    root = joints - joints[:1]
    true = None if truth is None else truth - truth[:1]
    views = [
        (axes[0], keypoints, reproj, None, "2D, px"),
        (axes[1], root[:, [0, 1]], None, None if true is None else true[:, [0, 1]], "front, m"),
        (axes[2], root[:, [2, 1]], None, None if true is None else true[:, [2, 1]], "side (depth z), m"),
    ]
    for ax, pts, lines_pts, true_pts, title in views:
        _draw_bones(ax, pts if lines_pts is None else lines_pts)
        if lines_pts is not None:
            ax.scatter(pts[:, 0], pts[:, 1], s=10, color="k", zorder=3)
        if true_pts is not None:
            _draw_bones(ax, true_pts, ls="--", alpha=0.6)
        ax.set_aspect("equal", adjustable="datalim")
        ax.invert_yaxis()  # image and camera y point down
        ax.set_title(f"pose {i}: {title}", fontsize=9)
        ax.tick_params(labelsize=8)
        ax.locator_params(nbins=4)


def _legend(fig, truth: bool) -> None:
    from matplotlib.lines import Line2D

    handles = [
        Line2D([], [], color="tab:blue", lw=2, label="left side"),
        Line2D([], [], color="tab:red", lw=2, label="right side"),
        Line2D([], [], color="0.3", lw=2, label="spine, head"),
        Line2D([], [], color="k", marker="o", ls="", ms=4, label="input 2D"),
    ]
    if truth:
        handles.append(Line2D([], [], color="0.3", lw=2, ls="--", label="ground truth"))
    fig.legend(handles=handles, loc="upper right", ncol=len(handles), fontsize=9, frameon=False)


def plot_estimates(path, joints_3d, keypoints, K, max_poses: int = MAX_PLOT_POSES, truth=None) -> Path:
    """Write a PNG of every pose, or of ``max_poses`` evenly spaced ones (the title says "N of M"):
    joints_3d (N, 17, 3) metres camera frame, keypoints (N, 17, 2) pixels (NaN for missing), K (3,
    3) or (N, 3, 3), ``truth`` (N, 17, 3) metres or None. Left limbs blue, right red; a legend."""
    plt = _pyplot()
    joints_3d, keypoints = np.asarray(joints_3d, float), np.asarray(keypoints, float)
    K = np.broadcast_to(np.asarray(K, float), (len(joints_3d), 3, 3))
    total = len(joints_3d)
    rows = np.unique(np.linspace(0, total - 1, min(max_poses, total)).round().astype(int))
    per_row = min(PER_ROW, len(rows))
    lines = -(-len(rows) // per_row)
    fig, axes = plt.subplots(lines, 3 * per_row, figsize=(3.2 * 3 * per_row, 3.0 * lines + 0.6), squeeze=False)
    for ax in axes.flat[len(rows) * 3 :]:
        ax.set_visible(False)
    for k, i in enumerate(rows):
        panels = axes[k // per_row, 3 * (k % per_row) : 3 * (k % per_row) + 3]
        _pose_panels(panels, int(i), keypoints[i], joints_3d[i], K[i], None if truth is None else truth[i])
    shown = f"all {total} poses" if len(rows) == total else f"{len(rows)} of {total} poses (evenly spaced)"
    fig.suptitle(shown, x=0.01, ha="left", fontsize=10)
    _legend(fig, truth is not None)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.5 / (3.0 * lines + 0.6)))
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=80, format="png")
    plt.close(fig)
    return path


def plot_animation(path, joints_3d, keypoints, K, fps: float = 25.0) -> Path:
    """Write an animation (.gif or .mp4, ``animation_writer``) of one track's frames: joints_3d
    (F, 17, 3) metres camera frame (NaN rows: frames not lifted), keypoints (F, 17, 2) pixels (NaN
    for missing), K (3, 3) or (F, 3, 3). Left: the 2D input (dots) and the reprojected estimate
    (lines); right: the estimate in 3D, pelvis-centred, up at the top. Written atomically."""
    plt = _pyplot()
    from matplotlib import animation

    writer = animation_writer(path)
    joints_3d, keypoints = np.asarray(joints_3d, float), np.asarray(keypoints, float)
    K = np.broadcast_to(np.asarray(K, float), (len(joints_3d), 3, 3))
    reproj = _reprojected(joints_3d, K)
    root = joints_3d - joints_3d[:, :1]
    fig = plt.figure(figsize=(8, 4))
    ax2d, ax3d = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2, projection="3d")
    seen = np.concatenate([keypoints.reshape(-1, 2), reproj.reshape(-1, 2)])
    seen = seen[np.isfinite(seen).all(1)]
    lo, hi = (seen.min(0), seen.max(0)) if len(seen) else (np.zeros(2), np.ones(2))
    pad = 0.1 * (hi - lo).max() + 1.0
    ax2d.set_xlim(lo[0] - pad, hi[0] + pad)
    ax2d.set_ylim(hi[1] + pad, lo[1] - pad)  # image y points down
    ax2d.set_aspect("equal")
    dots = ax2d.scatter([], [], s=10, color="k", zorder=3)
    lines2d = _draw_bones(ax2d, np.zeros((17, 2)))
    lines3d = [ax3d.plot([0, 0], [0, 0], [0, 0], color=_bone_colour(c), lw=2)[0] for _, c in BONES]
    for setter in (ax3d.set_xlim, ax3d.set_ylim, ax3d.set_zlim):
        setter(-1.0, 1.0)
    ax3d.set_xlabel("x (m)")
    ax3d.set_ylabel("depth (m)")
    ax3d.set_zlabel("up (m)")
    title = fig.suptitle("")

    def draw(f):
        dots.set_offsets(np.nan_to_num(keypoints[f], nan=-1e6))
        up = root[f][:, [0, 2, 1]] * [1.0, 1.0, -1.0]  # camera (x, y down, z depth) -> (x, depth, up)
        for line2d, line3d, (p, c) in zip(lines2d, lines3d, BONES):
            line2d.set_data(reproj[f, [p, c], 0], reproj[f, [p, c], 1])
            line3d.set_data_3d(up[[p, c], 0], up[[p, c], 1], up[[p, c], 2])
        title.set_text(f"frame {f}" + ("" if np.isfinite(joints_3d[f]).all() else ": not lifted"))
        return [dots, title, *lines2d, *lines3d]

    anim = animation.FuncAnimation(fig, draw, frames=len(joints_3d), blit=False)
    path = Path(path)
    with atomic_path(path) as tmp:
        anim.save(tmp, writer=writer, fps=fps, dpi=72)
    plt.close(fig)
    return path


def ground_truth(source, n: int) -> np.ndarray | None:
    """The ``joints_3d`` (n, 17, 3) metres a zedo .npz/.json input carries (the example's ground
    truth), else None."""
    suffix = Path(source).suffix.lower()
    if suffix not in (".npz", ".json") or not Path(source).is_file():
        return None
    doc = read_npz(source) if suffix == ".npz" else read_json(Path(source))
    truth = doc.get("joints_3d") if isinstance(doc, dict) else None
    truth = None if truth is None else np.asarray(truth, dtype=float)
    return truth if truth is not None and truth.shape == (n, 17, 3) else None


def plot_inputs(path, inputs, joints_3d, fps: float = 25.0, source=None) -> Path:
    """``--plot``: the estimates joints_3d (N, 17, 3) of validated ``inputs`` drawn to ``path``: a
    .png of the first poses (``plot_estimates``), or an animation of the first track's first
    ``MAX_ANIMATION_FRAMES`` frames at ``fps`` (``plot_animation``; ``inputs`` needs frame indices);
    the ground truth of ``source`` drawn where it has one (``ground_truth``)."""
    keypoints = np.where(inputs.scores[..., None] > 0, inputs.keypoints, np.nan)
    if Path(path).suffix.lower() not in ANIMATION_SUFFIXES:
        truth = None if source is None else ground_truth(source, len(joints_3d))
        return plot_estimates(path, joints_3d, keypoints, inputs.K, truth=truth)
    from ..video.tracks import track_rows

    rows = track_rows(inputs.frame, inputs.track)[0][:MAX_ANIMATION_FRAMES]
    return plot_animation(path, joints_3d[rows], keypoints[rows], inputs.K[rows], fps)


def check_plot_path(path, output: Path) -> Path:
    """The ``--plot`` path, checked before the run: a .png (or an animation, ``plot.animation_writer``)
    that is not the output, with matplotlib installed. ValueError (RuntimeError for matplotlib)
    naming what is wrong."""
    path = Path(path)
    if path.suffix.lower() not in (".png",) + ANIMATION_SUFFIXES:
        raise ValueError(
            f"{path}: --plot writes a PNG (.png), or a {' or '.join(ANIMATION_SUFFIXES)} animation of a video input"
        )
    if path.resolve() == output.resolve():
        raise ValueError(f"{path}: --plot and -o name the same file")
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise RuntimeError(f"--plot needs matplotlib: {install_extra('viz')}") from None
    if path.suffix.lower() in ANIMATION_SUFFIXES:
        animation_writer(path)
    return check_writable(path, "the plot")

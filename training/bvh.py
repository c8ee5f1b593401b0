"""BVH motion files: a parser (HIERARCHY + MOTION) and vectorised forward kinematics (pure numpy).

Conventions, stated once. Positions are in the file's own units (BVH does not declare them; the
rig table in ``jointmaps`` says which) and in the file's world frame (conventionally y up).
Rotation channels are in degrees and compose *intrinsically in channel order*: ``Zrotation
Xrotation Yrotation`` means ``R_local = Rz @ Rx @ Ry``, applied to column vectors (child offsets).
Position channels translate a joint in its parent's frame and *replace* the matching OFFSET
components (the OFFSET is the rest pose; files whose position channels repeat the offset, as the
Bandai-Namco ones do for every joint, would otherwise count it twice); they act before the
joint's rotation wherever they sit in the channel list. End sites are kept as channel-less joints
named ``<parent>_end``, so a zero-length end site simply sits on its parent.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

POSITION_CHANNELS = ("Xposition", "Yposition", "Zposition")
ROTATION_CHANNELS = ("Xrotation", "Yrotation", "Zrotation")


@dataclass(frozen=True)
class BVH:
    """One parsed BVH file.

    names: joint names in file order (depth first), end sites included as ``<parent>_end``.
    parents: (J,) int, parent index of each joint, -1 for the root; parents precede children.
    offsets: (J, 3) float64 rest offsets from the parent, file units.
    channels: per joint, the tuple of its channel names in file order (empty for end sites).
    end_site: (J,) bool, True for end sites.
    frame_time: seconds per frame.
    motion: (F, C) float64 channel values, C = total number of channels, in file order.
    path: the file it came from (for error messages).
    """

    names: tuple[str, ...]
    parents: np.ndarray
    offsets: np.ndarray
    channels: tuple[tuple[str, ...], ...]
    end_site: np.ndarray
    frame_time: float
    motion: np.ndarray
    path: str

    @property
    def num_frames(self) -> int:
        """Number of motion frames F."""
        return int(self.motion.shape[0])

    def index(self, name: str) -> int:
        """Index of the joint called ``name``; ValueError naming the file if there is none."""
        try:
            return self.names.index(name)
        except ValueError:
            raise ValueError(f"{self.path}: no joint named {name!r}") from None


def _tokens(lines: list[str]) -> list[tuple[str, int]]:
    """Whitespace tokens of the hierarchy lines with 1-based line numbers; braces are split off."""
    out = []
    for i, line in enumerate(lines, start=1):
        for tok in line.replace("{", " { ").replace("}", " } ").split():
            out.append((tok, i))
    return out


def _float(tok: str, line: int, path: str, what: str) -> float:
    """``tok`` as a finite float; ValueError naming ``path``, ``line`` and ``what`` otherwise."""
    try:
        value = float(tok)
    except ValueError:
        raise ValueError(f"{path}:{line}: {what} must be a number, got {tok!r}") from None
    if not np.isfinite(value):
        raise ValueError(f"{path}:{line}: {what} is not finite ({tok!r})")
    return value


def parse_bvh_text(text: str, path: str = "<string>") -> BVH:
    """Parse BVH text (see ``parse_bvh``); ``path`` is only used in error messages."""
    text = text.removeprefix("\ufeff")  # a UTF-8 byte-order mark some exporters write
    if text.lstrip().split(maxsplit=1)[:1] != ["HIERARCHY"]:
        raise ValueError(f"{path}: not a BVH file (it does not start with HIERARCHY)")
    lines = text.splitlines()
    motion_line = next((i for i, ln in enumerate(lines) if ln.strip() == "MOTION"), None)
    if motion_line is None:
        raise ValueError(f"{path}: no MOTION section (file truncated?)")
    h = _Hierarchy(_tokens(lines[:motion_line]), path)
    frames, frame_time, data_start = _motion_header(lines, motion_line, path)
    motion = _motion_values(lines, data_start, frames, sum(len(c) for c in h.channels), path)
    return BVH(
        names=tuple(h.names),
        parents=np.array(h.parents, dtype=np.int64),
        offsets=np.array(h.offsets, dtype=np.float64),
        channels=tuple(h.channels),
        end_site=np.array(h.end_site, dtype=bool),
        frame_time=frame_time,
        motion=motion,
        path=path,
    )


class _Hierarchy:
    """The joint tables of a HIERARCHY section, read from its tokens (``_tokens``) on construction.

    One list per ``BVH`` field, in file order (depth first); ValueError naming ``path`` and the line
    for anything malformed. Only one ROOT is supported.
    """

    def __init__(self, toks: list[tuple[str, int]], path: str):
        self.toks, self.path, self.pos = toks, path, 1  # toks[0] is HIERARCHY
        self.names: list[str] = []
        self.parents: list[int] = []
        self.offsets: list[list[float]] = []
        self.channels: list[tuple[str, ...]] = []
        self.end_site: list[bool] = []
        tok, line = self.take()
        if tok != "ROOT":
            raise ValueError(f"{path}:{line}: expected ROOT, got {tok!r}")
        self.joint(-1, False, *self.take())
        if self.pos != len(toks):
            raise ValueError(
                f"{path}:{toks[self.pos][1]}: unexpected {toks[self.pos][0]!r} after the ROOT joint "
                "(only one ROOT is supported)"
            )

    def take(self, expected: str | None = None) -> tuple[str, int]:
        """The next (token, line); ValueError if there is none or it is not ``expected``."""
        if self.pos >= len(self.toks):
            last = self.toks[-1][1] if self.toks else 1
            raise ValueError(
                f"{self.path}:{last}: hierarchy ends early" + (f" (expected {expected!r})" if expected else "")
            )
        tok, line = self.toks[self.pos]
        if expected is not None and tok != expected:
            raise ValueError(f"{self.path}:{line}: expected {expected!r}, got {tok!r}")
        self.pos += 1
        return tok, line

    def joint(self, parent: int, is_end: bool, name: str, name_line: int) -> None:
        """Read one joint's block (``{`` after its name to its ``}``), its children included."""
        if name in self.names:
            raise ValueError(f"{self.path}:{name_line}: joint name {name!r} is used twice")
        index = len(self.names)
        self.names.append(name)
        self.parents.append(parent)
        self.end_site.append(is_end)
        self.channels.append(())
        self.take("{")
        _, line = self.take("OFFSET")
        self.offsets.append([_float(self.take()[0], line, self.path, f"OFFSET of {name!r}") for _ in range(3)])
        while (item := self.take())[0] != "}":
            tok, line = item
            if is_end:
                raise ValueError(f"{self.path}:{line}: unexpected {tok!r} in the end site of {self.names[parent]!r}")
            if tok == "CHANNELS":
                if self.channels[index]:
                    raise ValueError(f"{self.path}:{line}: joint {name!r} has two CHANNELS lines")
                self.channels[index] = self.channel_list(name, line)
            elif tok == "JOINT":
                self.joint(index, False, *self.take())
            elif tok == "End":
                self.take("Site")
                self.joint(index, True, f"{name}_end", line)
            else:
                raise ValueError(f"{self.path}:{line}: unexpected {tok!r} in joint {name!r}")

    def channel_list(self, name: str, line: int) -> tuple[str, ...]:
        """The channel names after ``CHANNELS`` (their count first), each known and none repeated."""
        count_tok, _ = self.take()
        if not count_tok.isdigit():
            raise ValueError(f"{self.path}:{line}: CHANNELS count must be an integer, got {count_tok!r}")
        chans = tuple(self.take()[0] for _ in range(int(count_tok)))
        for c in chans:
            if c not in POSITION_CHANNELS + ROTATION_CHANNELS:
                raise ValueError(f"{self.path}:{line}: unknown channel name {c!r} for joint {name!r}")
        if len(set(chans)) != len(chans):
            raise ValueError(f"{self.path}:{line}: repeated channel in {chans} for joint {name!r}")
        return chans


def _motion_header(lines: list[str], motion_line: int, path: str) -> tuple[int, float, int]:
    """(frames, frame_time, index of the first data line) from the lines after MOTION."""
    rest = [(i, ln.strip()) for i, ln in enumerate(lines[motion_line + 1 :], start=motion_line + 1) if ln.strip()]
    if len(rest) < 2:
        raise ValueError(f"{path}:{motion_line + 1}: MOTION lacks its 'Frames:' and 'Frame Time:' lines (truncated)")
    (i_f, frames_ln), (i_t, time_ln) = rest[0], rest[1]
    if not frames_ln.startswith("Frames:"):
        raise ValueError(f"{path}:{i_f + 1}: expected 'Frames: N', got {frames_ln[:40]!r}")
    count = frames_ln[len("Frames:") :].strip()
    if not count.isdigit():
        raise ValueError(f"{path}:{i_f + 1}: frame count must be a non-negative integer, got {count!r}")
    if not time_ln.startswith("Frame Time:"):
        raise ValueError(f"{path}:{i_t + 1}: expected 'Frame Time: seconds', got {time_ln[:40]!r}")
    frame_time = _float(time_ln[len("Frame Time:") :].strip(), i_t + 1, path, "Frame Time")
    if frame_time <= 0:
        raise ValueError(f"{path}:{i_t + 1}: Frame Time must be positive, got {frame_time}")
    return int(count), frame_time, i_t + 1


def _motion_values(lines: list[str], start: int, frames: int, num_channels: int, path: str) -> np.ndarray:
    """(frames, num_channels) float64 from one line per frame; ValueError with the line number."""
    rows = [(i, ln.split()) for i, ln in enumerate(lines[start:], start=start + 1) if ln.strip()]
    if len(rows) < frames:
        raise ValueError(f"{path}: truncated motion: the header says {frames} frames, the file has {len(rows)}")
    if len(rows) > frames:
        raise ValueError(f"{path}:{rows[frames][0]}: more motion lines than the {frames} frames the header declares")
    for line, values in rows:
        if len(values) != num_channels:
            raise ValueError(
                f"{path}:{line}: {len(values)} channel values in this frame, the hierarchy declares {num_channels}"
            )
    try:
        motion = np.array([values for _, values in rows], dtype=np.float64).reshape(frames, num_channels)
    except ValueError:
        # Slow path only to name the culprit: the fast conversion failed on some token.
        for line, values in rows:
            for v in values:
                _float(v, line, path, "motion value")
        raise
    if not np.isfinite(motion).all():
        bad = int(np.argwhere(~np.isfinite(motion))[0, 0])
        raise ValueError(f"{path}:{rows[bad][0]}: motion value is not finite")
    return motion


def parse_bvh(path: str | Path) -> BVH:
    """Read and parse a BVH file; ValueError naming the file (and line) on any malformed input."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not a BVH file (not UTF-8/ASCII text)") from None
    except OSError as e:
        raise ValueError(f"{path}: cannot read ({e.strerror or e})") from None
    return parse_bvh_text(text, str(path))


def scale_offsets(bvh: BVH, scales: Mapping[str, Sequence[float]]) -> BVH:
    """A copy of ``bvh`` whose named joints sit further from (or nearer to) their parents.

    scales: {joint name: (sx, sy, sz)}, per-axis factors in the parent's frame (the frame OFFSET is
    written in). Both the OFFSET and the joint's position-channel values are scaled, so the joint's
    whole subtree moves rigidly and every other bone keeps its length: this retargets a rig's
    proportions (e.g. hip width) without distorting its motion. ValueError for an unknown joint.
    """
    offsets = bvh.offsets.copy()
    motion = bvh.motion.copy()
    starts = np.cumsum([0] + [len(c) for c in bvh.channels])
    for name, factors in scales.items():
        j = bvh.index(name)
        factors = np.asarray(factors, dtype=np.float64)
        if factors.shape != (3,):
            raise ValueError(f"scale_offsets: factors for {name!r} must be (sx, sy, sz), got {factors.tolist()}")
        offsets[j] *= factors
        for k, c in enumerate(bvh.channels[j]):
            if c in POSITION_CHANNELS:
                motion[:, starts[j] + k] *= factors[POSITION_CHANNELS.index(c)]
    return replace(bvh, offsets=offsets, motion=motion)


def axis_rotations(axis: str, degrees: np.ndarray) -> np.ndarray:
    """Rotation matrices (F, 3, 3) about ``axis`` ('X', 'Y' or 'Z') by ``degrees`` (F,), right-handed."""
    a = np.deg2rad(degrees)
    c, s = np.cos(a), np.sin(a)
    R = np.zeros(a.shape + (3, 3))
    i, j = {"X": (1, 2), "Y": (2, 0), "Z": (0, 1)}[axis]
    k = 3 - i - j
    R[..., k, k] = 1.0
    R[..., i, i], R[..., i, j], R[..., j, i], R[..., j, j] = c, -s, s, c
    return R


def forward_kinematics(bvh: BVH, with_rotations: bool = False):
    """World positions of every joint (end sites included) over all frames.

    Returns positions (F, J, 3) float64 in file units; with ``with_rotations`` also the global
    rotation of each joint's frame (F, J, 3, 3) (end sites carry their parent's), as a tuple.
    """
    F, J = bvh.num_frames, len(bvh.names)
    pos = np.zeros((F, J, 3))
    rot = np.zeros((F, J, 3, 3))
    col = 0
    for j in range(J):
        trans = np.broadcast_to(bvh.offsets[j], (F, 3)).copy()
        local = None
        for c in bvh.channels[j]:
            values = bvh.motion[:, col]
            col += 1
            if c in POSITION_CHANNELS:
                trans[:, POSITION_CHANNELS.index(c)] = values
            else:
                r = axis_rotations(c[0], values)
                local = r if local is None else local @ r
        if local is None:
            local = np.broadcast_to(np.eye(3), (F, 3, 3))
        p = bvh.parents[j]
        if p < 0:
            pos[:, j] = trans
            rot[:, j] = local
        else:
            pos[:, j] = pos[:, p] + np.einsum("fab,fb->fa", rot[:, p], trans)
            rot[:, j] = rot[:, p] @ local
    return (pos, rot) if with_rotations else pos

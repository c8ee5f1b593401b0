"""``zedo-infer``'s camera flags: ``--intrinsics FX FY CX CY`` and ``--camera FILE[:NAME]``
(formats: ``zedo.runtime.io.cameras``), turned into a ``Request``'s ``K``, ``distortion`` and
``image_size`` by ``camera_fields``."""

from __future__ import annotations

import argparse

from ..io.cameras import read_camera


def add_camera_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--intrinsics",
        nargs=4,
        type=float,
        metavar=("FX", "FY", "CX", "CY"),
        help="a calibrated camera's focal lengths and principal point in pixels, for an input without K "
        "(an input with its own K must agree)",
    )
    p.add_argument(
        "--camera",
        metavar="FILE[:NAME]",
        help="a calibration file: OpenCV's .yml/.yaml or .json (camera_matrix or K, distortion_coefficients), "
        "COLMAP's cameras.txt (FILE:ID among several) or Pose2Sim's/Anipose's .toml (FILE:NAME among several); "
        "its distortion undistorts the keypoints before lifting",
    )


def camera_fields(args: argparse.Namespace) -> dict:
    """The Request's ``K`` ((3, 3) nested tuples px or None), ``distortion`` and ``image_size``
    from ``--intrinsics``, ``--camera`` and ``--image-size``; ValueError naming the flags of a
    refused combination or the file of a bad camera."""
    size = None if args.image_size is None else tuple(args.image_size)
    if args.intrinsics is not None and args.camera is not None:
        raise ValueError("--intrinsics and --camera both give the camera; give one")
    if args.intrinsics is not None:
        fx, fy, cx, cy = args.intrinsics
        return dict(K=((fx, 0.0, cx), (0.0, fy, cy), (0.0, 0.0, 1.0)), distortion=None, image_size=size)
    if args.camera is None:
        return dict(K=None, distortion=None, image_size=size)
    cam = read_camera(args.camera)
    if size is not None and cam.size is not None and tuple(cam.size) != size:
        raise ValueError(
            f"--image-size {size[0]:g} {size[1]:g} differs from the size {cam.size[0]:g} x {cam.size[1]:g} "
            f"of the camera in {args.camera}"
        )
    return dict(
        K=tuple(map(tuple, cam.K.tolist())),
        distortion=None if cam.distortion is None else tuple(cam.distortion.tolist()),
        image_size=size if size is not None else cam.size,
    )

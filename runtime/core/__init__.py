"""The ground floor: the skeleton, pinhole geometry, the camera, the SDE and its samplers, the loop's
settings and their checks, the result type and errors. Imports nothing of zedo's.

Modules: ``skeleton``, ``geometry``, ``camera``, ``sde``, ``errors`` (one-line messages,
``FieldError``), ``config`` (``LoopConfig``, ``check_int``, ``check_float``, ``check_threads``),
``result``, ``kinematics`` (the skeleton as a rig: rest offsets, joint rotations), ``rotation``
(gravity, tilts, the homography of a turned camera), ``text`` (counts in words), ``version``.
"""

"""Time: the One-Euro filter, two-sided smoothing, the live stream mode and a recorded video's tracks.

Modules: ``filters``, ``smoothing``, ``stream``, ``tracks``.
"""

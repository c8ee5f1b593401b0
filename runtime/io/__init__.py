"""Files and layouts: atomic writes, .npz reading, keypoint layouts, the one validation of keypoints/scores/K, detector readers and zedo's file formats.

Modules: ``atomic``, ``npz``, ``layouts``, ``validation``, ``readers``, ``formats``.
"""

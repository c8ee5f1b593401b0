"""2D detectors: from an RGB image to people's keypoints, behind one small interface
(``base.Detector``) and one table of backends (``open_detector``).

Modules, lowest first: ``base`` (``Detections`` and the ``Detector`` interface), ``table``
(``DETECTORS``, one row per backend, and ``open_detector``).
"""

"""2D detectors: from an RGB image to people's keypoints, behind one small interface
(``base.Detector``) and one table of backends (``open_detector``).

Modules, lowest first: ``base`` (``Detections`` and the ``Detector`` interface), ``table``
(``DETECTORS``, one row per backend, and ``open_detector``), ``blazepose`` (MediaPipe Pose's two
stages around its models, in NumPy), ``mediapipe_pose`` (the ``mediapipe`` backend: the bundled
ONNX models in ``models/``), ``rtmlib_pose`` (the ``rtmlib`` backend: RTMPose / RTMO through
rtmlib, the ``rtmlib`` extra).
"""

"""Files and layouts: atomic writes, .npz reading, keypoint layouts, the one validation of
keypoints, scores and K, detector readers and zedo's file formats.

Modules, lowest first:

- ``atomic``: atomic writes; ``npz``: reading .npz files safely;
- ``numbers``: a field taken as real numbers (``as_numbers``) or as whole numbers (ids and frame
  indices: ``whole_number(s)``), or refused;
- ``layout_rules``: ``Layout``, how a layout's keypoints make the prior's 17 joints;
- ``layouts``: the known layouts as data (``LAYOUTS``) and the COCO-order guard;
- ``intrinsics``: the check of a camera's K, or the default K of an image size;
- ``camera_files``: calibration files (OpenCV YAML/JSON, COLMAP, Pose2Sim/Anipose TOML);
  ``cameras``: ``read_camera``, a calibrated camera for a run; ``undistort``: OpenCV's lens model
  undone on keypoints;
- ``coordinates``: keypoints checked against their layout's units (pixels, or [0, 1] of the image);
- ``placing``: the rule for which poses can be placed;
- ``validation``: keypoints and scores checked and mapped onto the prior's joints (``Inputs``);
- ``readers``: detector and dataset files; ``folders``: folders of per-frame detector files;
- ``frame_rate``: the ``fps`` a zedo input file carries (``--fps``'s default);
- ``edges``: keypoints on the image's edge made uncertain; ``formats``: zedo-infer's input and output
  files;
- ``exports``: .csv, .trc and .bvh by the suffix, through ``table``, ``trc`` and ``bvh`` (bvhio).
"""

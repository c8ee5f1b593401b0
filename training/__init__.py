"""zedo.training: data preparation and prior training (``zedo-prepare``, ``zedo-train``).

Poses are root-relative Human3.6M 17-joint poses (M, 17, 3) in metres, camera frame (x right,
y down, z forward), as the runtime's. torch is needed by ``model``, ``train``, ``checkpoint`` and
``modelcard`` only; the other modules, and ``--help`` of both commands, run without it.

Modules:

- ``config``: ``PriorConfig`` (network shape) and ``TrainConfig`` (optimisation), torch-free
- ``h36m``: Human3.6M (VideoPose3D layout) to prepared pose files
- ``bvh``: BVH parser and forward kinematics
- ``jointmaps``: per-rig maps from BVH skeletons to the 17 joints
- ``mocap``: mocap poses seen by random cameras; ``prepare_bvh``
- ``clusters``: k-means clusters of training poses, the candidate start poses
- ``model``: the score network ``ScoreNet``
- ``train``: the noise-prediction loss and ``train`` (EMA, resume, checkpoints)
- ``recipes``: the shipped priors' recipes and the preparation of their data
- ``run``: ``train_prior``, one ``zedo-train`` run as a library call
- ``cli``: the ``zedo-prepare`` and ``zedo-train`` commands
- ``checkpoint``: ``load_prior`` for ours and the official release's checkpoints; ``load_clusters``
- ``modelcard``: the shipped priors' model cards
- ``examples``: the example input shipped with ``zedo-infer``
"""

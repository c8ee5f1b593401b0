"""zedo: zero-shot 3D human pose estimation (ZeDO) for deployment.

Subpackages:

- ``zedo.runtime`` (folder ``runtime/``): torch-free inference, ``zedo-infer``
- ``zedo.export`` (``export/``): checkpoint to ONNX/TensorRT, ``zedo-export``
- ``zedo.calibration`` (``calibration/``): FP16/INT8 priors
- ``zedo.training`` (``training/``): data preparation and prior training, ``zedo-prepare``, ``zedo-train``
- ``zedo.datasets`` (``zedo/datasets/``): torch-free readers of the shared data sets (Human3.6M)
- ``zedo.evaluation`` (``zedo/evaluation/``): accuracy on Human3.6M and its metrics, ``zedo-eval``
"""

__version__ = "0.1.0"

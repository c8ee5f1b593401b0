"""zedo: zero-shot 3D human pose estimation (ZeDO) for deployment.

Subpackages: ``zedo.runtime`` (torch-free inference), ``zedo.export`` (checkpoint to ONNX/TensorRT),
``zedo.calibration`` (FP16/INT8 priors), ``zedo.training`` (data preparation and prior training).
"""

__version__ = "0.1.0"

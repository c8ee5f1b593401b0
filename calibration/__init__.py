"""zedo.calibration: reduced-precision priors, FP32 ONNX -> FP16 or INT8 ONNX, checked against FP32.

Frames and units are the runtime's: poses x (N, 17, 3) float32, root-relative camera-frame metres
(x right, y down, z forward); diffusion time t (N,) float32; predicted noise eps (N, 17, 3),
unitless. Needs onnx and onnxruntime; torch is not imported. Modules:

- ``dataset``: calibration sets (noised poses at ZeDO's t), the shipped one, the held-out split
- ``fp16``: FP16 files with float32 inputs, outputs and first layer (``convert_fp16``)
- ``int8``: INT8 Q/DQ files (``quantize_int8``) and the per-layer ``sensitivity``
- ``parity``: tolerances and ``compare_precision``, the FP32 comparison on ``zedo.runtime.engines.compare``
- ``convert``: ``convert_precision``, convert then check, the one call zedo-export makes
- ``graph``: ONNX graph edits (FP16 storage detected and undone, nodes sorted)
"""

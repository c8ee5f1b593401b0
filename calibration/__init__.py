"""Reduced-precision priors: calibration sets, FP16 and INT8 ONNX files, parity against FP32.

Frames and units are the runtime's: poses x (N, 17, 3) float32, root-relative camera-frame metres
(x right, y down, z forward); diffusion time t (N,) float32; predicted noise eps (N, 17, 3),
unitless. Modules: ``dataset`` (calibration sets), ``fp16``, ``int8`` (ONNX Runtime Q/DQ and a
TensorRT calibrator), ``parity`` (tolerances), ``convert`` (the one call zedo-export makes),
``graph`` (ONNX plumbing). Needs onnx and onnxruntime; torch is not imported.
"""

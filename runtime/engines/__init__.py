"""Priors and the engines that run them: the prior file, the Engine protocol and its table, ONNX Runtime, TensorRT, split and NumPy backends, and parity.

Modules: ``open``, ``prior_file``, ``onnxruntime_engine``, ``tensorrt_engine``, ``split_engine``, ``numpy_engine``, ``onnx_proto``, ``compare``.
"""

"""zedo.export: a trained prior -> a self-describing ONNX prior (FP32, FP16, INT8) -> a TensorRT engine.

``export_prior`` is the one call (``zedo-export`` is it behind the command wrapper); every file it
writes is checked against its source first. Modules:

- ``exporter``: ``export_prior`` and its ``ExportReport``, the steps in order
- ``options``: the table of source kinds, precisions and the engine, and the options each takes
- ``sources``: what a source names, its default output name, and its FP32 ONNX file
- ``onnx_export``: torch -> ONNX (``export_onnx``), and ``TorchRunner``, a network as a runner (needs torch)
- ``parity``: the export's parity inputs, clusters noised at ZeDO's t and fed at batch 1 and 64
- ``tensorrt``: ONNX -> TensorRT plan (``build_engine``), checked against ONNX Runtime
- ``cli``: ``zedo-export``
"""

from .exporter import ExportReport, export_prior

__all__ = ["ExportReport", "export_prior"]

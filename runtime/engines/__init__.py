"""Priors and the engines that run them: the prior's metadata and file, the Engine protocol and its
tables, ONNX Runtime, TensorRT, split and NumPy backends, and parity.

Modules, lowest first:

- ``prior_meta``: ``PriorMeta``, the metadata document (SDE, clusters, contract, provenance);
- ``prior_file``: the file: where the metadata lives (``read_meta``, the sidecar), suffixes,
  bundled priors, reading and writing ONNX priors;
- ``onnx_proto``: an ONNX file's weights, metadata and nodes without the onnx package;
- ``onnxruntime_engine``, ``tensorrt_engine``, ``numpy_engine``, ``split_engine``: the backends;
- ``open``: the ``Engine`` protocol, the device table (``DEVICE_TABLE``, ``DEVICES``) and
  ``open_engine``;
- ``compare``: parity of any two runners.
"""

"""The commands and embeddings: the error boundary and options, zedo-infer, the picture, the C++ wrapper's Python side.

Modules: ``commands``, ``cli``, ``jobs_cli``, ``plot``, ``embed``.
"""

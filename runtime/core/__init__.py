"""The ground floor: the skeleton, pinhole geometry, the camera, the SDE and its samplers, the loop's
settings (and the thread-count check, ``config.check_threads``) and the result type. Imports nothing
of zedo's.

Modules: ``skeleton``, ``geometry``, ``camera``, ``sde``, ``config``, ``result``.
"""

"""Pictures in and out: decoding videos, images and cameras into RGB frames with their size and
frame rate, and encoding frames back (PyAV, the ``[video]`` extra)."""

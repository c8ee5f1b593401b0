"""Pictures in and out: decoding videos, images and cameras into RGB frames with their size and
frame rate, encoding frames back, and drawing on them (PyAV and Pillow, the ``[video]`` extra).

Modules, lowest first: ``sources`` (what an input or ``--source`` names: a video, an image, a folder
of images, a camera), ``decode`` (``MediaReader``: frames streamed as RGB, ``MediaInfo``), ``encode``
(an H.264 MP4 or a PNG written atomically), ``draw`` (2D skeletons on a picture: a colour per track,
left and right told apart), ``panels`` (the 3D view: a fixed viewpoint, a ground plane, a legend).
"""

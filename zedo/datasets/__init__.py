"""zedo.datasets: torch-free readers of the public data sets that training and evaluation share.

Modules:

- ``h36m``: Human3.6M in the VideoPose3D layout (3D positions, cameras, 2D detections, takes)
"""

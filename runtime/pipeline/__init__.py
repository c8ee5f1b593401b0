"""One input to one output, and many inputs into a folder (locally or on Ray).

Modules: ``jobs``, ``ray_data``.
"""

"""One input to one output, and many inputs into a folder (locally or on Ray).

Modules, lowest first: ``request`` (``Request``: every setting of a run, checked once), ``run``
(``lift_inputs``, ``lift_source``, ``lift_file``: the one path behind every front door), ``plan``
(a job's items), ``jobs`` (running them, ``run_job``), ``ray_data`` (the same on Ray, and
``lift_dataset``; imported only where Ray is installed), ``ray_connect`` (joining Ray within a
timeout, its own log lines off). Media (a video, photos or a camera in):
``detect2d`` (frames through a detector into zedo's 2D input), ``lift_media`` (that 2D tracked,
lifted and written), ``overlay`` (a frame with its skeletons beside the 3D view), ``photos`` (the
overlays of photos), ``media_run`` (the whole run into one folder, under one progress bar).
"""

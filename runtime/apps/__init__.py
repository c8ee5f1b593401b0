"""What a person or a program calls: the commands' error boundary and options, ``zedo-infer``, the
picture, and the C++ wrapper's Python side.

Modules: ``commands`` (the one error boundary, ``--version``, ``--help`` and ``--help-all``),
``first_look`` (the flags ``--help`` lists, the default output), ``loop_options`` (the loop's options, declared
once), ``loop_settings`` (options -> ``Request``), ``camera_options`` (``--intrinsics``,
``--camera``), ``export_options`` (``--frame``, ``--fixed-bones``), ``jobs_cli`` (many inputs, Ray),
``media_cli`` (a video, photos or a camera in: ``--source``, ``--detector``), ``cli``
(``zedo-infer``), ``plot``, ``embed`` (the Python side of ``cpp/``).
"""

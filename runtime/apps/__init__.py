"""What a person or a program calls: the commands' error boundary and options, ``zedo-infer``, the
picture, and the C++ wrapper's Python side.

Modules: ``commands`` (the one error boundary), ``loop_options`` (the loop's options, declared
once), ``loop_settings`` (options -> ``Request``), ``jobs_cli`` (many inputs, Ray), ``cli``
(``zedo-infer``), ``export_options`` (its --frame, --fixed-bones), ``plot``, ``embed`` (the Python side of ``cpp/``).
"""

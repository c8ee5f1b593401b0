"""The optimisation: one batch's rays, the initial pose, the ranked and the placed start, the 2D
noise model, scoring, the loop, one batch on the device (``lift``) and ``estimate``.

Modules, lowest first: ``occluded`` (poses without a pelvis or hips: their anchor), ``batch``
(``Batch``: a batch's camera, K^-1 and rays, computed once), ``noise``, ``scoring``, ``ipo`` (the
initial pose optimisation), ``candidates`` (ranking the library's candidate starts), ``start``
(where a batch starts: the one place that decides), ``loop``, ``lift`` (``lift``, ``lift_batch``),
``chunks`` (a run's rows lifted a chunk at a time, results on the host), ``work`` (noisy 2D gets
the ensemble of starts, clean 2D the loop as set), ``level`` (a tilted camera's poses lifted in a
level one: the tilt given or estimated per camera), ``api`` (``estimate``, ``estimate_inputs``).
"""

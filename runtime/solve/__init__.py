"""The optimisation: the initial pose, the placed start, the 2D noise model, scoring, the loop, one batch on the device (lift_batch) and estimate.

Modules: ``ipo``, ``start``, ``noise``, ``scoring``, ``loop``, ``lift``, ``api``.
"""

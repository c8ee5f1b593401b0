"""zedo.evaluation: the accuracy of a prior on Human3.6M, run through the runtime (``zedo-eval``).

Modules:

- ``metrics``: pose errors in mm (MPJPE, PA-MPJPE, PCK, AUC)
- ``evalset``: ``EvalSet`` and ``load_h36m_eval``, the evaluation set of one subject and 2D track
- ``scoring``: ``score``, hypotheses against the truth, as the JSON fields
- ``via_cli``: the set through the installed ``zedo-infer`` command in a subprocess
- ``accuracy``: ``evaluate``, the library call behind the command
- ``cli``: the ``zedo-eval`` command
- ``focal``: a focal-length search over a video without K, measured and not used by zedo-infer
  (``benchmarks/focal.py``)
"""

from .accuracy import evaluate
from .evalset import EvalSet, load_h36m_eval
from .scoring import score

__all__ = ["EvalSet", "evaluate", "load_h36m_eval", "score"]

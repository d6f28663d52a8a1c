"""The `dmft` theory kind's runtime: causal one-sweep DMFT solver and finite-size simulator.

See ../shared/design/DMFT.md. Entry points: :class:`DmftProblem`, :func:`solve` (one
Monte-Carlo repeat), :func:`solve_repeats` (independent repeats with standard errors).
"""
import os

# The sweep launches one parallel region per step. Under GNU OpenMP (Numba's `omp` layer)
# idle workers spin by default, which on a loaded machine costs ~10–20 ms per launch (the
# spinning threads compete with the working ones); passive waiting costs ~0.1–0.5 ms.
# Only a default: a value set by the user wins, and it must be set before the layer loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from .algorithms import ALGORITHMS, Algorithm, make_algorithm, sample_selection
from .losses import LOSSES, Loss, get_loss
from .problem import DmftProblem
from .repeats import DmftEstimate, solve_repeats
from .sweep import DmftRun, Inputs, draw_inputs, solve
from .teachers import TEACHERS, make_teacher

__all__ = [
    "ALGORITHMS", "Algorithm", "make_algorithm", "sample_selection",
    "LOSSES", "Loss", "get_loss", "DmftProblem", "DmftEstimate", "solve_repeats",
    "DmftRun", "Inputs", "draw_inputs", "solve", "TEACHERS", "make_teacher",
]

"""The `dmft` theory kind's runtime: causal one-sweep DMFT solver and finite-size simulator.

See ../shared/design/DMFT.md. Entry points: :class:`DmftProblem`, :func:`solve` (one
Monte-Carlo repeat), :func:`solve_repeats` (independent repeats with standard errors).
"""
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

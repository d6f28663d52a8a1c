"""The pass rule shared by every kind's `statc check`: a Student-t test of a
difference between theory and simulation, plus an O(1/N) finite-size allowance.

    |theory − sim|  ≤  t*·SE  +  κ·scale/N

* SE: the standard error of the difference (seed-paired for the online kind;
  √(SE_theory² + SE_sim²) where theory and simulation are independent);
* t*: the two-sided Student-t quantile with the degrees of freedom of SE at
  level α / (number of comparisons) (Bonferroni): with a handful of seeds the
  normal quantile would understate the tails of the estimated-SE statistic;
* κ·scale/N: the finite-size allowance.  Seed averages of observables of
  high-dimensional learning differ from their N → ∞ limit by O(1/N) (time
  discretisation 1/N of the SGD map, curvature of the drift acting on O(1/N)
  variances of the overlaps, |x|²/N − 1 correlated with the fields at O(1/N));
  seed-to-seed fluctuations are O(1/√N) but have zero mean, and SE measures
  them.  scale = the largest |theory| of the quantity, κ = ``--tolerance``.

The online kind (runtime/check.py) applies it per time and to the time
average; the dmft, static and kernel checks take their t* from here too.
"""
from __future__ import annotations

import math

from scipy.stats import t as student_t

ALPHA = 0.01


def critical_value(n_comparisons: int, seeds: int, alpha: float = ALPHA) -> float:
    """Two-sided Student-t quantile (``seeds`` − 1 degrees of freedom) at α/n_comparisons."""
    if seeds < 2:
        return math.inf
    return float(student_t.isf(alpha / (2 * n_comparisons), seeds - 1))


def allowance(se, t_crit: float, kappa: float, scale: float, N: int):
    """The bound t*·SE + κ·scale/N (``se`` a float or an array)."""
    return t_crit * se + kappa * max(scale, 1e-12) / N

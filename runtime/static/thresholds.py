"""Thresholds by bisection on a Boolean (STATIC.md §8), and the predicates the
static kind bisects on.

Linear separability: the λ → 0 hinge ERM fixed point has zero training error
exactly when the training set is separable (the hinge minimiser at vanishing
ridge is then the max-margin classifier, with margin κ = 1/√q); λ is lowered by
continuation because the small-λ fixed point is slow from a cold start.
"""
from __future__ import annotations

from typing import Callable, Sequence

from .erm import ERM

LAMBDAS = (1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6)


def bisect(predicate: Callable[[float], bool], lo: float, hi: float, tol: float = 1e-3) -> float:
    """The α where ``predicate`` flips, given predicate(lo) != predicate(hi)."""
    p_lo = predicate(lo)
    if p_lo == predicate(hi):
        raise ValueError(f"no change of the predicate between {lo:g} and {hi:g}")
    while hi - lo > tol:
        mid = 0.5 * (lo + hi)
        if predicate(mid) == p_lo:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def lambda_path(loss, channel, alpha: float, lambdas: Sequence[float] = LAMBDAS, **solve_kw):
    """The fixed point at ``lambdas[-1]``, reached by continuation in λ."""
    state, fp = (0.0, 0.5, 1.0, 0.0), None
    for lam in lambdas:
        fp = ERM(loss, channel, alpha, lam).solve(init=state, **solve_kw)
        state = fp.state()
    return fp


def separable(channel, alpha: float, lambdas: Sequence[float] = LAMBDAS, zero: float = 1e-9,
              **solve_kw) -> bool:
    """Whether the λ → 0 hinge fixed point has training error below ``zero``
    (a fixed point that fails raises its :class:`FixedPointError`: no verdict)."""
    fp = lambda_path("hinge", channel, alpha, lambdas, **solve_kw)
    return fp.observables["train_error"] < zero

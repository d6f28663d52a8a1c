"""Thresholds by bisection on a Boolean (STATIC.md §8), and the predicates the
static kind bisects on.

Linear separability: the λ → 0 hinge ERM fixed point has zero training error
exactly when the training set is separable (the hinge minimiser at vanishing
ridge is then the max-margin classifier, with margin κ = 1/√q); λ is lowered by
continuation because the small-λ fixed point is slow from a cold start.

Interpolation (the square loss's peak): below the threshold the λ → 0 ridge minimiser fits
the training set exactly, its training loss vanishing like λ² (the residual is λ(XXᵀ/d + λ)⁻¹y),
above it the training loss tends to a positive limit; the predicate compares the training loss
at the two smallest λ of the path, a ratio ≤ 0.1 (λ² decay gives 0.01 for a decade) meaning
"interpolates".  The threshold is α = 1 for any teacher (n = d: as many equations as unknowns),
where V diverges — the interpolation peak.
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


def interpolates(channel, alpha: float, lambdas: Sequence[float] = LAMBDAS[:5], ratio: float = 0.1,
                 **solve_kw) -> bool:
    """Whether the λ → 0 square-loss ridge minimiser interpolates the training set: its training
    loss falls by more than ``1/ratio`` over the last decade of the λ path."""
    fp_prev = lambda_path("square", channel, alpha, lambdas[:-1], **solve_kw)
    fp = ERM("square", channel, alpha, lambdas[-1]).solve(init=fp_prev.state(), **solve_kw)
    return fp.observables["train_loss"] < ratio * fp_prev.observables["train_loss"]

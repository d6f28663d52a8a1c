r"""Bayes-optimal state evolution for a single field (STATIC.md §6).

With Nishimori's identities (m = q, V = ρ − q, m̂ = q̂ = V̂) the SE is

    q̂ = α · channel.bo_qhat(q),     q = prior(q̂),

the channel side being Σ_y ⟨Z_out g²⟩_ξ (its closed form or quadrature lives
with the channel) and the prior side one registry entry per prior of second
moment 1: Gaussian q = q̂/(1 + q̂); Rademacher q = ⟨tanh(q̂ + √q̂ ξ)⟩.
Both the uninformed (q = 10⁻⁶) and the informed (q = 1 − 10⁻⁶) starts are
always run; different limits mean a first-order transition (hysteresis).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .erm import FixedPointError
from .quadrature import hermite_rule

_XI, _W = hermite_rule(120)


def _gaussian(qhat: float) -> float:
    return qhat / (1.0 + qhat)


def _rademacher(qhat: float) -> float:
    return float(np.sum(_W * np.tanh(qhat + np.sqrt(qhat) * _XI)))


PRIORS: dict[str, Callable[[float], float]] = {"gaussian": _gaussian, "rademacher": _rademacher}

#: q this close to 1 is perfect recovery: the channel is not evaluated there (§8)
PERFECT = 1e-10


@dataclass
class BOPoint:
    q: float
    qhat: float
    test_error: float
    iterations: int
    residual: float
    perfect: bool
    history: list[float] = field(repr=False)


def _iterate(channel, prior, alpha, q, damping, tol, max_iter) -> BOPoint:
    history: list[float] = []
    qhat = 0.0
    for it in range(1, max_iter + 1):
        if 1.0 - q < PERFECT:
            return BOPoint(1.0, np.inf, 0.0, it, 0.0, True, history)
        qhat = alpha * channel.bo_qhat(q)
        q1 = prior(qhat)
        if not np.isfinite(q1):
            raise FixedPointError(f"NaN in the BO state evolution at α = {alpha:g}", history)
        res = abs(q1 - q)
        history.append(res)
        q = (1.0 - damping) * q1 + damping * q
        if res < tol:
            return BOPoint(q, qhat, channel.bo_test_error(q), it, res, False, history)
    raise FixedPointError(f"BO state evolution did not converge at α = {alpha:g}; "
                          "try a larger damping", history)


def bayes_optimal(channel, alpha: float, prior: str = "gaussian", damping: float = 0.3,
                  tol: float = 1e-12, max_iter: int = 20000) -> dict[str, BOPoint]:
    """The SE fixed points from the uninformed and the informed start."""
    p = PRIORS[prior]
    return {"uninformed": _iterate(channel, p, alpha, 1e-6, damping, tol, max_iter),
            "informed": _iterate(channel, p, alpha, 1.0 - 1e-6, damping, tol, max_iter)}

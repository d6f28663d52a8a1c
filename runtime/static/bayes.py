r"""Bayes-optimal state evolution for a single field (STATIC.md §6).

With Nishimori's identities (m = q, V = ρ − q, m̂ = q̂ = V̂) the SE is

    q̂ = α · channel.bo_qhat(q),     q = prior(q̂),

the channel side being Σ_y ⟨Z_out g²⟩_ξ (its closed form or quadrature lives
with the channel) and the prior side one registry entry per prior of second
moment 1: Gaussian q = q̂/(1 + q̂); Rademacher q = ⟨tanh(q̂ + √q̂ ξ)⟩.
Each fixed point carries the free entropy Φ = −½ q q̂ + Ψ_w(q̂) + α Ψ_out(q),
whose larger value selects the physical branch under hysteresis.
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


@dataclass(frozen=True)
class Prior:
    """A prior of second moment 1: q = ``overlap``(q̂), Ψ_w(q̂) = ⟨log Z_w⟩, and for AMP the
    posterior mean and variance of w under the prior tilted by exp(γw − Aw²/2), ``denoise``(γ, A)."""

    overlap: Callable[[float], float]
    psi: Callable[[float], float]
    denoise: Callable[[np.ndarray, float], tuple[np.ndarray, np.ndarray]]
    #: draws teacher rows: sample(rng, d)
    sample: Callable[[np.random.Generator, int], np.ndarray]


def _logcosh(x: np.ndarray) -> np.ndarray:
    a = np.abs(x)
    return a + np.log1p(np.exp(-2.0 * a)) - np.log(2.0)


PRIORS: dict[str, Prior] = {
    # Z_w = exp(b²/(2(1+Â)))/√(1+Â), ⟨b²⟩ = q̂² + q̂
    # f_w = γ/(1 + A), variance 1/(1 + A)
    "gaussian": Prior(lambda qh: qh / (1.0 + qh), lambda qh: 0.5 * qh - 0.5 * np.log1p(qh),
                      lambda g, A: (g / (1.0 + A), np.full_like(g, 1.0 / (1.0 + A))),
                      lambda rng, d: rng.standard_normal(d)),
    # Z_w = e^{−Â/2} cosh b, w* = +1 by symmetry; f_w = tanh γ, variance 1 − tanh² γ
    "rademacher": Prior(lambda qh: float(np.sum(_W * np.tanh(qh + np.sqrt(qh) * _XI))),
                        lambda qh: float(-0.5 * qh + np.sum(_W * _logcosh(qh + np.sqrt(qh) * _XI))),
                        lambda g, A: (np.tanh(g), 1.0 - np.tanh(g) ** 2),
                        lambda rng, d: np.where(rng.random(d) < 0.5, 1.0, -1.0)),
}


def free_entropy(channel, prior: str, alpha: float, q: float, qhat: float) -> float:
    """Φ(q, q̂) = −½ q q̂ + Ψ_w(q̂) + α Ψ_out(q) (per input coordinate); at q = 1
    (perfect recovery, q̂ = ∞) its limit −H(prior) is returned (log 2 for ±1,
    −∞ for the Gaussian prior)."""
    p = PRIORS[prior]
    if q >= 1.0 - PERFECT:
        return -np.log(2.0) if prior == "rademacher" else -np.inf
    return float(-0.5 * q * qhat + p.psi(qhat) + alpha * channel.bo_psi_out(q))


#: q this close to 1 is perfect recovery: the channel is not evaluated there (§8)
PERFECT = 1e-10


@dataclass
class BOPoint:
    q: float
    qhat: float
    test_error: float
    free_entropy: float
    iterations: int
    residual: float
    perfect: bool
    history: list[float] = field(repr=False)


def _iterate(channel, prior, alpha, q, damping, tol, max_iter) -> BOPoint:
    history: list[float] = []
    qhat = 0.0
    for it in range(1, max_iter + 1):
        if 1.0 - q < PERFECT:
            return BOPoint(1.0, np.inf, 0.0, free_entropy(channel, prior, alpha, 1.0, np.inf),
                           it, 0.0, True, history)
        qhat = alpha * channel.bo_qhat(q)
        q1 = PRIORS[prior].overlap(qhat)
        if not np.isfinite(q1):
            raise FixedPointError(f"NaN in the BO state evolution at α = {alpha:g}", history)
        res = abs(q1 - q)
        history.append(res)
        q = (1.0 - damping) * q1 + damping * q
        if res < tol:
            qhat = alpha * channel.bo_qhat(q)
            return BOPoint(q, qhat, channel.bo_test_error(q),
                           free_entropy(channel, prior, alpha, q, qhat), it, res, False, history)
    raise FixedPointError(f"BO state evolution did not converge at α = {alpha:g}; "
                          "try a larger damping", history)


def bayes_optimal(channel, alpha: float, prior: str = "gaussian", damping: float = 0.3,
                  tol: float = 1e-12, max_iter: int = 20000) -> dict[str, BOPoint]:
    """The SE fixed points from the uninformed and the informed start."""
    if prior not in PRIORS:
        raise KeyError(f"unknown prior {prior!r}; known: {', '.join(PRIORS)}")
    return {"uninformed": _iterate(channel, prior, alpha, 1e-6, damping, tol, max_iter),
            "informed": _iterate(channel, prior, alpha, 1.0 - 1e-6, damping, tol, max_iter)}


def equilibrium(points: dict[str, BOPoint]) -> str:
    """The start whose fixed point has the larger free entropy (the physical one)."""
    return max(points, key=lambda k: points[k].free_entropy)

r"""Regulariser side of the ERM fixed point (STATIC.md §3), one registry entry per penalty.

The penalty is separable, r(w) = λ₁|w| + λ₂/2 w² per coordinate (ridge: λ₁ = 0, LASSO:
λ₂ = 0, elastic net: both).  Its proximal operator at precision V̂ is the scalar problem

    η(b) = argmin_w ½ V̂ w² − b w + r(w) = sign(b)(|b| − λ₁)₊ / (V̂ + λ₂)      (soft threshold),

averaged over b = m̂ w* + √q̂ ξ with w* ~ N(0, ρ) a teacher coordinate and ξ ~ N(0, 1), so
b ~ N(0, σ²) with σ² = m̂²ρ + q̂.  With t = λ₁/σ, Q the Gaussian tail and φ its density:

    V = ⟨∂η/∂b⟩ = 2Q(t)/(V̂ + λ₂),
    m = ⟨η w*⟩ = m̂ ρ V                                  (Stein: ⟨η w*⟩ = m̂ρ⟨η′⟩),
    q = ⟨η²⟩  = 2σ²[(1 + t²)Q(t) − tφ(t)]/(V̂ + λ₂)²,
    ⟨r(η)⟩ = λ₁ 2σ[φ(t) − tQ(t)]/(V̂ + λ₂) + λ₂/2 q.

At λ₁ = 0 (t = 0, Q = ½) this is ridge: V = 1/(λ₂ + V̂), m = V m̂ ρ, q = V²(m̂²ρ + q̂),
which has its own closed-form entry.  ⟨r(η)⟩ is the penalty per coordinate at the fixed
point (the ERM objective's regulariser part, see erm.py's ``objective``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy.special import ndtr

_INV_SQRT_2PI = 1.0 / np.sqrt(2.0 * np.pi)


@dataclass(frozen=True)
class Penalty:
    """r(w) = l1 |w| + l2/2 w² per coordinate."""

    l2: float = 0.0
    l1: float = 0.0


def ridge(mhat: float, qhat: float, Vhat: float, lam: float, rho: float) -> tuple[float, float, float]:
    """(m, q, V) for r = λ/2 w²."""
    V = 1.0 / (lam + Vhat)
    return V * mhat * rho, V * V * (mhat * mhat * rho + qhat), V


def _soft(mhat: float, qhat: float, Vhat: float, lam1: float, lam2: float, rho: float):
    s2 = mhat * mhat * rho + qhat
    s = np.sqrt(s2)
    t = lam1 / s
    Qt, phit = float(ndtr(-t)), float(np.exp(-0.5 * t * t) * _INV_SQRT_2PI)
    prec = Vhat + lam2
    V = 2.0 * Qt / prec
    q = 2.0 * s2 * ((1.0 + t * t) * Qt - t * phit) / prec**2
    abs_mean = 2.0 * s * (phit - t * Qt) / prec
    return mhat * rho * V, q, V, abs_mean


def elastic_net(mhat: float, qhat: float, Vhat: float, lam1: float, lam2: float,
                rho: float) -> tuple[float, float, float]:
    """(m, q, V) for r = λ₁|w| + λ₂/2 w² (soft threshold, precision V̂ + λ₂)."""
    return _soft(mhat, qhat, Vhat, lam1, lam2, rho)[:3]


def lasso(mhat: float, qhat: float, Vhat: float, lam: float, rho: float) -> tuple[float, float, float]:
    """(m, q, V) for r = λ|w|."""
    return elastic_net(mhat, qhat, Vhat, lam, 0.0, rho)


@dataclass(frozen=True)
class Regulariser:
    """A registry entry: ``overlaps(m̂, q̂, V̂, penalty, ρ) -> (m, q, V)`` and
    ``value(m̂, q̂, V̂, penalty, ρ) -> ⟨r(η)⟩`` (the mean penalty per coordinate)."""

    overlaps: Callable[[float, float, float, Penalty, float], tuple[float, float, float]]
    value: Callable[[float, float, float, Penalty, float], float]
    #: the saddle-point line printed by `statc show`
    text: str


def _ridge_value(mh, qh, Vh, p: Penalty, rho):
    return 0.5 * p.l2 * ridge(mh, qh, Vh, p.l2, rho)[1]


def _soft_value(mh, qh, Vh, p: Penalty, rho):
    _, q, _, a = _soft(mh, qh, Vh, p.l1, p.l2, rho)
    return p.l1 * a + 0.5 * p.l2 * q


REGULARISERS: dict[str, Regulariser] = {
    "ridge": Regulariser(lambda mh, qh, Vh, p, rho: ridge(mh, qh, Vh, p.l2, rho), _ridge_value,
                         "ridge:  V = 1 / (lambda + Vhat),  m = V mhat,  q = V^2 (mhat^2 + qhat)"),
    "lasso": Regulariser(lambda mh, qh, Vh, p, rho: elastic_net(mh, qh, Vh, p.l1, p.l2, rho), _soft_value,
                         "lasso:  eta(b) = sign(b)(|b| - lambda1)_+ / Vhat,  b ~ N(0, s2 = mhat^2 + qhat),"
                         " t = lambda1/sqrt(s2)\n"
                         "        V = 2Q(t)/Vhat,  m = mhat V,  q = 2 s2 ((1+t^2)Q(t) - t phi(t)) / Vhat^2"),
    "elastic_net": Regulariser(lambda mh, qh, Vh, p, rho: elastic_net(mh, qh, Vh, p.l1, p.l2, rho),
                               _soft_value,
                               "elastic net:  eta(b) = sign(b)(|b| - lambda1)_+ / (Vhat + lambda2),"
                               "  b ~ N(0, s2 = mhat^2 + qhat), t = lambda1/sqrt(s2)\n"
                               "        V = 2Q(t)/(Vhat + lambda2),  m = mhat V,"
                               "  q = 2 s2 ((1+t^2)Q(t) - t phi(t)) / (Vhat + lambda2)^2"),
}


def regulariser(name: str) -> Regulariser:
    """The registry entry (a KeyError names the known ones)."""
    try:
        return REGULARISERS[name]
    except KeyError:
        raise KeyError(f"unknown regulariser {name!r}; known: {', '.join(REGULARISERS)}") from None

r"""Regulariser side of the ERM fixed point (STATIC.md §3), one entry per penalty:
(m̂, q̂, V̂, λ, ρ) ↦ (m, q, V) for a Gaussian teacher row of second moment ρ.

* ridge r = λ/2 w²: η(b) = b/(λ + V̂), so V = 1/(λ + V̂), m = V m̂ ρ,
  q = V² (m̂² ρ + q̂);
* L1 r = λ|w|: η(b) = sign(b)(|b| − λ)₊/V̂ with b ~ N(0, σ²), σ² = m̂²ρ + q̂,
  t = λ/σ: V = 2Q(t)/V̂, m = m̂ ρ V, q = 2σ²[(1 + t²)Q(t) − tφ(t)]/V̂².
"""
from __future__ import annotations

from typing import Callable

import numpy as np
from scipy.special import ndtr


def ridge(mhat: float, qhat: float, Vhat: float, lam: float, rho: float) -> tuple[float, float, float]:
    V = 1.0 / (lam + Vhat)
    return V * mhat * rho, V * V * (mhat * mhat * rho + qhat), V


def lasso(mhat: float, qhat: float, Vhat: float, lam: float, rho: float) -> tuple[float, float, float]:
    s2 = mhat * mhat * rho + qhat
    t = lam / np.sqrt(s2)
    Qt = float(ndtr(-t))
    V = 2.0 * Qt / Vhat
    q = 2.0 * s2 * ((1.0 + t * t) * Qt - t * np.exp(-0.5 * t * t) / np.sqrt(2.0 * np.pi)) / Vhat**2
    return mhat * rho * V, q, V


REGULARISERS: dict[str, Callable[..., tuple[float, float, float]]] = {"ridge": ridge, "l1": lasso}

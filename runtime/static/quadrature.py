r"""Expectations over one standard Gaussian ξ with integrands that have kinks.

Gauss–Hermite is wrong by percents for a hinge prox or an indicator
(STATIC.md §8), so every ξ-integral here is a composite Gauss–Legendre rule on
[−L, L] whose panel edges include the breakpoints of the integrand: on each
panel the integrand times φ(ξ) is analytic and a 20-point rule is exact to
rounding for panels of width ≤ 1 (the Gauss–Legendre error decays like
(width/ (2·analyticity radius))^{40}).  The mass beyond L = 11 is
2Q(11) ≈ 4e-28.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

L_CUT = 11.0
ORDER = 20
PANEL = 1.0


@lru_cache(maxsize=None)
def _legendre(order: int) -> tuple[np.ndarray, np.ndarray]:
    return np.polynomial.legendre.leggauss(order)


def gaussian_rule(breaks=(), order: int = ORDER, panel: float = PANEL,
                  cut: float = L_CUT) -> tuple[np.ndarray, np.ndarray]:
    """Nodes ξ_i and weights w_i with Σ w_i F(ξ_i) ≈ ∫ Dξ F(ξ) for F smooth
    between the given breakpoints (weights include the Gaussian density)."""
    b = np.asarray(breaks, dtype=float).ravel()
    b = b[np.isfinite(b) & (np.abs(b) < cut)]
    edges = np.unique(np.concatenate([np.arange(-cut, cut + 0.5 * panel, panel), b]))
    lo, hi = edges[:-1], edges[1:]
    keep = hi - lo > 1e-14
    lo, hi = lo[keep], hi[keep]
    x, w = _legendre(order)
    half, mid = 0.5 * (hi - lo), 0.5 * (hi + lo)
    xi = (mid[:, None] + half[:, None] * x[None, :]).ravel()
    wt = (half[:, None] * w[None, :]).ravel()
    return xi, wt * np.exp(-0.5 * xi * xi) / np.sqrt(2.0 * np.pi)


@lru_cache(maxsize=None)
def _hermite(order: int) -> tuple[np.ndarray, np.ndarray]:
    x, w = np.polynomial.hermite_e.hermegauss(order)
    x.flags.writeable = False
    w = w / np.sqrt(2.0 * np.pi)
    w.flags.writeable = False
    return x, w


def hermite_rule(order: int = 80) -> tuple[np.ndarray, np.ndarray]:
    """Gauss–Hermite rule for smooth integrands (probabilists' weight, normalised; cached,
    read-only arrays)."""
    return _hermite(order)

r"""Centred Gaussian orthant probabilities P(X > 0), X ~ N(0, S) — the argmax classifier's test error.

One rule per dimension n (a registry, :data:`RULES`); every rule works on the correlation matrix
R = D^{-1/2} S D^{-1/2} (P(X > 0) is invariant under positive rescaling):

* n = 1: ½;  n = 2: ¼ + arcsin(r)/(2π) (Sheppard);
* n = 3: ⅛ + (arcsin r₁₂ + arcsin r₁₃ + arcsin r₂₃)/(4π);
* n = 4 (K = 3 classes): Plackett's reduction to a 1-D integral.  Along R(t) = I + t(R − I),
  t ∈ [0, 1] (positive definite for t < 1), Plackett's identity
      ∂P_n/∂r_ij = φ₂(0, 0; r_ij) · P_{n−2}(R_{·|ij}),   φ₂(0, 0; r) = 1/(2π√(1 − r²)),
  with R_{·|ij} the correlation of the other two coordinates given X_i = X_j = 0 (conditional
  means stay 0 at a centred orthant), and P₂ = ¼ + arcsin(ρ)/(2π) give
      P₄(R) = 1/16 + Σ_{i<j} arcsin(r_ij)/(8π)
              + (1/(4π²)) Σ_{i<j} ∫₀¹ r_ij arcsin ρ_ij(t) / √(1 − t² r_ij²) dt,
  the ¼-part of P₂ integrated in closed form.  The remaining integrand is bounded and analytic
  in t unless some |r_ij| = 1 (then an integrable t = 1 endpoint singularity); it is integrated
  by adaptive Gauss–Kronrod (``scipy.integrate.quad``, absolute tolerance 10⁻¹³).  Checked in
  tests/runtime/test_static_multiclass_test_error.py against an independent 2-D integral of
  bivariate CDFs (Owen's T) in the permutation-symmetric case (≤ 1e-11) and Monte Carlo.
* n ≥ 5 (K ≥ 4): scipy's Genz randomised QMC with a fixed seed (a deterministic map), to the
  requested ``abseps``; its accuracy is measured, not assumed (README, K ≥ 4).
"""
from __future__ import annotations

from typing import Callable

import numpy as np
from scipy.integrate import quad
from scipy.stats import multivariate_normal


def correlation(S: np.ndarray) -> np.ndarray:
    """R = D^{-1/2} S D^{-1/2}, symmetrised, off-diagonals clipped to [−1, 1]."""
    d = np.sqrt(np.diag(S))
    R = S / np.outer(d, d)
    R = np.clip(0.5 * (R + R.T), -1.0, 1.0)
    np.fill_diagonal(R, 1.0)
    return R


def _p1(R: np.ndarray, **_) -> float:
    return 0.5


def _p2(R: np.ndarray, **_) -> float:
    return 0.25 + np.arcsin(R[0, 1]) / (2.0 * np.pi)


def _p3(R: np.ndarray, **_) -> float:
    return 0.125 + (np.arcsin(R[0, 1]) + np.arcsin(R[0, 2]) + np.arcsin(R[1, 2])) / (4.0 * np.pi)


_PAIRS4 = [(i, j) for i in range(4) for j in range(i + 1, 4)]


def _conditional_rho(R: list, t: float, i: int, j: int, k: int, l: int) -> float:
    """Correlation of X_k, X_l given X_i = X_j = 0 under R(t) = I + t(R − I) (explicit 2×2 algebra)."""
    a = t * R[i][j]
    ki, kj, li, lj = t * R[k][i], t * R[k][j], t * R[l][i], t * R[l][j]
    den = 1.0 - a * a
    ckl = t * R[k][l] - (ki * li + kj * lj - a * (ki * lj + kj * li)) / den
    ckk = 1.0 - (ki * ki + kj * kj - 2.0 * a * ki * kj) / den
    cll = 1.0 - (li * li + lj * lj - 2.0 * a * li * lj) / den
    return min(1.0, max(-1.0, ckl / np.sqrt(max(ckk * cll, 1e-300))))


def _p4(R: np.ndarray, epsabs: float = 1e-13, **_) -> float:
    off = sum(np.arcsin(R[i, j]) for i, j in _PAIRS4) / (8.0 * np.pi)
    terms = [(R[i, j], i, j, *[k for k in range(4) if k not in (i, j)]) for i, j in _PAIRS4 if R[i, j] != 0.0]
    R = R.tolist()

    def integrand(t: float) -> float:
        tot = 0.0
        for r, i, j, k, l in terms:
            tot += r * np.arcsin(_conditional_rho(R, t, i, j, k, l)) / np.sqrt(max(1.0 - (t * r) ** 2, 1e-300))
        return tot

    val, _err = quad(integrand, 0.0, 1.0, epsabs=epsabs, epsrel=1e-12, limit=200)
    return 1.0 / 16.0 + off + val / (4.0 * np.pi ** 2)


def _genz(R: np.ndarray, abseps: float = 1e-9, maxpts: int = 200_000, **_) -> float:
    n = R.shape[0]
    return float(multivariate_normal.cdf(np.zeros(n), mean=np.zeros(n), cov=R + 1e-14 * np.eye(n),
                                         allow_singular=True, abseps=abseps, releps=100 * abseps,
                                         maxpts=maxpts * n, rng=np.random.default_rng(0)))


#: rule for P(X > 0) by dimension; dimensions not listed use Genz (:func:`_genz`)
RULES: dict[int, Callable[..., float]] = {1: _p1, 2: _p2, 3: _p3, 4: _p4}


def orthant(S: np.ndarray, abseps: float = 1e-9, maxpts: int = 200_000) -> float:
    """P(X > 0) for X ~ N(0, S), S positive semi-definite with a positive diagonal.

    Exact (n ≤ 3) or a 1-D integral to ~1e-13 (n = 4); n ≥ 5: Genz QMC to ``abseps`` with at most
    ``maxpts`` × n integrand values."""
    R = correlation(np.asarray(S, dtype=float))
    rule = RULES.get(R.shape[0], _genz)
    return float(rule(R, abseps=abseps, maxpts=maxpts))

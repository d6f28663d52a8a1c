r"""Centred Gaussian orthant probabilities P(u_1 > 0, …, u_d > 0), d ≤ 4.

These are the leaves of the exact kinked atoms (:mod:`statc.compiler.kinked`):
every expectation of products of relu, step and linear factors of a centred
Gaussian reduces, by Stein's lemma, to orthant probabilities of conditioned
Gaussians (conditioning on u_k = 0 keeps the mean at zero).

* d = 1: 1/2;  d = 2 (Sheppard): :math:`\tfrac14 + \arcsin(\rho_{01})/(2\pi)`;
* d = 3: :math:`\tfrac18 + (\arcsin\rho_{01} + \arcsin\rho_{02} + \arcsin\rho_{12})/(4\pi)`
  (inclusion–exclusion of the d = 2 formula over the sphere);
* d = 4: no closed form.  Plackett's identity :math:`\partial P/\partial R_{ij}
  = \varphi_2(0, 0; R_{ij})\, P(u_k > 0, u_l > 0 \mid u_i = u_j = 0)` along the
  path R(t) = I + t(R − I) from independence (P = 1/16) gives the
  one-dimensional integral

  .. math::  P_4(R) = \frac1{16} + \int_0^1 \sum_{i<j} R_{ij}\,
             \frac{1}{2\pi\sqrt{1 - t^2R_{ij}^2}}
             \Big(\frac14 + \frac{\arcsin \rho_{kl|ij}(t)}{2\pi}\Big)\,dt,

  with the conditional correlation ρ_{kl|ij}(t) of R(t) in closed form.  R(t)
  is positive definite for t < 1, so the only singularity is the
  inverse square root at t = 1 when |R_ij| = 1 (equal or opposite fields);
  t = 1 − s² makes the integrand bounded, and an adaptive Gauss–Legendre rule
  in s (20 points per panel, bisection until two levels agree to 1e-13) evaluates it to rounding.

**Degenerate variables.** The helpers take, besides the covariance entries,
a reference variance r_i per variable: a variable with c_ii ≤ 1e-10 r_i has
(conditional) variance zero up to rounding.  Such a variable arises when
Stein's lemma conditions on u_k = 0 and u_i is (numerically) a multiple of
u_k; the Stein terms then come in pairs whose sum is the limit of a
regularised covariance, and that limit counts the degenerate factor as
Θ = 1/2 (the symmetric limit of Θ(ε w) for a centred w).  The exact
convention Θ(0) = 0 for a variable that is identically 0 is applied by the
atoms themselves, before any conditioning.
"""
from __future__ import annotations

import math

import numba
import numpy as np

__all__ = ["orth1", "orth2", "orth3", "orth4", "DEGENERATE"]

#: relative (conditional) variance below which a variable counts as degenerate
DEGENERATE = 1e-10

_INV_2PI = 1.0 / (2.0 * math.pi)
_INV_4PI = 1.0 / (4.0 * math.pi)

_jit = numba.njit(cache=True, fastmath=False)

_GL_X, _GL_W = np.polynomial.legendre.leggauss(20)
_GL_X = 0.5 * (_GL_X + 1.0)          # nodes and weights on [0, 1]
_GL_W = 0.5 * _GL_W
_TOL = 1e-13
_MAX_PANELS = 4000


@_jit
def _asin_rho(c01: float, c00: float, c11: float) -> float:
    """asin of the correlation, its argument clipped into [-1, 1]."""
    d = math.sqrt(c00 * c11)
    if d <= 0.0:
        return 0.0
    return math.asin(min(1.0, max(-1.0, c01 / d)))


@_jit
def _p2(c00: float, c01: float, c11: float) -> float:
    return 0.25 + _asin_rho(c01, c00, c11) * _INV_2PI


@_jit
def _p3(c00: float, c01: float, c02: float, c11: float, c12: float, c22: float) -> float:
    return 0.125 + (_asin_rho(c01, c00, c11) + _asin_rho(c02, c00, c22)
                    + _asin_rho(c12, c11, c22)) * _INV_4PI


@_jit
def _plackett(R: np.ndarray, s: float) -> float:
    """The d = 4 Plackett integrand at t = 1 − s², times dt/ds = 2s."""
    t = 1.0 - s * s
    total = 0.0
    for i in range(4):
        for j in range(i + 1, 4):
            r = R[i, j]
            if r == 0.0:
                continue
            # 1 − t²r² = (1 − t r)(1 + t r), with 1 − t r = (1 − r) + s² r kept accurate
            a = (1.0 - r) + s * s * r if r > 0.0 else (1.0 + r) - s * s * r
            one_m = a * (2.0 - a)                       # 1 − (t r)²
            if one_m <= 0.0:
                continue
            k, l = -1, -1
            for m in range(4):
                if m != i and m != j:
                    if k < 0:
                        k = m
                    else:
                        l = m
            tr = t * r
            aki, akj, ali, alj = t * R[k, i], t * R[k, j], t * R[l, i], t * R[l, j]
            # Schur complement of the (i, j) block of R(t)
            vk = 1.0 - (aki * aki - 2.0 * tr * aki * akj + akj * akj) / one_m
            vl = 1.0 - (ali * ali - 2.0 * tr * ali * alj + alj * alj) / one_m
            ckl = t * R[k, l] - (aki * ali - tr * (aki * alj + akj * ali) + akj * alj) / one_m
            if vk <= 0.0 or vl <= 0.0:
                p = 0.25                 # degenerate conditional (rounding, at s ≈ 0): Θ = 1/2 each
            else:
                p = 0.25 + math.asin(min(1.0, max(-1.0, ckl / math.sqrt(vk * vl)))) * _INV_2PI
            # 2s ds · φ2(0, 0; t r), with 2s/√(1 − t²r²) bounded at s = 0 when |r| = 1
            total += r * p * 2.0 * s * _INV_2PI / math.sqrt(one_m)
    return total


@_jit
def _panel(R: np.ndarray, a: float, b: float) -> float:
    h = b - a
    acc = 0.0
    for q in range(_GL_X.shape[0]):
        acc += _GL_W[q] * _plackett(R, a + h * _GL_X[q])
    return acc * h


@_jit
def _p4(c: np.ndarray) -> float:
    """P4 of a covariance with positive diagonal: adaptive Gauss–Legendre in s."""
    R = np.empty((4, 4))
    for i in range(4):
        for j in range(4):
            R[i, j] = max(-1.0, min(1.0, c[i, j] / math.sqrt(c[i, i] * c[j, j])))
    stack_a = np.empty(64)
    stack_b = np.empty(64)
    stack_v = np.empty(64)
    stack_a[0], stack_b[0], stack_v[0] = 0.0, 1.0, _panel(R, 0.0, 1.0)
    n = 1
    total = 0.0
    panels = 0
    while n > 0:
        n -= 1
        a, b, whole = stack_a[n], stack_b[n], stack_v[n]
        m = 0.5 * (a + b)
        left, right = _panel(R, a, m), _panel(R, m, b)
        panels += 1
        if abs(left + right - whole) <= _TOL or n >= 62 or panels > _MAX_PANELS:
            total += left + right
        else:
            stack_a[n], stack_b[n], stack_v[n] = m, b, right
            stack_a[n + 1], stack_b[n + 1], stack_v[n + 1] = a, m, left
            n += 2
    return 0.0625 + total


# ----------------------------------------------------------- degenerate-aware entry points


@_jit
def orth1(c00: float, r0: float) -> float:
    """P(u0 > 0) = 1/2 (also for a degenerate variable, by the convention above)."""
    return 0.5


@_jit
def orth2(c00: float, c01: float, c11: float, r0: float, r1: float) -> float:
    """P(u0 > 0, u1 > 0); a degenerate variable counts 1/2."""
    if c00 <= DEGENERATE * r0 or c11 <= DEGENERATE * r1:
        return 0.25              # 1/2 for the degenerate one, 1/2 for the other
    return _p2(c00, c01, c11)


@_jit
def orth3(c00: float, c01: float, c02: float, c11: float, c12: float, c22: float,
          r0: float, r1: float, r2: float) -> float:
    """P(u0 > 0, u1 > 0, u2 > 0); a degenerate variable counts 1/2."""
    if c00 <= DEGENERATE * r0:
        return 0.5 * orth2(c11, c12, c22, r1, r2)
    if c11 <= DEGENERATE * r1:
        return 0.5 * orth2(c00, c02, c22, r0, r2)
    if c22 <= DEGENERATE * r2:
        return 0.5 * orth2(c00, c01, c11, r0, r1)
    return _p3(c00, c01, c02, c11, c12, c22)


@_jit
def orth4(c00: float, c01: float, c02: float, c03: float, c11: float, c12: float,
          c13: float, c22: float, c23: float, c33: float,
          r0: float, r1: float, r2: float, r3: float) -> float:
    """P(u0 > 0, …, u3 > 0) (Plackett integral); a degenerate variable counts 1/2."""
    if c00 <= DEGENERATE * r0:
        return 0.5 * orth3(c11, c12, c13, c22, c23, c33, r1, r2, r3)
    if c11 <= DEGENERATE * r1:
        return 0.5 * orth3(c00, c02, c03, c22, c23, c33, r0, r2, r3)
    if c22 <= DEGENERATE * r2:
        return 0.5 * orth3(c00, c01, c03, c11, c13, c33, r0, r1, r3)
    if c33 <= DEGENERATE * r3:
        return 0.5 * orth3(c00, c01, c02, c11, c12, c22, r0, r1, r2)
    c = np.empty((4, 4))
    c[0, 0], c[0, 1], c[0, 2], c[0, 3] = c00, c01, c02, c03
    c[1, 1], c[1, 2], c[1, 3] = c11, c12, c13
    c[2, 2], c[2, 3] = c22, c23
    c[3, 3] = c33
    for i in range(4):
        for j in range(i):
            c[i, j] = c[j, i]
    return _p4(c)

r"""Expectations of products of canonical factors of a Gaussian with *means*.

The slots of :mod:`statc.compiler.gaussian.gaussian_atoms` read zero-mean Gaussians.
Inputs shifted along a mean vector (a cluster label c = ±1 times an overlap
``M``) give fields u ~ N(m, C) with m ≠ 0; this module evaluates

.. math::  E\Big[\prod_i f_{\kappa_i}(u_i)\Big], \qquad u \sim N(m, C),

symbolically, where it can:

* **Wick with means** (every factor linear):
  :math:`E[\prod_i u_i] = \sum_{S} \prod_{i \notin S} m_i \,\mathrm{Wick}(C_S)`
  over the subsets S of even size;
* **tilting** by the ``dg`` factors :math:`\sqrt{2/\pi}\,e^{-u_D^2/2}`
  (one per distinct argument; a power g'(u)^n is (2/π)^{(n−1)/2} g'(√n u)):
  with :math:`A = I + C_{DD}` the remaining slots see

  .. math:: C' = C_{RR} - C_{RD}A^{-1}C_{DR}, \qquad m' = m_R - C_{RD}A^{-1}m_D,

  with weight :math:`(2/\pi)^{|D|/2}\det(A)^{-1/2}\exp(-\tfrac12 m_D^\top A^{-1} m_D)`;
* **one nonlinear factor** (u ~ N(m, σ²)): :math:`E[g(u)] =
  \mathrm{erf}(m/\sqrt{2(1+σ^2)})`, :math:`E[\Theta(u)] = Φ(m/σ)`,
  :math:`E[\mathrm{relu}(u)] = mΦ(m/σ) + σφ(m/σ)`.

What is left (products of several nonlinear factors of distinct arguments)
goes to a Gauss–Hermite quadrature over those arguments only
(:class:`~statc.compiler.ir.equation_ir.ArgQuadrature`).
"""
from __future__ import annotations

from functools import lru_cache
from itertools import combinations

import sympy as sp


def matchings(items: list[int]):
    """All perfect matchings of ``items`` (a list of even length)."""
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for i, other in enumerate(rest):
        for m in matchings(rest[:i] + rest[i + 1:]):
            yield [(first, other)] + m


def wick(C: sp.Matrix) -> sp.Expr:
    """E[Π_i z_i], z ~ N(0, C) (Isserlis)."""
    n = C.shape[0]
    if n % 2:
        return sp.S.Zero
    return sp.Add(*[sp.Mul(*[C[i, j] for i, j in m]) for m in matchings(list(range(n)))])


def wick_with_means(C: sp.Matrix, m: list[sp.Expr]) -> sp.Expr:
    """E[Π_i u_i], u ~ N(m, C): the centred parts are paired, the rest give means."""
    n = len(m)
    total = sp.S.Zero
    for size in range(0, n + 1, 2):
        for S in combinations(range(n), size):
            rest = sp.Mul(*[m[i] for i in range(n) if i not in S])
            if rest == 0:
                continue
            total += rest * wick(C.extract(list(S), list(S)))
    return total


@lru_cache(maxsize=None)
def _generic_tilt(nd: int, nr: int):
    """The tilting formulas for |D| = nd, |R| = nr in placeholder symbols.

    Inverting A = I + C_DD with the actual (long) covariance expressions makes
    SymPy simplify as it goes; on placeholders it is instant, and the entries
    are substituted afterwards.
    """
    n = nd + nr
    c = [[sp.Symbol(f"c{min(i, j)}_{max(i, j)}") for j in range(n)] for i in range(n)]
    m = [sp.Symbol(f"m{i}") for i in range(n)]
    C = sp.Matrix(c)
    D, R = list(range(nd)), list(range(nd, n))
    A = sp.eye(nd) + C.extract(D, D)
    det = A.det()
    Ainv = A.adjugate() / det
    mD = sp.Matrix(m[:nd])
    quad = (mD.T * Ainv * mD)[0, 0]
    CRD = C.extract(R, D)
    Cp = C.extract(R, R) - CRD * Ainv * CRD.T
    mp = [m[nd + i] - (CRD * Ainv * mD)[i, 0] for i in range(nr)]
    return c, m, det, quad, Cp, mp


def tilt(C: sp.Matrix, m: list[sp.Expr], D: list[int]) -> tuple[sp.Expr, sp.Matrix, list[sp.Expr]]:
    """Integrate the factors g'(u_d), d ∈ D, into the Gaussian: (weight, C', m') of the rest."""
    R = [i for i in range(len(m)) if i not in D]
    c, mm, det, quad, Cp, mp = _generic_tilt(len(D), len(R))
    order = D + R
    sub = {c[i][j]: C[order[i], order[j]] for i in range(len(order)) for j in range(i, len(order))}
    sub.update({mm[i]: m[order[i]] for i in range(len(order))})
    weight = (2 / sp.pi) ** sp.Rational(len(D), 2) / sp.sqrt(det.xreplace(sub))
    quad = quad.xreplace(sub)
    if quad != 0:
        weight *= sp.exp(-quad / 2)
    return weight, Cp.xreplace(sub), [e.xreplace(sub) for e in mp]


def single(kind: str, var: sp.Expr, mean: sp.Expr) -> sp.Expr | None:
    """E[f_kind(u)], u ~ N(mean, var), in closed form — or None."""
    if kind == "z":
        return mean
    if kind == "g":
        return sp.erf(mean / sp.sqrt(2 * (1 + var)))
    if kind == "dg":
        return sp.sqrt(2 / sp.pi) / sp.sqrt(1 + var) * sp.exp(-mean**2 / (2 * (1 + var)))
    sigma = sp.sqrt(var)
    cdf = (1 + sp.erf(mean / (sp.sqrt(2) * sigma))) / 2
    if kind == "step":
        return cdf
    if kind == "relu":
        return mean * cdf + sigma * sp.exp(-mean**2 / (2 * var)) / sp.sqrt(2 * sp.pi)
    return None

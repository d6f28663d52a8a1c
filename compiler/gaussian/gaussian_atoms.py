r"""Closed-form Gaussian expectations ("atoms").

An *atom* is a closed form for

.. math::  E[f_1(z_1) f_2(z_2) \cdots f_p(z_p)], \qquad (z_1,\dots,z_p) \sim N(0, C),

where each :math:`f_i` is one of the canonical unary factor kinds

===========  =============================================  ==========
kind         function                                       parity
===========  =============================================  ==========
``"g"``      :math:`g(z) = \mathrm{erf}(z/\sqrt 2)`          odd
``"dg"``     :math:`g'(z) = \sqrt{2/\pi}\, e^{-z^2/2}`        even
``"z"``      :math:`z`                                       odd
``"relu"``   :math:`\max(z, 0)`                              --
``"step"``   :math:`\Theta(z)` (1 for z > 0, 0 otherwise)    --
===========  =============================================  ==========

Calling convention
------------------
Every evaluator is a ``numba.njit(cache=True, fastmath=False)`` function of the
covariance entries, as float64 scalars in row-major upper-triangle order::

    p=1: (c00)
    p=2: (c00, c01, c11)
    p=3: (c00, c01, c02, c11, c12, c22)
    p=4: (c00, c01, c02, c03, c11, c12, c13, c22, c23, c33)

Slot ``i`` carries the ``i``-th kind of the registered signature.  ``C`` may be
singular positive semi-definite (e.g. ``z_1 == z_2`` exactly, or ``C_ii = 0``);
arguments of ``asin``/``acos`` are clipped into [-1, 1] and divisions are
guarded, returning the exact value (or limit) in the degenerate cases.

Tools used in the derivations
-----------------------------
* **Stein's lemma**: :math:`E[z_j F(z)] = \sum_k C_{jk} E[\partial_k F(z)]`.
* **Gaussian tilting by g'**: a factor :math:`g'(u)g'(v)` (or just
  :math:`g'(u)`) multiplies the density by :math:`(2/\pi)\exp(-\tfrac12
  (u^2+v^2))`.  The result is a Gaussian of covariance
  :math:`C' = C - C_{:,S}(I + C_{SS})^{-1}C_{S,:}` (Woodbury), with weight
  :math:`(2/\pi)^{|S|/2}\det(I + C_{SS})^{-1/2}`, where S is the set of g'
  slots.  With ``S = {u, v}``, :math:`\Lambda_4 = \det(I+C_{SS}) =
  (1+C_{uu})(1+C_{vv}) - C_{uv}^2` and
  :math:`\Lambda_4 C'_{ab} = \Lambda_4 C_{ab} - [C_{au}C_{bu}(1+C_{vv}) +
  C_{av}C_{bv}(1+C_{uu}) - C_{uv}(C_{au}C_{bv} + C_{av}C_{bu})]`.
* **Basic erf moments** (u ~ N(0, s)): :math:`E[g'(u)] = \sqrt{2/\pi}/\sqrt{1+s}`,
  :math:`E[g(u) v] = C_{uv}\sqrt{2/\pi}/\sqrt{1+s}`,
  :math:`E[g(u)g(v)] =
  \frac2\pi \arcsin\frac{C_{uv}}{\sqrt{(1+C_{uu})(1+C_{vv})}}`.
* **Orthant / arc-cosine kernels** (Sheppard; Cho & Saul 2009), with
  :math:`\rho = C_{uv}/\sqrt{C_{uu}C_{vv}}`, :math:`\theta = \arccos\rho`:
  :math:`E[\Theta(u)\Theta(v)] = \tfrac14 + \arcsin(\rho)/(2\pi)` and
  :math:`E[\mathrm{relu}(u)\mathrm{relu}(v)] = \frac{\sqrt{C_{uu}C_{vv}}}{2\pi}
  (\sin\theta + (\pi - \theta)\cos\theta)`.

Erf family (Saad & Solla 1995; Goldt et al. 2019, appendix)
-----------------------------------------------------------
* ``erf_I2`` ``(g, g)``: :math:`\frac2\pi\arcsin\frac{C_{01}}{\sqrt{(1+C_{00})(1+C_{11})}}`.
* ``erf_J2`` ``(dg, dg)``: :math:`\frac2\pi\,\Lambda_4^{-1/2}`,
  :math:`\Lambda_4 = (1+C_{00})(1+C_{11}) - C_{01}^2`.
* ``erf_I3`` ``(dg, z, g)``: :math:`E[g'(u)\,v\,g(w)] = \frac2\pi
  \frac{C_{12}(1+C_{00}) - C_{01}C_{02}}{(1+C_{00})\sqrt{\Lambda_3}}`,
  :math:`\Lambda_3 = (1+C_{00})(1+C_{22}) - C_{02}^2`.
* ``erf_I4`` ``(dg, dg, g, g)``: :math:`\frac{4}{\pi^2}\Lambda_4^{-1/2}
  \arcsin\frac{\Lambda_0}{\sqrt{\Lambda_1\Lambda_2}}` with (0-based indices)

  .. math::
     \Lambda_0 &= \Lambda_4 C_{23} - C_{02}C_{03}(1+C_{11}) - C_{12}C_{13}(1+C_{00})
                  + C_{01}C_{02}C_{13} + C_{01}C_{03}C_{12},\\
     \Lambda_1 &= \Lambda_4(1+C_{22}) - C_{12}^2(1+C_{00}) - C_{02}^2(1+C_{11})
                  + 2C_{01}C_{02}C_{12},\\
     \Lambda_2 &= \Lambda_4(1+C_{33}) - C_{13}^2(1+C_{00}) - C_{03}^2(1+C_{11})
                  + 2C_{01}C_{03}C_{13}.

  This is Saad & Solla's form, re-derived above by tilting (Λ0 = Λ4 C'_23,
  Λ1 = Λ4 (1 + C'_22), Λ2 = Λ4 (1 + C'_33)); note the pairing of indices in
  the two middle terms of Λ0 (C02 C03 with 1+C11, C12 C13 with 1+C00), which
  some transcriptions get crossed.  Checked by Monte Carlo in the tests.
* Further atoms from the same tools: ``ev_dg`` :math:`\sqrt{2/\pi}/\sqrt{1+C_{00}}`;
  ``ev_g_z`` :math:`C_{01}\sqrt{2/\pi}/\sqrt{1+C_{00}}`;
  ``ev_dg_z_z`` :math:`\sqrt{2/\pi}(1+C_{00})^{-1/2}(C_{12} - C_{01}C_{02}/(1+C_{00}))`;
  ``ev_dg_g_g`` :math:`\sqrt{2/\pi}(1+C_{00})^{-1/2}\,\frac2\pi\arcsin
  \frac{sC_{12} - C_{01}C_{02}}{\sqrt{(s(1+C_{11}) - C_{01}^2)(s(1+C_{22}) - C_{02}^2)}}`,
  ``s = 1+C_{00}``;
  ``ev_dg_dg_z_z`` :math:`\frac2\pi\Lambda_0\Lambda_4^{-3/2}`;
  ``ev_dg_dg_g_z`` :math:`(2/\pi)^{3/2}\Lambda_0/(\Lambda_4\sqrt{\Lambda_1})`.
* Odd integrands vanish: ``ev_g``, ``ev_dg_z``, ``ev_dg_g``, ``ev_dg_dg_g``
  (and ``ev_z``) are identically 0.

ReLU family
-----------
Convention: :math:`\Theta(0) = 0` and :math:`\mathrm{relu}(0) = 0`, so a factor
on a slot with ``C_ii = 0`` (the variable is identically 0) makes the whole
expectation exactly 0; the evaluators return 0 there (this is the exact value,
not a limit -- e.g. ``ev_step`` jumps from 1/2 to 0 at ``C00 = 0``).

* ``relu_I2`` ``(relu, relu)``: arc-cosine kernel of order 1 (Cho & Saul).
* ``relu_J2`` ``(step, step)``: :math:`\tfrac14 + \arcsin(\rho)/(2\pi)`.
* ``relu_I3`` ``(step, z, relu)``: Stein on ``v`` gives
  :math:`C_{01}E[\delta(u)\mathrm{relu}(w)] + C_{12}E[\Theta(u)\Theta(w)]
  = C_{01}\frac{\sqrt{C_{00}C_{22} - C_{02}^2}}{2\pi C_{00}}
  + C_{12}\left(\tfrac14 + \frac{\arcsin(C_{02}/\sqrt{C_{00}C_{22}})}{2\pi}\right)`.
* ``ev_relu`` :math:`\sqrt{C_{00}/(2\pi)}`; ``ev_step`` 1/2;
  ``ev_relu_z`` :math:`C_{01}/2`; ``ev_step_z`` :math:`C_{01}/\sqrt{2\pi C_{00}}`;
  ``ev_step_z_z`` :math:`C_{12}/2` (symmetry u -> -u);
  ``ev_relu_z_z`` :math:`C_{01}C_{02}/\sqrt{2\pi C_{00}} + C_{12}\sqrt{C_{00}/(2\pi)}`;
  ``ev_relu_step`` :math:`(\sqrt{C_{00}} + C_{01}/\sqrt{C_{11}})/(2\sqrt{2\pi})`
  (Stein on ``relu(u) = u Θ(u)``);
  ``ev_step_step_z`` :math:`C_{02}/(2\sqrt{2\pi C_{00}}) + C_{12}/(2\sqrt{2\pi C_{11}})`;
  ``ev_relu_relu_z`` :math:`C_{02}E[\Theta(u)\mathrm{relu}(v)]
  + C_{12}E[\mathrm{relu}(u)\Theta(v)]` (Stein on ``w``).
  The Stein terms with :math:`E[\delta(u)\Theta(v)] = p_u(0)/2` stay exact even
  when ``v`` is proportional to ``u`` (the two halves combine correctly).

Gaussian moments
----------------
``ev_z`` = 0 and ``ev_z_z`` = C01, so that plain linear factors can also be
looked up.

Registry
--------
``ATOMS`` maps a signature (tuple of kinds) to its numba dispatcher,
``ATOM_NAMES`` to the importable function name, and :func:`lookup` finds the
registered signature matching a permutation of the caller's kinds.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numba

__all__ = ["KINDS", "ATOMS", "ATOM_NAMES", "lookup"]

KINDS: tuple[str, ...] = ("g", "dg", "z", "relu", "step")

_TWO_OVER_PI = 2.0 / math.pi
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_INV_2PI = 1.0 / (2.0 * math.pi)

_jit = numba.njit(cache=True, fastmath=False)


# --------------------------------------------------------------------------- helpers


@_jit
def _asin(x: float) -> float:
    """asin with its argument clipped into [-1, 1] (rounding safety)."""
    return math.asin(min(1.0, max(-1.0, x)))


@_jit
def _pos_sqrt(x: float) -> float:
    """sqrt of max(x, 0): PSD quantities may round to tiny negatives."""
    return math.sqrt(max(x, 0.0))


@_jit
def _lam4(c00: float, c01: float, c11: float) -> float:
    """det(I + C_SS) for the two g' slots S = {0, 1}."""
    return (1.0 + c00) * (1.0 + c11) - c01 * c01


@_jit
def _adj_form(
    c00: float, c01: float, c11: float, a0: float, a1: float, b0: float, b1: float
) -> float:
    """a^T adj(I + C_SS) b = Λ4 · a^T (I + C_SS)^{-1} b (the Woodbury correction)."""
    return a0 * b0 * (1.0 + c11) + a1 * b1 * (1.0 + c00) - c01 * (a0 * b1 + a1 * b0)


@_jit
def _orthant(c00: float, c01: float, c11: float) -> float:
    """E[Θ(u)Θ(v)] = 1/4 + asin(ρ)/(2π); 0 if a variance vanishes."""
    if c00 <= 0.0 or c11 <= 0.0:
        return 0.0
    return 0.25 + _asin(c01 / math.sqrt(c00 * c11)) * _INV_2PI


# --------------------------------------------------------------------------- Gaussian moments


@_jit
def ev_z(c00: float) -> float:
    """E[z] = 0."""
    return 0.0


@_jit
def ev_z_z(c00: float, c01: float, c11: float) -> float:
    """E[u v] = C01."""
    return c01


# --------------------------------------------------------------------------- erf family


@_jit
def ev_g(c00: float) -> float:
    """E[g(u)] = 0 (odd)."""
    return 0.0


@_jit
def ev_dg(c00: float) -> float:
    """E[g'(u)] = sqrt(2/π) / sqrt(1 + C00)."""
    return _SQRT_2_OVER_PI / math.sqrt(1.0 + c00)


@_jit
def ev_g_z(c00: float, c01: float, c11: float) -> float:
    """E[g(u) v] = C01 E[g'(u)] (Stein)."""
    return c01 * _SQRT_2_OVER_PI / math.sqrt(1.0 + c00)


@_jit
def ev_dg_z(c00: float, c01: float, c11: float) -> float:
    """E[g'(u) v] = 0 (odd)."""
    return 0.0


@_jit
def ev_dg_g(c00: float, c01: float, c11: float) -> float:
    """E[g'(u) g(v)] = 0 (odd)."""
    return 0.0


@_jit
def erf_I2(c00: float, c01: float, c11: float) -> float:
    """E[g(u) g(v)] = (2/π) asin(C01 / sqrt((1+C00)(1+C11)))."""
    return _TWO_OVER_PI * _asin(c01 / math.sqrt((1.0 + c00) * (1.0 + c11)))


@_jit
def erf_J2(c00: float, c01: float, c11: float) -> float:
    """E[g'(u) g'(v)] = (2/π) / sqrt((1+C00)(1+C11) - C01²)."""
    return _TWO_OVER_PI / math.sqrt(_lam4(c00, c01, c11))


@_jit
def ev_dg_z_z(c00: float, c01: float, c02: float, c11: float, c12: float, c22: float) -> float:
    """E[g'(u) v w] = sqrt(2/π)/sqrt(1+C00) · (C12 - C01 C02/(1+C00))."""
    s = 1.0 + c00
    return _SQRT_2_OVER_PI / math.sqrt(s) * (c12 - c01 * c02 / s)


@_jit
def erf_I3(c00: float, c01: float, c02: float, c11: float, c12: float, c22: float) -> float:
    """E[g'(u) v g(w)] = (2/π) (C12(1+C00) - C01 C02) / ((1+C00) sqrt(Λ3))."""
    s = 1.0 + c00
    lam3 = s * (1.0 + c22) - c02 * c02
    return _TWO_OVER_PI * (c12 * s - c01 * c02) / (s * math.sqrt(lam3))


@_jit
def ev_dg_g_g(c00: float, c01: float, c02: float, c11: float, c12: float, c22: float) -> float:
    """E[g'(u) g(v) g(w)]: tilt by g'(u), then erf_I2 on the tilted covariance."""
    s = 1.0 + c00
    num = s * c12 - c01 * c02
    den = math.sqrt((s * (1.0 + c11) - c01 * c01) * (s * (1.0 + c22) - c02 * c02))
    return _SQRT_2_OVER_PI / math.sqrt(s) * _TWO_OVER_PI * _asin(num / den)


@_jit
def ev_dg_dg_g(c00: float, c01: float, c02: float, c11: float, c12: float, c22: float) -> float:
    """E[g'(u) g'(v) g(w)] = 0 (odd)."""
    return 0.0


@_jit
def _lam_0(
    c00: float, c01: float, c02: float, c03: float, c11: float, c12: float, c13: float, c23: float
) -> float:
    """Λ0 = Λ4 · C'_23 (tilted covariance of slots 2, 3 after the g' slots 0, 1)."""
    return _lam4(c00, c01, c11) * c23 - _adj_form(c00, c01, c11, c02, c12, c03, c13)


@_jit
def _lam_1(c00: float, c01: float, c11: float, c0k: float, c1k: float, ckk: float) -> float:
    """Λ4 · (1 + C'_kk) for slot k after tilting by the g' slots 0, 1."""
    return _lam4(c00, c01, c11) * (1.0 + ckk) - _adj_form(c00, c01, c11, c0k, c1k, c0k, c1k)


@_jit
def erf_I4(
    c00: float, c01: float, c02: float, c03: float, c11: float,
    c12: float, c13: float, c22: float, c23: float, c33: float,
) -> float:
    """E[g'(u) g'(v) g(w) g(x)] = (4/π²) Λ4^{-1/2} asin(Λ0 / sqrt(Λ1 Λ2))."""
    lam4 = _lam4(c00, c01, c11)
    lam0 = _lam_0(c00, c01, c02, c03, c11, c12, c13, c23)
    lam1 = _lam_1(c00, c01, c11, c02, c12, c22)
    lam2 = _lam_1(c00, c01, c11, c03, c13, c33)
    return _TWO_OVER_PI * _TWO_OVER_PI / math.sqrt(lam4) * _asin(lam0 / math.sqrt(lam1 * lam2))


@_jit
def ev_dg_dg_z_z(
    c00: float, c01: float, c02: float, c03: float, c11: float,
    c12: float, c13: float, c22: float, c23: float, c33: float,
) -> float:
    """E[g'(u) g'(v) w x] = (2/π) Λ0 / Λ4^{3/2}."""
    lam4 = _lam4(c00, c01, c11)
    lam0 = _lam_0(c00, c01, c02, c03, c11, c12, c13, c23)
    return _TWO_OVER_PI * lam0 / (lam4 * math.sqrt(lam4))


@_jit
def ev_dg_dg_g_z(
    c00: float, c01: float, c02: float, c03: float, c11: float,
    c12: float, c13: float, c22: float, c23: float, c33: float,
) -> float:
    """E[g'(u) g'(v) g(w) x] = (2/π)^{3/2} Λ0 / (Λ4 sqrt(Λ1))."""
    lam4 = _lam4(c00, c01, c11)
    lam0 = _lam_0(c00, c01, c02, c03, c11, c12, c13, c23)
    lam1 = _lam_1(c00, c01, c11, c02, c12, c22)
    return _TWO_OVER_PI * _SQRT_2_OVER_PI * lam0 / (lam4 * math.sqrt(lam1))


# --------------------------------------------------------------------------- ReLU family


@_jit
def ev_relu(c00: float) -> float:
    """E[relu(u)] = sqrt(C00 / (2π))."""
    return _pos_sqrt(c00) * _INV_SQRT_2PI


@_jit
def ev_step(c00: float) -> float:
    """E[Θ(u)] = 1/2 (0 if C00 = 0, since Θ(0) = 0)."""
    return 0.5 if c00 > 0.0 else 0.0


@_jit
def ev_relu_z(c00: float, c01: float, c11: float) -> float:
    """E[relu(u) v] = C01 E[Θ(u)] = C01 / 2."""
    return 0.5 * c01 if c00 > 0.0 else 0.0


@_jit
def ev_step_z(c00: float, c01: float, c11: float) -> float:
    """E[Θ(u) v] = C01 / sqrt(2π C00)."""
    return c01 * _INV_SQRT_2PI / math.sqrt(c00) if c00 > 0.0 else 0.0


@_jit
def ev_relu_step(c00: float, c01: float, c11: float) -> float:
    """E[relu(u) Θ(v)] = (sqrt(C00) + C01/sqrt(C11)) / (2 sqrt(2π))."""
    if c00 <= 0.0 or c11 <= 0.0:
        return 0.0
    return 0.5 * _INV_SQRT_2PI * (math.sqrt(c00) + c01 / math.sqrt(c11))


@_jit
def relu_I2(c00: float, c01: float, c11: float) -> float:
    """E[relu(u) relu(v)] = sqrt(C00 C11)/(2π) (sin θ + (π - θ) cos θ), cos θ = ρ."""
    if c00 <= 0.0 or c11 <= 0.0:
        return 0.0
    norm = math.sqrt(c00 * c11)
    rho = min(1.0, max(-1.0, c01 / norm))
    theta = math.acos(rho)
    return norm * _INV_2PI * (math.sqrt(1.0 - rho * rho) + (math.pi - theta) * rho)


@_jit
def relu_J2(c00: float, c01: float, c11: float) -> float:
    """E[Θ(u) Θ(v)] = 1/4 + asin(ρ)/(2π)."""
    return _orthant(c00, c01, c11)


@_jit
def ev_step_z_z(c00: float, c01: float, c02: float, c11: float, c12: float, c22: float) -> float:
    """E[Θ(u) v w] = C12 / 2 (the integrand's halves u>0, u<0 are mirror images)."""
    return 0.5 * c12 if c00 > 0.0 else 0.0


@_jit
def ev_relu_z_z(c00: float, c01: float, c02: float, c11: float, c12: float, c22: float) -> float:
    """E[relu(u) v w] = C01 E[Θ(u) w] + C12 E[relu(u)] (Stein on v)."""
    return c01 * ev_step_z(c00, c02, c22) + c12 * ev_relu(c00)


@_jit
def ev_step_step_z(c00: float, c01: float, c02: float, c11: float, c12: float, c22: float) -> float:
    """E[Θ(u) Θ(v) w] = C02/(2 sqrt(2π C00)) + C12/(2 sqrt(2π C11)) (Stein on w)."""
    if c00 <= 0.0 or c11 <= 0.0:
        return 0.0
    return 0.5 * _INV_SQRT_2PI * (c02 / math.sqrt(c00) + c12 / math.sqrt(c11))


@_jit
def ev_relu_relu_z(c00: float, c01: float, c02: float, c11: float, c12: float, c22: float) -> float:
    """E[relu(u) relu(v) w] = C02 E[Θ(u) relu(v)] + C12 E[relu(u) Θ(v)] (Stein on w)."""
    return c02 * ev_relu_step(c11, c01, c00) + c12 * ev_relu_step(c00, c01, c11)


@_jit
def relu_I3(c00: float, c01: float, c02: float, c11: float, c12: float, c22: float) -> float:
    """E[Θ(u) v relu(w)] = C01 sqrt(C00 C22 - C02²)/(2π C00) + C12 E[Θ(u)Θ(w)]."""
    if c00 <= 0.0 or c22 <= 0.0:
        return 0.0
    delta = c01 * _pos_sqrt(c00 * c22 - c02 * c02) * _INV_2PI / c00
    return delta + c12 * _orthant(c00, c02, c22)


@_jit
def ev_step_g(c00: float, c01: float, c11: float) -> float:
    """E[Θ(u) g(w)] = (1/π) asin(C01 / sqrt(C00 (1 + C11))).

    From E[sign(u) sign(w + ξ)] = (2/π) asin(ρ) with ξ ~ N(0, 1) independent,
    since g(w) = E_ξ[sign(w + ξ)], and E[g(w)] = 0.
    """
    if c00 <= 0.0:
        return 0.0
    return _asin(c01 / math.sqrt(c00 * (1.0 + c11))) / math.pi


@_jit
def ev_step_g_z(c00: float, c01: float, c02: float, c11: float, c12: float, c22: float) -> float:
    """E[Θ(u) g(w) v] = C02 E[δ(u) g(w)] + C12 E[Θ(u) g'(w)] (Stein on v).

    E[δ(u) g(w)] = 0 (g odd, w | u = 0 centred); E[Θ(u) g'(w)] = E[g'(w)]/2 by
    symmetry (g' even).  Θ(0) = 0: a variable with zero variance gives 0.
    """
    if c00 <= 0.0:
        return 0.0
    return 0.5 * c12 * math.sqrt(2.0 / math.pi) / math.sqrt(1.0 + c11)


# --------------------------------------------------------------------------- registry

_TABLE: tuple[tuple[tuple[str, ...], Callable], ...] = (
    # Gaussian moments
    (("z",), ev_z),
    (("z", "z"), ev_z_z),
    # erf family
    (("g",), ev_g),
    (("dg",), ev_dg),
    (("g", "z"), ev_g_z),
    (("dg", "z"), ev_dg_z),
    (("dg", "g"), ev_dg_g),
    (("g", "g"), erf_I2),
    (("dg", "dg"), erf_J2),
    (("dg", "z", "z"), ev_dg_z_z),
    (("dg", "z", "g"), erf_I3),
    (("dg", "g", "g"), ev_dg_g_g),
    (("dg", "dg", "g"), ev_dg_dg_g),
    (("dg", "dg", "g", "g"), erf_I4),
    (("dg", "dg", "z", "z"), ev_dg_dg_z_z),
    (("dg", "dg", "g", "z"), ev_dg_dg_g_z),
    # ReLU family
    (("relu",), ev_relu),
    (("step",), ev_step),
    (("relu", "z"), ev_relu_z),
    (("step", "z"), ev_step_z),
    (("relu", "step"), ev_relu_step),
    (("relu", "relu"), relu_I2),
    (("step", "step"), relu_J2),
    (("step", "z", "z"), ev_step_z_z),
    (("step", "g"), ev_step_g),
    (("step", "g", "z"), ev_step_g_z),
    (("relu", "z", "z"), ev_relu_z_z),
    (("step", "step", "z"), ev_step_step_z),
    (("relu", "relu", "z"), ev_relu_relu_z),
    (("step", "z", "relu"), relu_I3),
)

ATOMS: dict[tuple[str, ...], Callable] = dict(_TABLE)
ATOM_NAMES: dict[tuple[str, ...], str] = {sig: fn.py_func.__name__ for sig, fn in _TABLE}

# multiset of kinds -> registered signature (at most one signature per multiset)
_BY_MULTISET: dict[tuple[str, ...], tuple[str, ...]] = {tuple(sorted(sig)): sig for sig in ATOMS}
assert len(_BY_MULTISET) == len(ATOMS), "two registered signatures are permutations of each other"


def _match(signature: tuple[str, ...], kinds: tuple[str, ...]) -> tuple[int, ...]:
    """perm with kinds[perm[i]] == signature[i] (first free index for repeated kinds)."""
    free = list(range(len(kinds)))
    perm = []
    for kind in signature:
        j = next(j for j in free if kinds[j] == kind)
        free.remove(j)
        perm.append(j)
    return tuple(perm)


def lookup(kinds: tuple[str, ...]) -> tuple[str, tuple[int, ...]] | None:
    """Find the registered atom for a permutation of ``kinds``.

    Returns ``(function_name, perm)`` where ``perm[i]`` is the index in
    ``kinds`` of the caller's slot that goes into position ``i`` of the
    registered signature: call the atom with the covariance
    ``C_reg[i, j] = C[perm[i], perm[j]]``.  Returns ``None`` if no registered
    signature is a permutation of ``kinds``.
    """
    signature = _BY_MULTISET.get(tuple(sorted(kinds)))
    if signature is None:
        return None
    return ATOM_NAMES[signature], _match(signature, tuple(kinds))

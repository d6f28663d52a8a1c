r"""SymPy forms of the closed-form atoms, for their exact partial derivatives.

The adjoint kernels (``codegen/adjoint.py``) need ∂atom/∂C_ij for every atom
a right-hand side calls.  Each entry below restates the closed form of
``gaussian_atoms.py`` as a SymPy expression of the covariance entries (same
argument order); SymPy differentiates it and the printer emits a
``grad_<atom>`` kernel returning all partials (with CSE).  The tests evaluate
every form against its Numba atom, so the two statements cannot drift apart.

Zero-variance guards of the step/ReLU family (``c00 <= 0 → 0``) are kept as
``Piecewise``; clipping of ``asin`` arguments is not (its derivative is
infinite there anyway).  Atoms missing here (Gauss–Hermite quadratures) get
exact partials by differentiation under the integral when their integrand is
smooth (``codegen/quadrature_partials.py``), central differences otherwise
(reported as such).
"""
from __future__ import annotations

from typing import Callable

import sympy as sp

_2PI = 2 / sp.pi
_S2PI = sp.sqrt(2 / sp.pi)
_I2PI = 1 / sp.sqrt(2 * sp.pi)


def _lam4(c00, c01, c11):
    return (1 + c00) * (1 + c11) - c01**2


def _adj(c00, c01, c11, a0, a1, b0, b1):
    return a0 * b0 * (1 + c11) + a1 * b1 * (1 + c00) - c01 * (a0 * b1 + a1 * b0)


def _lam0(c00, c01, c02, c03, c11, c12, c13, c23):
    return _lam4(c00, c01, c11) * c23 - _adj(c00, c01, c11, c02, c12, c03, c13)


def _lam1(c00, c01, c11, c0k, c1k, ckk):
    return _lam4(c00, c01, c11) * (1 + ckk) - _adj(c00, c01, c11, c0k, c1k, c0k, c1k)


def _pos(c, e):
    """``e`` where the variance ``c`` is positive, 0 otherwise (the atoms' guard)."""
    return sp.Piecewise((e, c > 0), (0, True))


def _pos2(a, b, e):
    return sp.Piecewise((e, sp.And(a > 0, b > 0)), (0, True))


def _orthant(c00, c01, c11):
    return _pos2(c00, c11, sp.Rational(1, 4) + sp.asin(c01 / sp.sqrt(c00 * c11)) / (2 * sp.pi))


def _relu_step(c00, c01, c11):
    return _pos2(c00, c11, _I2PI / 2 * (sp.sqrt(c00) + c01 / sp.sqrt(c11)))


def _step_z(c00, c01, c11):
    return _pos(c00, c01 * _I2PI / sp.sqrt(c00))


def _relu_I2(c00, c01, c11):
    norm = sp.sqrt(c00 * c11)
    rho = c01 / norm
    return _pos2(c00, c11, norm / (2 * sp.pi) * (sp.sqrt(1 - rho**2) + (sp.pi - sp.acos(rho)) * rho))


FORMS: dict[str, Callable[..., sp.Expr]] = {
    "ev_z": lambda c00: sp.S.Zero,
    "ev_z_z": lambda c00, c01, c11: c01,
    "ev_g": lambda c00: sp.S.Zero,
    "ev_dg": lambda c00: _S2PI / sp.sqrt(1 + c00),
    "ev_g_z": lambda c00, c01, c11: c01 * _S2PI / sp.sqrt(1 + c00),
    "ev_dg_z": lambda c00, c01, c11: sp.S.Zero,
    "ev_dg_g": lambda c00, c01, c11: sp.S.Zero,
    "erf_I2": lambda c00, c01, c11: _2PI * sp.asin(c01 / sp.sqrt((1 + c00) * (1 + c11))),
    "erf_J2": lambda c00, c01, c11: _2PI / sp.sqrt(_lam4(c00, c01, c11)),
    "ev_dg_z_z": lambda c00, c01, c02, c11, c12, c22:
        _S2PI / sp.sqrt(1 + c00) * (c12 - c01 * c02 / (1 + c00)),
    "erf_I3": lambda c00, c01, c02, c11, c12, c22:
        _2PI * (c12 * (1 + c00) - c01 * c02) / ((1 + c00) * sp.sqrt((1 + c00) * (1 + c22) - c02**2)),
    "ev_dg_g_g": lambda c00, c01, c02, c11, c12, c22:
        _S2PI / sp.sqrt(1 + c00) * _2PI * sp.asin(
            ((1 + c00) * c12 - c01 * c02)
            / sp.sqrt(((1 + c00) * (1 + c11) - c01**2) * ((1 + c00) * (1 + c22) - c02**2))),
    "ev_dg_dg_g": lambda c00, c01, c02, c11, c12, c22: sp.S.Zero,
    "erf_I4": lambda c00, c01, c02, c03, c11, c12, c13, c22, c23, c33:
        _2PI**2 / sp.sqrt(_lam4(c00, c01, c11)) * sp.asin(
            _lam0(c00, c01, c02, c03, c11, c12, c13, c23)
            / sp.sqrt(_lam1(c00, c01, c11, c02, c12, c22) * _lam1(c00, c01, c11, c03, c13, c33))),
    "ev_dg_dg_z_z": lambda c00, c01, c02, c03, c11, c12, c13, c22, c23, c33:
        _2PI * _lam0(c00, c01, c02, c03, c11, c12, c13, c23) / _lam4(c00, c01, c11)**sp.Rational(3, 2),
    "ev_dg_dg_g_z": lambda c00, c01, c02, c03, c11, c12, c13, c22, c23, c33:
        _2PI * _S2PI * _lam0(c00, c01, c02, c03, c11, c12, c13, c23)
        / (_lam4(c00, c01, c11) * sp.sqrt(_lam1(c00, c01, c11, c02, c12, c22))),
    "ev_relu": lambda c00: _pos(c00, sp.sqrt(c00) * _I2PI),
    "ev_step": lambda c00: _pos(c00, sp.Rational(1, 2)),
    "ev_relu_z": lambda c00, c01, c11: _pos(c00, c01 / 2),
    "ev_step_z": _step_z,
    "ev_relu_step": _relu_step,
    "relu_I2": _relu_I2,
    "relu_J2": _orthant,
    "ev_step_z_z": lambda c00, c01, c02, c11, c12, c22: _pos(c00, c12 / 2),
    "ev_relu_z_z": lambda c00, c01, c02, c11, c12, c22:
        c01 * _step_z(c00, c02, c22) + c12 * _pos(c00, sp.sqrt(c00) * _I2PI),
    "ev_step_step_z": lambda c00, c01, c02, c11, c12, c22:
        _pos2(c00, c11, _I2PI / 2 * (c02 / sp.sqrt(c00) + c12 / sp.sqrt(c11))),
    "ev_relu_relu_z": lambda c00, c01, c02, c11, c12, c22:
        c02 * _relu_step(c11, c01, c00) + c12 * _relu_step(c00, c01, c11),
    "relu_I3": lambda c00, c01, c02, c11, c12, c22:
        _pos2(c00, c22, c01 * sp.sqrt(c00 * c22 - c02**2) / (2 * sp.pi * c00))
        + c12 * _orthant(c00, c02, c22),
    "ev_step_g": lambda c00, c01, c11: _pos(c00, sp.asin(c01 / sp.sqrt(c00 * (1 + c11))) / sp.pi),
    "ev_step_g_z": lambda c00, c01, c02, c11, c12, c22: _pos(c00, c12 / 2 * _S2PI / sp.sqrt(1 + c11)),
}


def arguments(n: int) -> list[sp.Symbol]:
    """The covariance-entry symbols of a p-variable atom with n = p(p+1)/2 entries.

    Variances (diagonal entries) are declared positive, so that SymPy reduces
    ``c01/sqrt(c00 c11)`` to 1 on the diagonal ``c01 = c00 = c11``.
    """
    p = {1: 1, 3: 2, 6: 3, 10: 4}[n]
    return [sp.Symbol(f"c{i}{j}", positive=True) if i == j else sp.Symbol(f"c{i}{j}", real=True)
            for i in range(p) for j in range(i, p)]


def partials(name: str, n: int, pattern: tuple[int, ...] | None = None
             ) -> tuple[list[sp.Symbol], list[sp.Expr]] | None:
    """(variables, ∂atom/∂variable for each) or None if no form is known.

    ``pattern`` identifies arguments (see ``derive_adjoint.AtomCall``): slot a
    is variable ``pattern[a]``, named after the first slot that carries it.
    """
    form = FORMS.get(name)
    if form is None:
        return None
    args = arguments(n)
    pattern = pattern or tuple(range(n))
    first = {}
    for a, p in zip(args, pattern):
        first.setdefault(p, a)
    variables = [first[p] for p in sorted(first)]
    expr = form(*[first[p] for p in pattern])
    return variables, [sp.diff(expr, v) for v in variables]

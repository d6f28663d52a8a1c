"""Gaussian expectations with means (``gaussian_moments``) and the Gauss–Hermite
atoms over arguments (``codegen_quadrature``), against independent numerics:
``scipy.integrate`` on the density, exact moment formulas, and a tensor
Gauss–Hermite rule over every variable (no conditioning, no tilting).
"""
from __future__ import annotations

import itertools

import numpy as np
import pytest
import sympy as sp
from scipy import integrate
from scipy.special import erf

from statc.compiler.gaussian import gaussian_moments as gm
from statc.compiler.codegen.quadrature import load_standalone
from statc.compiler.ir.equation_ir import ArgQuadrature

KINDS = {
    "g": lambda u: erf(u / np.sqrt(2)),
    "dg": lambda u: np.sqrt(2 / np.pi) * np.exp(-u ** 2 / 2),
    "relu": lambda u: np.maximum(u, 0.0),
    "step": lambda u: (u > 0).astype(float),
    "z": lambda u: u,
}


def random_gaussian(rng, p):
    A = rng.standard_normal((p, p + 1)) * 0.8
    return A @ A.T / (p + 1), rng.uniform(-0.8, 0.8, p)


def numeric(expr, C, m):
    """Evaluate a gaussian_moments result built on symbols c{i}_{j}, m{i}."""
    p = len(m)
    sub = {sp.Symbol(f"c{i}_{j}"): C[i, j] for i in range(p) for j in range(p)}
    sub.update({sp.Symbol(f"m{i}"): m[i] for i in range(p)})
    return float(sp.N(expr.xreplace(sub)))


def symbolic(p):
    C = sp.Matrix(p, p, lambda i, j: sp.Symbol(f"c{min(i, j)}_{max(i, j)}"))
    return C, [sp.Symbol(f"m{i}") for i in range(p)]


def density_1d(f, mean, var):
    s = np.sqrt(var)
    return integrate.quad(lambda x: f(mean + s * x) * np.exp(-x * x / 2) / np.sqrt(2 * np.pi),
                          -12, 12, points=[-mean / s], limit=200)[0]


def tensor_gh(F, C, m, n=40):
    """E[F(u)], u ~ N(m, C), by an n-point tensor rule over all p variables."""
    x, w = np.polynomial.hermite_e.hermegauss(n)
    w = w / np.sqrt(2 * np.pi)
    L = np.linalg.cholesky(C)
    p = len(m)
    grids = np.meshgrid(*[x] * p, indexing="ij")
    xi = np.stack([g.ravel() for g in grids])
    W = np.prod(np.meshgrid(*[w] * p, indexing="ij"), axis=0).ravel()
    u = m[:, None] + L @ xi
    return float(np.sum(W * F(u)))


@pytest.mark.parametrize("kind", ["g", "dg", "step", "relu", "z"])
def test_single_shifted_factor_matches_integration(kind):
    mean, var = 0.7, 0.45
    got = float(sp.N(gm.single(kind, sp.Float(var), sp.Float(mean))))
    assert got == pytest.approx(density_1d(KINDS[kind], mean, var), abs=1e-10)


def test_wick_with_means_is_the_moment_formula():
    rng = np.random.default_rng(1)
    C, m = random_gaussian(rng, 4)
    Cs, ms = symbolic(4)
    got = numeric(gm.wick_with_means(Cs, ms), C, m)
    # E[u0 u1 u2 u3] written out: all means, one pair + two means, two pairs
    exact = np.prod(m)
    for i, j in itertools.combinations(range(4), 2):
        rest = [k for k in range(4) if k not in (i, j)]
        exact += C[i, j] * m[rest[0]] * m[rest[1]]
    exact += C[0, 1] * C[2, 3] + C[0, 2] * C[1, 3] + C[0, 3] * C[1, 2]
    assert got == pytest.approx(exact, rel=1e-12)


@pytest.mark.parametrize("rest_kind", ["g", "z", "relu"])
def test_tilting_by_shifted_dg_factors(rest_kind):
    """E[g'(u0) g'(u1) f(u2)] = weight · E'[f(u2)] with the tilted mean and variance."""
    rng = np.random.default_rng(2)
    C, m = random_gaussian(rng, 3)
    Cs, ms = symbolic(3)
    weight, Cp, mp = gm.tilt(Cs, ms, [0, 1])
    got = numeric(weight * gm.single(rest_kind, Cp[0, 0], mp[0]), C, m)
    ref = tensor_gh(lambda u: KINDS["dg"](u[0]) * KINDS["dg"](u[1]) * KINDS[rest_kind](u[2]), C, m, n=60)
    assert got == pytest.approx(ref, abs=2e-5 if rest_kind == "relu" else 1e-10)


def test_tilting_the_same_argument():
    """g'(u) g(u): the tilted variable is the argument itself (a singular pair)."""
    mean, var = -0.4, 0.8
    Cs, ms = symbolic(2)
    weight, Cp, mp = gm.tilt(Cs, ms, [0])
    C = np.array([[var, var], [var, var]])
    got = numeric(weight * gm.single("g", Cp[0, 0], mp[0]), C, np.array([mean, mean]))
    ref = density_1d(lambda u: KINDS["dg"](u) * KINDS["g"](u), mean, var)
    assert got == pytest.approx(ref, abs=1e-12)


def call(fn, C, m):
    p = len(m)
    return fn(*[C[i, j] for i in range(p) for j in range(i, p)], *m)


CASES = [
    # funcs, linear, tensor-rule tolerance
    ((("g",), ("g",)), 0, 1e-9),
    ((("g",), ("g",)), 2, 1e-9),
    ((("g", "g"),), 1, 1e-9),
    ((("g",), ("g",), ("g",)), 1, 1e-7),
    ((("g",), ("step",)), 0, None),
    ((("g",), ("relu",)), 0, None),
]
# (A kink in a summed dimension — relu or step not last — converges slowly under
# Gauss–Hermite: 96 points leave ~1e-3 for E[relu] and ~2e-2 for E[Θ].  The atom puts
# a kink last, where it is integrated in closed form.)


@pytest.mark.parametrize("funcs, linear, tol", CASES,
                         ids=["g_g", "g_g_l2", "g2_l1", "g_g_g_l1", "g_step", "g_relu"])
def test_arg_quadrature_matches_independent_integration(tmp_path, funcs, linear, tol):
    name = "gq_" + "_".join("x".join(f) for f in funcs) + f"_l{linear}"
    q = ArgQuadrature(name, funcs, linear)
    fn = getattr(load_standalone([q], tmp_path), name)
    rng = np.random.default_rng(3)
    p = len(funcs) + linear
    C, m = random_gaussian(rng, p)

    def F(u):
        out = np.ones(u.shape[1])
        for i, kinds in enumerate(funcs):
            for k in kinds:
                out *= KINDS[k](u[i])
        for j in range(linear):
            out *= u[len(funcs) + j]
        return out

    got = call(fn, C, m)
    if tol is not None:
        assert got == pytest.approx(tensor_gh(F, C, m, n={2: 80, 3: 60, 4: 40}[p]), abs=tol)
        return
    # kinks: 2-D adaptive integration of the density (scipy) as the reference
    Ci = np.linalg.inv(C)
    norm = 1 / (2 * np.pi * np.sqrt(np.linalg.det(C)))

    def dens(u1, u0):
        d = np.array([u0, u1]) - m
        return F(np.array([[u0], [u1]]))[0] * norm * np.exp(-0.5 * d @ Ci @ d)

    # the kink of the last argument at u1 = 0 is a limit of the inner integral
    ref = integrate.dblquad(dens, -9 + m[0], 9 + m[0], lambda _: 0.0, lambda _: 9 + m[1],
                            epsabs=1e-11, epsrel=1e-10)[0]
    assert got == pytest.approx(ref, abs=2e-6)


def test_arg_quadrature_with_coinciding_arguments(tmp_path):
    """Two arguments that are the same variable at run time (a summed index meeting
    a free one): the semi-definite Cholesky gives E[g(u)² v]."""
    q = ArgQuadrature("gq_same", (("g",), ("g",)), 1)
    fn = load_standalone([q], tmp_path).gq_same
    var, cv, vv = 0.7, 0.3, 0.9
    C = np.array([[var, var, cv], [var, var, cv], [cv, cv, vv]])
    m = np.array([0.5, 0.5, -0.2])
    C2 = np.array([[var, cv], [cv, vv]])
    ref = tensor_gh(lambda u: KINDS["g"](u[0]) ** 2 * u[1], C2, m[[0, 2]], n=60)
    assert call(fn, C, m) == pytest.approx(ref, abs=1e-10)

"""Exact partials of the Gauss–Hermite atoms (``codegen/quadrature_partials.py``).

Checked against things the kernels do not share: the SymPy partials of the
closed-form atoms (``atom_derivatives.py``) where the quadrature computes the
same expectation, SymPy closed forms with means (E[g(u)], Stein's lemma for
E[g(u) v]), and Richardson-extrapolated central differences of an independent
NumPy tensor Gauss–Hermite rule (symmetric square root of C, many points, no
closed-form last variable).

Tolerances: the forward kernels use 96 / 48 / 32 points for 1 / 2 / 3 loops;
for these entire integrands (erf, Gaussians, logistic) at variances ≤ 2 their
error is at the rounding level (measured ≤ 3e-14 on the partials against the
closed forms).  The NumPy reference's Richardson difference
(4 D(h) − D(2h))/3, h = 1e-3, has truncation ~h⁴ f⁽⁵⁾ ≈ 1e-12 and rounding
~1e-16/h ≈ 1e-13.  1e-10 leaves two orders of margin over both; the central
differences these kernels replace were off by ~1e-5.
"""
from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from statc.compiler.codegen.quadrature_partials import load_standalone_partials
from statc.compiler.gaussian import atom_derivatives
from statc.compiler.ir.equation_ir import ArgQuadrature, Quadrature

TOL = 1e-10

GG = ArgQuadrature("gq2_g_g", (("g",), ("g",)))          # last argument in closed form
GL = ArgQuadrature("gq1_g_l1", (("g",),), 1)              # one linear factor (Wick)
GXG = ArgQuadrature("gq1_gxg", (("g", "g"),))             # two factors of one argument
G1 = ArgQuadrature("gq1_g", (("g",),))                    # no loop at all
DLL = ArgQuadrature("gq1_dg_l2", (("dg",),), 2)           # dg and two linear factors
DGG = ArgQuadrature("gq3_dg_g_g", (("dg",), ("g",), ("g",)))
MIX = ArgQuadrature("gq2_dg_zg_l1", (("dg",), ("z", "g")), 1)
_z0, _z1 = sp.symbols("z0 z1", real=True)
LEAF_ERF = Quadrature("quad2_erf_erf", 2, sp.erf(_z0 / sp.sqrt(2)) * sp.erf(_z1 / sp.sqrt(2)))
LEAF_SIG = Quadrature("quad2_sig", 2, _z0 * sp.exp(-_z0) / ((1 + sp.exp(-_z0)) ** 2 * (1 + sp.exp(-_z1))))
_e0 = sp.Symbol("e0", real=True)
# (an entire integrand: with tanh, whose poles sit at ±iπ/2, the 48-point rule is off by
# 4e-10 in the value and 2e-8 in the partials — the second derivatives lose ~1.5 digits)
LEAF_EXTRA = Quadrature("quad2_extra", 2, sp.exp(-(_z0 + _e0) ** 2 / 2) * sp.erf(_z1 - _e0), extras=1)
ATOMS = [GG, GL, GXG, G1, DLL, DGG, MIX, LEAF_ERF, LEAF_SIG, LEAF_EXTRA]


@pytest.fixture(scope="module")
def mod(tmp_path_factory):
    d = tmp_path_factory.mktemp("gq_partials")
    return load_standalone_partials(ATOMS, d)


@pytest.fixture(scope="module")
def mod_diag(tmp_path_factory):
    """gq2_g_g with its two arguments identified (slot pattern of ``f(c, c, c, m, m)``)."""
    d = tmp_path_factory.mktemp("gq_partials_diag")
    q = ArgQuadrature("gq2_g_g_d", (("g",), ("g",)))
    return load_standalone_partials([q], d, {q.name: (0, 0, 0, 1, 1)})


def _cov(p, rng, scale=1.0):
    A = rng.normal(size=(p, p))
    return scale * (A @ A.T / p + 0.2 * np.eye(p))


def _upper(C):
    p = len(C)
    return [C[i, j] for i in range(p) for j in range(i, p)]


def _closed(name, n, args):
    syms, ders = atom_derivatives.partials(name, n)
    return np.array([float(d.subs(dict(zip(syms, args)))) for d in ders])


KINDS = {"g": lambda u: __import__("scipy.special").special.erf(u / np.sqrt(2)),
         "dg": lambda u: np.sqrt(2 / np.pi) * np.exp(-u * u / 2),
         "z": lambda u: u}


def _reference(q, args, npts):
    """E[h(w)], w ~ N(m, C), by a NumPy tensor Gauss–Hermite rule on the symmetric root of C."""
    if isinstance(q, ArgQuadrature):
        p = q.dim + q.linear
    else:
        p = q.dim
    nc = p * (p + 1) // 2
    C = np.zeros((p, p))
    C[np.triu_indices(p)] = args[:nc]
    C = C + C.T - np.diag(np.diag(C))
    m = np.array(args[nc:nc + p]) if isinstance(q, ArgQuadrature) else np.zeros(p)
    extras = [] if isinstance(q, ArgQuadrature) else list(args[nc:])
    ev, V = np.linalg.eigh(C)
    S = V @ np.diag(np.sqrt(np.clip(ev, 0, None))) @ V.T
    x, wt = np.polynomial.hermite_e.hermegauss(npts)
    wt = wt / np.sqrt(2 * np.pi)
    X = np.stack(np.meshgrid(*[x] * p, indexing="ij"), -1).reshape(-1, p)
    W = np.prod(np.stack(np.meshgrid(*[wt] * p, indexing="ij"), -1).reshape(-1, p), axis=1)
    U = m + X @ S.T
    if isinstance(q, ArgQuadrature):
        h = np.ones(len(U))
        for i, ks in enumerate(q.funcs):
            for k in ks:
                h = h * KINDS[k](U[:, i])
        for j in range(q.dim, p):
            h = h * U[:, j]
    else:
        f = sp.lambdify([sp.Symbol(f"z{i}", real=True) for i in range(p)]
                        + [sp.Symbol(f"e{k}", real=True) for k in range(q.extras)], q.integrand,
                        modules=["numpy", "scipy"])
        h = f(*U.T, *extras)
    return float(W @ h)


def _richardson(q, args, npts, h=1e-3):
    def d(hh):
        out = []
        for k in range(len(args)):
            a = list(args)
            a[k] += hh
            up = _reference(q, a, npts)
            a[k] -= 2 * hh
            out.append((up - _reference(q, a, npts)) / (2 * hh))
        return np.array(out)
    return (4 * d(h) - d(2 * h)) / 3


@pytest.mark.parametrize("scale", [0.3, 1.0, 2.0])
def test_zero_mean_partials_are_the_closed_form_atoms_partials(mod, scale):
    """At m = 0 the quadratures are closed-form atoms; their covariance partials
    must be the SymPy partials of those forms, and the mean partials of the even
    integrands vanish."""
    rng = np.random.default_rng(1)
    cases = [(GG, "erf_I2", 2), (GL, "ev_g_z", 2), (DLL, "ev_dg_z_z", 3), (DGG, "ev_dg_g_g", 3)]
    for q, name, p in cases:
        C = _upper(_cov(p, rng, scale))
        got = np.array(getattr(mod, f"grad_{q.name}")(*C, *[0.0] * p))
        nc = len(C)
        assert got[:nc] == pytest.approx(_closed(name, nc, C), abs=TOL, rel=TOL), q.name
    # one argument twice: E[g(u)^2] = erf_I2(c, c, c), dF/dc = the sum of its three partials
    c = 0.7 * scale
    got = mod.grad_gq1_gxg(c, 0.0)
    assert got[0] == pytest.approx(_closed("erf_I2", 3, [c, c, c]).sum(), abs=TOL)
    assert got[1] == pytest.approx(0.0, abs=TOL)
    # the leaf form of erf·erf
    C = _upper(_cov(2, rng, scale))
    assert np.array(mod.grad_quad2_erf_erf(*C)) == pytest.approx(_closed("erf_I2", 3, C), abs=TOL)


def test_partials_with_means_against_closed_forms(mod):
    """E[g(u)] = erf(m/√(2(1+c))), and E[g(u) v] = C_uv E[g'(u)] + m_v E[g(u)] (Stein):
    their SymPy partials in every argument, means included."""
    c00, c01, c11, m0, m1 = sp.symbols("c00 c01 c11 m0 m1", real=True)
    Eg = sp.erf(m0 / sp.sqrt(2 * (1 + c00)))
    Egp = sp.sqrt(2 / sp.pi) / sp.sqrt(1 + c00) * sp.exp(-m0 ** 2 / (2 * (1 + c00)))
    for vals in [(0.4, 0.2, 0.9, 0.7, -0.3), (1.8, -0.9, 0.6, -1.2, 0.5)]:
        sub = dict(zip((c00, c01, c11, m0, m1), vals))
        want = [float(sp.diff(Eg, v).subs(sub)) for v in (c00, m0)]
        assert np.array(mod.grad_gq1_g(vals[0], vals[3])) == pytest.approx(want, abs=TOL)
        F = c01 * Egp + m1 * Eg
        want = [float(sp.diff(F, v).subs(sub)) for v in (c00, c01, c11, m0, m1)]
        assert np.array(mod.grad_gq1_g_l1(*vals)) == pytest.approx(want, abs=TOL)


@pytest.mark.parametrize("q, npts", [(GG, 120), (GXG, 200), (MIX, 48), (LEAF_SIG, 120),
                                     (LEAF_EXTRA, 120)])
def test_partials_against_richardson_differences_of_an_independent_rule(mod, q, npts):
    """Non-zero means, no closed form: Richardson differences of the NumPy rule."""
    rng = np.random.default_rng(2)
    p = q.dim + q.linear if isinstance(q, ArgQuadrature) else q.dim
    args = _upper(_cov(p, rng))
    if isinstance(q, ArgQuadrature):
        args += list(rng.normal(size=p) * 0.8)
    else:
        args += [0.3] * q.extras
    got = np.array(getattr(mod, f"grad_{q.name}")(*args))
    assert got == pytest.approx(_richardson(q, args, npts), abs=TOL)


def test_singular_covariance_identical_arguments(mod, mod_diag):
    """u0 = u1 (c00 = c01 = c11, a zero Cholesky pivot): the slot partials are Price's
    expectations there (finite), and identified slots sum to the derivative of the
    one-argument atom E[g(u)^2] (an independent NumPy rule along the diagonal)."""
    c, m = 0.8, 0.4
    slots = np.array(mod.grad_gq2_g_g(c, c, c, m, m))
    assert np.all(np.isfinite(slots))
    diag = np.array(mod_diag.grad_gq2_g_g_d(c, m))
    assert diag == pytest.approx([slots[:3].sum(), slots[3:].sum()], abs=TOL)
    want = _richardson(GXG, [c, m], 200)
    assert diag == pytest.approx(want, abs=TOL)
    assert np.array(mod.grad_gq1_gxg(c, m)) == pytest.approx(want, abs=TOL)
    # at m = 0 the singular point is still the closed-form atom's (asin(c/(1+c)) is smooth)
    slots0 = np.array(mod.grad_gq2_g_g(c, c, c, 0.0, 0.0))
    assert slots0[:3] == pytest.approx(_closed("erf_I2", 3, [c, c, c]), abs=TOL)

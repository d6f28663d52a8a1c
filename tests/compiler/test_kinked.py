"""Exact kinked atoms (compiler/kinked.py, compiler/orthant.py) against references
we did not write: exact orthant identities, the independently derived closed forms
of gaussian_atoms.py, SciPy's Genz integration, and 10⁷-sample Monte Carlo.

Tolerances: the expansion is algebraic and the d = 4 orthant an adaptive
Gauss–Legendre integral converged to 1e-13, so comparisons with exact values
allow 1e-12 (rounding of a few hundred operations on O(1) numbers).  Monte
Carlo comparisons allow 4 standard errors of the sample mean (per-sample SE,
10⁷ samples; seeded, so deterministic).  SciPy's Genz QMC (maxpts 10⁷) is
trusted to its requested abseps of 1e-8.
"""
from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import multivariate_normal

from statc.compiler.gaussian import gaussian_atoms as ga
from statc.compiler.codegen.quadrature import load_standalone
from statc.compiler.ir.equation_ir import KinkAtom
from statc.compiler.gaussian.kinked import atom_name
from statc.compiler.gaussian.orthant import orth2, orth3, orth4

T0, T1, T2, L1 = (True, 0), (True, 1), (True, 2), (False, 1)
#: the signatures the shipped models generate (relu committees: dQ, dR) and the
#: closed-form families they must reproduce
SIGNATURES = [
    (T0, T0), (T0, T1), (T1, T1), (T0, T2), (T1, L1), (T0, L1), (T0, L1, L1), (T1, L1, L1),
    (T0, T0, L1), (T1, T1, L1), (T0, T1, L1),
    (T0, T0, T0), (T0, T0, T1), (T0, T1, T1), (T0, T0, T2), (T0, T0, T0, T0), (T0, T0, T1, T1),
]


@pytest.fixture(scope="module")
def kink(tmp_path_factory):
    atoms = [KinkAtom(atom_name(s), s) for s in SIGNATURES]
    mod = load_standalone(atoms, tmp_path_factory.mktemp("kink_atoms"))
    return lambda sig, C: getattr(mod, atom_name(sig))(*upper(C))


def upper(C):
    p = C.shape[0]
    return [float(C[i, j]) for i in range(p) for j in range(i, p)]


def random_cov(rng, p, dup=(), anti=(), eps=0.0):
    """A random covariance; rows in ``dup`` pairs coincide (up to ``eps``), ``anti`` are opposite."""
    A = rng.standard_normal((p, p + 2)) * rng.uniform(0.5, 1.5, (p, 1))
    for i, j in dup:
        A[j] = A[i] + eps * rng.standard_normal(p + 2)
    for i, j in anti:
        A[j] = -A[i]
    return A @ A.T


def monte_carlo(sig, C, n=10_000_000, seed=0, chunk=1_000_000):
    """Mean and standard error of Π u_i^n_i Θ(u_i)^[kinked] over n samples of N(0, C)."""
    w, V = np.linalg.eigh(C)
    L = V * np.sqrt(np.maximum(w, 0.0))
    rng = np.random.default_rng(seed)
    s1 = s2 = 0.0
    for _ in range(n // chunk):
        z = L @ rng.standard_normal((len(sig), chunk))
        f = np.ones(chunk)
        for i, (kinked, deg) in enumerate(sig):
            f *= z[i] ** deg * ((z[i] > 0) if kinked else 1.0)
        s1 += f.sum()
        s2 += (f * f).sum()
    mean = s1 / n
    return mean, np.sqrt((s2 / n - mean ** 2) / (n - 1))


# ------------------------------------------------------------------ orthants


def test_orthant_identities():
    rng = np.random.default_rng(1)
    for _ in range(20):
        C = random_cov(rng, 4)
        d = np.sqrt(np.diag(C))
        R = C / np.outer(d, d)
        r = list(np.diag(C))
        # block-diagonal: the product of two Sheppard probabilities
        B = C.copy()
        B[:2, 2:] = B[2:, :2] = 0.0
        ref = orth2(*upper(B[:2, :2]), *r[:2]) * orth2(*upper(B[2:, 2:]), *r[2:])
        assert orth4(*upper(B), *r) == pytest.approx(ref, abs=1e-13)
        # u0 and −u0 split the event of the other three: P4(R) + P4(R, row 0 flipped) = P3
        F = C.copy()
        F[0, 1:] *= -1
        F[1:, 0] *= -1
        total = orth4(*upper(C), *r) + orth4(*upper(F), *r)
        assert total == pytest.approx(orth3(*upper(C[1:, 1:]), *r[1:]), abs=1e-13)
        # a duplicated field: P4 = P3
        D = random_cov(rng, 4, dup=[(1, 3)])
        assert orth4(*upper(D), *np.diag(D)) == pytest.approx(
            orth3(*upper(D[:3, :3]), *np.diag(D)[:3]), abs=1e-13)
        assert R[0, 1] == pytest.approx(C[0, 1] / (d[0] * d[1]))
    # equicorrelation 1/2: P = 1/(d + 1) exactly
    E = np.full((4, 4), 0.5) + 0.5 * np.eye(4)
    assert orth4(*upper(E), 1, 1, 1, 1) == pytest.approx(0.2, abs=1e-14)
    # opposite fields: the orthant is empty
    A = random_cov(rng, 4, anti=[(0, 2)])
    assert abs(orth4(*upper(A), *np.diag(A))) < 1e-14


def test_orthant_against_genz():
    rng = np.random.default_rng(2)
    for _ in range(3):
        C = random_cov(rng, 4)
        ref = multivariate_normal(np.zeros(4), C, abseps=1e-8, releps=0, maxpts=10_000_000).cdf(np.zeros(4))
        assert orth4(*upper(C), *np.diag(C)) == pytest.approx(ref, abs=2e-8)


# --------------------------------------------------- families with closed forms

CLOSED = [
    # kink signature, registered atom, permutation of the atom's slots into the kink order
    ((T0, T0), "relu_J2", (0, 1)),
    ((T0, T1), "ev_relu_step", (1, 0)),
    ((T1, T1), "relu_I2", (0, 1)),
    ((T1, L1), "ev_relu_z", (0, 1)),
    ((T0, L1), "ev_step_z", (0, 1)),
    ((T0, L1, L1), "ev_step_z_z", (0, 1, 2)),
    ((T1, L1, L1), "ev_relu_z_z", (0, 1, 2)),
    ((T0, T0, L1), "ev_step_step_z", (0, 1, 2)),
    ((T1, T1, L1), "ev_relu_relu_z", (0, 1, 2)),
    ((T0, T1, L1), "relu_I3", (0, 2, 1)),        # relu_I3 is E[Θ(u) v relu(w)]
]


@pytest.mark.parametrize("sig,name,perm", CLOSED, ids=[c[1] for c in CLOSED])
def test_matches_closed_forms(kink, sig, name, perm):
    rng = np.random.default_rng(3)
    atom = getattr(ga, name)
    for dup in [(), ((0, 1),)]:
        for _ in range(10):
            C = random_cov(rng, len(sig), dup=dup)
            P = C[np.ix_(perm, perm)]                   # the registered atom's slot order
            assert kink(sig, C) == pytest.approx(atom(*upper(P)), rel=1e-12, abs=1e-13)


def test_second_moments_exact(kink):
    """E[Θ(v) u² Θ(u)] (v = slot 0, u = slot 1) by hand, and E[u² Θ(u)] = C_uu/2.

    Stein once on u: C_uu E[Θ(u)Θ(v)] + C_uv E[u Θ(u) | v = 0] p_v(0)
    = C11 (1/4 + asin ρ/(2π)) + C01 sqrt(C00 C11 − C01²)/(2π C00).
    """
    rng = np.random.default_rng(4)
    C = random_cov(rng, 2)
    rho = C[0, 1] / np.sqrt(C[0, 0] * C[1, 1])
    ref = C[1, 1] * (0.25 + np.arcsin(rho) / (2 * np.pi)) \
        + C[0, 1] * np.sqrt(C[0, 0] * C[1, 1] - C[0, 1] ** 2) / (2 * np.pi * C[0, 0])
    assert kink((T0, T2), C) == pytest.approx(ref, rel=1e-12)
    D = random_cov(rng, 2, dup=[(0, 1)])
    assert kink((T0, T2), D) == pytest.approx(D[1, 1] / 2, rel=1e-12)


# -------------------------------------------- the committee's 3- and 4-field families

MC_FAMILIES = [(T0, T0, T1), (T0, T1, T1), (T0, T0, T2), (T0, T0, T1, T1), (T0, T0, T0, T0)]
MC_CASES = ["random", "near1e-4", "near1e-8", "equal", "equal3", "equal2x2"]


@pytest.mark.parametrize("sig", MC_FAMILIES, ids=[atom_name(s) for s in MC_FAMILIES])
@pytest.mark.parametrize("case", MC_CASES)
def test_against_monte_carlo(kink, sig, case):
    rng = np.random.default_rng(10 * MC_FAMILIES.index(sig) + MC_CASES.index(case))
    p = len(sig)
    dup = {"random": (), "near1e-4": ((0, p - 1),), "near1e-8": ((1, p - 1),), "equal": ((0, p - 1),),
           "equal3": ((0, 1), (0, p - 1)), "equal2x2": ((0, 1), (p - 2, p - 1))}[case]
    eps = {"near1e-4": 1e-4, "near1e-8": 1e-8}.get(case, 0.0)
    C = random_cov(rng, p, dup=dup, eps=eps)
    got = kink(sig, C)
    mean, se = monte_carlo(sig, C, seed=5)
    assert abs(got - mean) <= 4 * se, (got, mean, se)


def test_zero_variance(kink):
    """Θ(0) = 0: a kinked field that is identically 0 makes the atom 0; a linear one only its terms."""
    rng = np.random.default_rng(6)
    C = random_cov(rng, 4)
    C[2, :] = C[:, 2] = 0.0
    assert kink((T0, T0, T1, T1), C) == 0.0
    C3 = random_cov(rng, 3)
    C3[2, :] = C3[:, 2] = 0.0
    assert kink((T0, T0, L1), C3) == 0.0             # E[Θ Θ · 0]
    assert kink((T1, L1, L1), C3) == 0.0


def test_tiny_scale_is_not_zero(kink):
    """A field of variance 1e-12 (students started at scale 1e-6) is still a field."""
    rng = np.random.default_rng(7)
    C = random_cov(rng, 3)
    s = np.diag([1e-6, 1.0, 1.0])
    got = kink((T0, T0, T1), s @ C @ s)
    ref = kink((T0, T0, T1), C)                      # Θ(εu) = Θ(u); the relu is unscaled
    assert got == pytest.approx(ref, rel=1e-10)

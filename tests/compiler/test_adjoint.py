"""Exact gradients: atom partials and the discrete adjoint against finite differences.

Central differences with step h have truncation error O(h² f''') and rounding
error O(ε f / h); with h = 1e-6 both are below 1e-8 relative here, so the
1e-6 relative tolerance (the issue's) leaves two orders of margin.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from statc.compiler.gaussian import atom_derivatives, gaussian_atoms
from statc.runtime.control.problem import build_problem


def _random_cov(p: int, rng) -> list[float]:
    A = rng.normal(size=(p, p + 2))
    C = A @ A.T / (p + 2)
    return [C[i, j] for i in range(p) for j in range(i, p)]


@pytest.mark.parametrize("sig", list(gaussian_atoms.ATOMS), ids=lambda s: "-".join(s))
def test_atom_forms_and_partials(sig):
    """The SymPy form equals the Numba atom, and its partials equal differences of the atom."""
    fn = gaussian_atoms.ATOMS[sig]
    name = fn.py_func.__name__
    rng = np.random.default_rng(abs(hash(sig)) % 2**32)
    args = atom_derivatives.arguments(len(sig) * (len(sig) + 1) // 2)
    form = sp.lambdify(args, atom_derivatives.FORMS[name](*args), "math")
    variables, ders = atom_derivatives.partials(name, len(args))
    grads = [sp.lambdify(args, d, "math") for d in ders]
    for _ in range(5):
        c = _random_cov(len(sig), rng)
        assert form(*c) == pytest.approx(fn(*c), abs=1e-13)
        for a, g in enumerate(grads):
            h = 1e-6
            up, dn = list(c), list(c)
            up[a] += h
            dn[a] -= h
            fd = (fn(*up) - fn(*dn)) / (2 * h)
            assert g(*c) == pytest.approx(fd, rel=1e-6, abs=1e-8), (name, a)


def test_atom_partials_on_the_diagonal():
    """E[Θ(u)Θ(u)] = 1/2 for every variance: its derivative along (c, c, c) is 0, not NaN."""
    (v,), (d,) = atom_derivatives.partials("relu_J2", 3, (0, 0, 0))
    assert sp.simplify(d) == 0


def _check_gradient(problem, z, rel=1e-6):
    J, g = problem.value_and_grad(z)
    fd = np.empty_like(g)
    for i in range(z.size):
        h = 1e-6 * max(1.0, abs(z[i]))
        up, dn = z.copy(), z.copy()
        up[i] += h
        dn[i] -= h
        fd[i] = (problem.objective(up) - problem.objective(dn)) / (2 * h)
    assert np.linalg.norm(g - fd) <= rel * np.linalg.norm(fd), (g, fd)
    assert problem.objective(z) == pytest.approx(J, rel=1e-14)


def test_adjoint_dropout_keep_schedule_and_final_readout(load):
    """Bernoulli masks (∂p^d/∂p), erf atoms I2/I3/I4/J2 and a final-time control."""
    p = build_problem(load("dropout").compiled, intervals=6, dt=0.2)
    rng = np.random.default_rng(1)
    z = np.clip(p.constant({"keep": 0.7}) + 0.1 * rng.normal(size=p.size), 0.05, 1.0)
    p.w_int[0] = 0.5                       # also the time-integral part of the objective
    _check_gradient(p, z)


def test_adjoint_curriculum_mixture_of_difficulties(load):
    """Step/erf atoms, `given` means, and gradients with respect to mixture weights."""
    p = build_problem(load("curriculum").compiled, intervals=8, dt=0.25)
    rng = np.random.default_rng(2)
    _check_gradient(p, rng.random(p.size))


def test_adjoint_linear_regression_learning_rate(load):
    """Wick terms only; the state starts at zero (w ~ zeros)."""
    p = build_problem(load("lr_schedule").compiled, intervals=10, dt=0.5)
    rng = np.random.default_rng(3)
    _check_gradient(p, 0.2 + 0.3 * rng.random(p.size))


FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "good"


def _generic_state(meta, values, rng, N=40):
    """Overlaps of random vectors (well-conditioned, unlike the symmetric plateau or y0 ≈ 0)."""
    vecs, parts = {}, []
    for b in meta["blocks"]:
        shape = tuple(int(values[s]) if isinstance(s, str) else s for s in b["sizes"])
        if b["kind"] == "overlap":
            u, w = (vecs.setdefault(f, rng.normal(size=(shape[i] if i < len(shape) else 1, N)))
                    for i, f in enumerate(b["families"]))
            parts.append((u @ w.T / N).reshape(-1))
        else:
            parts.append(rng.uniform(0.5, 1.5, size=int(np.prod(shape))))
    return np.concatenate(parts)


@pytest.mark.parametrize("name", [
    "saad_solla",
    # Gauss–Hermite (leaf) atoms of the logistic committee: exact partials by Price's
    # theorem, also where a summed index meets a free one (j = k) and the atom's
    # covariance is singular (central differences, used until 2026-12, left the PSD
    # cone there: error 7e-5)
    FIXTURES / "mc_committee_sigmoid.model"])
def test_rhs_vjp_is_the_transpose_of_the_jacobian(load, name):
    """⟨λ, J v⟩ = ⟨J^T λ, v⟩ with J v from differences of `rhs` (K = M = 2)."""
    rel = 1e-6
    m = load(name).compiled
    assert m.module.FD_ATOMS == []
    from statc.runtime import params as pm
    values = pm.resolve(m.model, m.meta, {})
    P = pm.vector(m.meta, values)
    rng = np.random.default_rng(4)
    y = _generic_state(m.meta, values, rng)
    lam, v = rng.normal(size=y.size), rng.normal(size=y.size)
    gy, gP = np.zeros(y.size), np.zeros(P.size)
    m.module.rhs_vjp(0.0, y, P, lam, gy, gP)
    up, dn = np.empty(y.size), np.empty(y.size)
    h = 1e-6
    m.module.rhs(0.0, y + h * v, P, up)
    m.module.rhs(0.0, y - h * v, P, dn)
    assert lam @ (up - dn) / (2 * h) == pytest.approx(gy @ v, rel=rel)


def test_zero_coefficient_terms_are_skipped_but_keep_their_parameter_partials(load):
    """At η_v = 0 the readout's terms are skipped (``if p_eta_v != 0.0``), yet ∂/∂η_v of
    ⟨λ, rhs⟩ — non-zero there — is the central difference of `rhs` in η_v."""
    m = load("saad_solla").compiled
    assert "if p_eta_v != 0.0" in Path(m.module.__file__).read_text()
    from statc.runtime import params as pm
    values = pm.resolve(m.model, m.meta, {"eta_v": 0.0, "sigma": 0.0})
    P = pm.vector(m.meta, values)
    rng = np.random.default_rng(5)
    y = _generic_state(m.meta, values, rng)
    lam = rng.normal(size=y.size)
    dy = np.full(y.size, np.nan)
    m.module.rhs(0.0, y, P, dy)
    v_block = slice(y.size - int(values["K"]), y.size)          # v is the last block
    assert [b["name"] for b in m.meta["blocks"]][-1] == "v"
    assert np.all(dy[v_block] == 0.0) and np.all(np.isfinite(dy))
    gy, gP = np.zeros(y.size), np.zeros(P.size)
    m.module.rhs_vjp(0.0, y, P, lam, gy, gP)
    k = list(m.module.PARAMS).index("eta_v")
    h = 1e-6
    up, dn = np.empty(y.size), np.empty(y.size)
    m.module.rhs(0.0, y, P + h * np.eye(P.size)[k], up)
    m.module.rhs(0.0, y, P - h * np.eye(P.size)[k], dn)
    fd = lam @ (up - dn) / (2 * h)
    assert abs(fd) > 1e-3
    assert gP[k] == pytest.approx(fd, rel=1e-6)

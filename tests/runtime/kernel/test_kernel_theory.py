"""The kernel kind's action and solver against results statc does not derive:

* exact gradient = central finite differences of the action (several L and H_ℓ);
* GP limit (α → 0): U = Π σ² I and the predictor = GP regression with the summed diagonal
  path kernels, built here from the network's definition (softmax written out per
  column, path products multiplied per path) — not from statc's path features;
* deep linear network (H = 1, identity mixing, L = 1, 2; equal and unequal widths): the
  renormalisation is a scalar u solving u = σ̄² Π_k (1 − u E′(u)/N_k) (derived below from the
  action; solved here by bisection);
* random restarts reach the same minimum; the Hessian there is positive definite.
"""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.optimize import brentq

from statc.runtime.kernel.action import Action
from statc.runtime.kernel.levels import Architecture
from statc.runtime.kernel.mixing import Head
from statc.runtime.kernel.paths import kernel_factor, path_features
from statc.runtime.kernel.predict import predict
from statc.runtime.kernel.solve import local_minimum, random_start, solve


def _random_problem(heads, P=24, N0=5, N=12.0, T=0.2, seed=0, variances=None):
    rng = np.random.default_rng(seed)
    M = int(np.prod(heads))
    F = rng.standard_normal((P, M, N0)) / np.sqrt(N0 * M)
    y = np.sign(rng.standard_normal(P))
    L = len(heads)
    variances = variances or tuple(0.7 + 0.2 * k for k in range(L + 1))
    widths = tuple(N * (1 + 0.1 * k) for k in range(L + 1))      # unequal widths on purpose
    return Action(Architecture(tuple(heads), widths, variances), F, y, T), rng


@pytest.mark.parametrize("heads", [(2,), (3,), (2, 2), (2, 3), (2, 1, 2)])
def test_exact_gradient_equals_finite_differences(heads):
    A, rng = _random_problem(heads)
    theta = A.chol.pack(A.arch.gp_point()[:-1]) + 0.2 * rng.standard_normal(A.chol.n)
    _, g = A(theta)
    h = 1e-6
    fd = np.array([(A.value(theta + h * e) - A.value(theta - h * e)) / (2 * h) for e in np.eye(theta.size)])
    assert np.max(np.abs(g)) > 1e-2                       # away from the minimum: a real test
    np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-8)


# ------------------------------------------------------------------ GP limit
def _softmax_columns(x, W, beta):
    """Ω_st = exp(β x_s·W x_t) / Σ_s' exp(β x_s'·W x_t), one query column at a time."""
    T = x.shape[1]
    om = np.zeros((T, T))
    for t in range(T):
        scores = np.array([beta * x[:, s] @ W @ x[:, t] for s in range(T)])
        e = np.exp(scores - scores.max())
        om[:, t] = e / e.sum()
    return om


def test_gp_limit_is_gp_regression_with_the_diagonal_path_kernels():
    rng = np.random.default_rng(3)
    P, Pt, N0, Tp = 20, 7, 6, 4
    x, xt = rng.standard_normal((P, N0, Tp)), rng.standard_normal((Pt, N0, Tp))
    y = np.sign(rng.standard_normal(P))
    W = {"a": rng.standard_normal((N0, N0)) / N0, "b": rng.standard_normal((N0, N0)) / N0}
    layers = [[Head("h1", "attention", "a", (("beta", 2.0),)), Head("h2", "uniform")],
              [Head("g1", "attention", "b", (("beta", 1.5),)), Head("g2", "previous_token")]]
    s0, s1, s2, sa, T = 1.3, 0.8, 1.1, 0.9, 0.05
    # the theory at a huge width: alpha = P / N ~ 2e-9
    arch = Architecture((2, 2), (1e10, 1e10, 1e10), (s1, s2, sa), s0)
    F = kernel_factor(path_features(x, layers, W), s0)
    sol = solve(Action(arch, F, y, T), restarts=0, check_hessian=False)
    np.testing.assert_allclose(sol.U, s1 * s2 * sa * np.eye(4), rtol=1e-6, atol=1e-8)

    # independent GP regression: x_pi = x Om1[h1] Om2[h2] e_last, K = sa s2 s1 s0/(N0 4) sum_pi x_pi.x_pi
    prev = np.eye(Tp, k=1)
    prev[0, 0] = 1.0

    def mixings(seq):
        om1 = [_softmax_columns(seq, W["a"], 2.0), np.full((Tp, Tp), 1 / Tp)]
        om2 = [_softmax_columns(seq, W["b"], 1.5), prev]
        return om1, om2

    def feats(seq):
        om1, om2 = mixings(seq)
        return [seq @ om1[h1] @ om2[h2] @ np.eye(Tp)[-1] for h1, h2 in itertools.product(range(2), range(2))]

    fx = [feats(s) for s in x]
    ft = [feats(s) for s in xt]
    c = sa * s2 * s1 * s0 / (N0 * 4)
    K = np.array([[c * sum(a @ b for a, b in zip(fu, fv)) for fv in fx] for fu in fx])
    k = np.array([[c * sum(a @ b for a, b in zip(fu, fv)) for fv in ft] for fu in fx])
    kk = np.array([c * sum(a @ a for a in fu) for fu in ft])
    Ainv = np.linalg.inv(K + T * np.eye(P))
    mean_gp = k.T @ Ainv @ y
    var_gp = kk - np.einsum("ij,ik,kj->j", k, Ainv, k)
    pred = predict(F, y, T, sol.U, kernel_factor(path_features(xt, layers, W), s0))
    np.testing.assert_allclose(pred.mean, mean_gp, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(pred.var, var_gp, rtol=1e-6, atol=1e-9)


# ------------------------------------------------------------- deep linear
def _deep_linear_u(K0, y, T, widths, sig2):
    """Root of u = σ̄² Π_{k=1}^{L+1} ρ_k, ρ_k = 1 − u E′(u)/N_k, E(u) = ln det(uK0 + T) + yᵀ(uK0 + T)⁻¹y.

    From the action with r_k = u_k/(σ_k² u_{k+1}): S = Σ_k N_k (r_k − ln r_k) + E(σ̄² Π_k r_k),
    and ∂S/∂r_k = 0 gives r_k = ρ_k; equal widths N_k = N give u = σ̄² ρ^{L+1}."""
    P = len(y)

    def g(u):
        Ai = np.linalg.inv(u * K0 + T * np.eye(P))
        b = Ai @ y
        dE = np.trace(Ai @ K0) - b @ K0 @ b
        return u - sig2 * np.prod([max(1.0 - u * dE / N, 0.0) for N in widths])
    grid = np.geomspace(1e-6, 1e3, 400)
    vals = [g(u) for u in grid]
    roots = [brentq(g, a, b, xtol=1e-14, rtol=1e-14) for a, b, va, vb in zip(grid, grid[1:], vals, vals[1:])
             if va * vb < 0]
    assert len(roots) == 1, roots
    return roots[0]


@pytest.mark.parametrize("L", [1, 2])
def test_deep_linear_network_matches_the_scalar_renormalisation(L):
    rng = np.random.default_rng(7 + L)
    P, N0, Tp, N, T = 40, 8, 3, 20.0, 0.05
    x = rng.standard_normal((P, N0, Tp))
    y = x[:, :, -1] @ rng.standard_normal(N0) / np.sqrt(N0) + 0.3 * rng.standard_normal(P)
    variances = (0.8, 1.2, 1.1)[:L] + (0.9,)
    s0 = 1.4
    layers = [[Head("id", "matrix", "I")] for _ in range(L)]
    F = kernel_factor(path_features(x, layers, {"I": np.eye(Tp)}), s0)
    sol = solve(Action(Architecture((1,) * L, (N,) * (L + 1), variances, s0), F, y, T), restarts=1)
    K0 = s0 * x[:, :, -1] @ x[:, :, -1].T / N0            # the last token's linear kernel
    u = _deep_linear_u(K0, y, T, (N,) * (L + 1), float(np.prod(variances)))
    assert abs(u / np.prod(variances) - 1) > 0.05          # finite alpha really renormalises
    assert sol.U[0, 0] == pytest.approx(u, rel=1e-8)


@pytest.mark.parametrize("widths", [(15.0, 60.0), (40.0, 12.0, 25.0)])
def test_deep_linear_with_unequal_widths_is_the_scalar_renormalisation(widths):
    L = len(widths) - 1
    rng = np.random.default_rng(11 + L)
    P, N0, Tp, T, s0 = 40, 8, 3, 0.05, 1.2
    x = rng.standard_normal((P, N0, Tp))
    y = x[:, :, -1] @ rng.standard_normal(N0) / np.sqrt(N0) + 0.3 * rng.standard_normal(P)
    variances = (0.8, 1.3)[:L] + (0.9,)
    layers = [[Head("id", "identity")] for _ in range(L)]
    F = kernel_factor(path_features(x, layers, {}), s0)
    sol = solve(Action(Architecture((1,) * L, widths, variances, s0), F, y, T), restarts=1)
    K0 = s0 * x[:, :, -1] @ x[:, :, -1].T / N0
    u = _deep_linear_u(K0, y, T, widths, float(np.prod(variances)))
    assert abs(u / np.prod(variances) - 1) > 0.05
    assert sol.U[0, 0] == pytest.approx(u, rel=1e-8)


def test_restarts_reach_the_same_minimum_and_the_hessian_is_positive_definite():
    A, rng = _random_problem((2, 2), P=30, N=10.0, seed=5)
    sol = solve(A, restarts=3, seed=1)
    actions = [r["action"] for r in sol.starts]
    assert max(actions) - min(actions) < 1e-9 * abs(sol.action)
    for k in range(3):
        theta, _ = local_minimum(A, random_start(A, np.random.default_rng(100 + k)))
        lams = A.chol.unpack(theta)
        np.testing.assert_allclose(lams[0] @ lams[0].T, sol.U, rtol=1e-5, atol=1e-6)
    assert sol.residual < 1e-10 and sol.grad_norm < 1e-8
    assert sol.hessian_pd and sol.hessian_eigs.min() > 1e-6 * sol.hessian_eigs.max()
    assert np.max(np.abs(sol.U - A.arch.gp_point()[0])) > 0.05     # not the GP point

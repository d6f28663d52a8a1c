"""Acceptance: square loss, linear teacher, ridge, GD — the DMFT against the exact spectral solution.

For square loss the GD iterate is linear in w: w_k − w* = (1 − η(λ + XᵀX))^k (w_0 − w*), with
XᵀX (entries of X ~ N(0, 1/N), n = αN rows) of Marchenko–Pastur spectrum. Projecting on the
teacher v and on w⊥_0 gives (DMFT.md §6, V1), with p_k(a) = (1 − η(λ + a))^k, s(a) = a/(λ + a):

    m_k = ∫ρ [p_k (m0 − s) + s],   Q_k = ∫ρ [(p_k (m0 − s) + s)² + (Q0 − m0²) p_k²],
    train loss_k = (1/2α) ∫ρ a [(p_k (m0 − s) − λ/(λ + a))² + (Q0 − m0²) p_k²].

These integrals are computed by Gauss–Chebyshev quadrature in conftest.py, independently of statc.
"""
from __future__ import annotations

import numpy as np
import pytest

from statc.runtime.dmft import DmftProblem, get_loss, make_algorithm, make_teacher, solve_repeats

ALPHA, LAM, M0, Q0, ETA, STEPS = 3.0, 0.5, 0.2, 1.04, 0.1, 49


def test_quadrature_reproduces_published_values(mp_nodes, exact_ridge_gd):
    a, w = mp_nodes(ALPHA)
    assert w.sum() == pytest.approx(1.0, abs=1e-12)            # MP is a probability density
    assert (a * w).sum() == pytest.approx(ALPHA, abs=1e-12)     # E a = tr XᵀX / N = α
    m, _, _ = exact_ridge_gd(ALPHA, LAM, M0, Q0, ETA, 49)
    # values printed (4 digits) in DMFT.md §6 V1 for the rigorous-DMFT paper's default case
    published = {1: 0.4300, 4: 0.6793, 9: 0.7750, 19: 0.8080, 29: 0.8127, 49: 0.8138}
    for k, v in published.items():
        assert m[k] == pytest.approx(v, abs=6e-5)
    m_inf = (a / (LAM + a)) @ w
    assert m_inf == pytest.approx(0.813859, abs=1e-6)


@pytest.fixture(scope="module")
def ridge_dmft():
    p = DmftProblem(make_teacher("linear"), get_loss("square"), make_algorithm("gd", ETA),
                    alpha=ALPHA, eta=ETA, steps=STEPS, lam=LAM, m0=M0, Q0=Q0)
    return solve_repeats(p, n_samples=5000, repeats=16, seed=20261201)


def test_gd_matches_marchenko_pastur_at_every_step(ridge_dmft, exact_ridge_gd):
    m, Q, loss = exact_ridge_gd(ALPHA, LAM, M0, Q0, ETA, STEPS)
    est = ridge_dmft
    # the MC error is the only error: the DMFT of the discrete GD is exact at every step.
    # 3 standard errors from 16 independent repeats (Student t with 15 dof: 0.9% two-sided per step).
    for name, exact in (("m", m), ("Q", Q), ("train_loss", loss)):
        se = est.stderr[name][1:]
        assert np.all(se > 0)
        dev = np.abs(est.mean[name][1:] - exact[1:]) / se
        assert dev.max() < 3.0, f"{name}: worst step {dev.argmax() + 1} at {dev.max():.2f} standard errors"
    assert est.mean["m"][0] == pytest.approx(M0) and est.mean["Q"][0] == pytest.approx(Q0)
    # the reported error is the Monte-Carlo error: at step 1, m_1 = (1 − ηλ)m0 − ηα mean(τ g) with
    # g = (m0 − 1)τ + √(Q0 − m0²) ω, so Var(τ g) = 2(m0 − 1)² + (Q0 − m0²) and the standard error of
    # the 16 × 5000-sample mean is ηα √(Var/80000). Its 16-repeat estimate has a relative spread
    # ≈ 1/√30 = 0.18; 3 of those is 0.55.
    exact_se = ETA * ALPHA * np.sqrt((2 * (M0 - 1) ** 2 + (Q0 - M0 ** 2)) / (16 * 5000))
    assert abs(est.stderr["m"][1] / exact_se - 1) < 0.55

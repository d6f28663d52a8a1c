"""Langevin dynamics on the ridge problem: the DMFT and the simulator against the exact solution.

w_{k+1} = w_k − η(λw_k + Xᵀ(Xw_k − y)) + √(2ηT) ξ_k is linear with additive isotropic noise, so
each eigen-direction a of XᵀX (Marchenko–Pastur) gets, on top of the GD solution, an independent
variance σ_k²(a) = 2ηT Σ_{j<k} q(a)^{2(k−1−j)} = 2ηT (1 − q^{2k})/(1 − q²), q = 1 − η(λ + a).
Hence m_k is unchanged, Q_k += ∫ρ σ_k², and the training loss += (1/2α) ∫ρ a σ_k².
"""
from __future__ import annotations

import numpy as np

from statc.runtime.dmft import DmftProblem, get_loss, make_algorithm, make_teacher, solve_repeats
from statc.runtime.dmft.simulate import simulate_seeds

ALPHA, LAM, M0, Q0, ETA, T, STEPS = 3.0, 0.5, 0.2, 1.04, 0.1, 0.05, 30


def exact_langevin(mp_nodes, exact_ridge_gd):
    m, Q, loss = exact_ridge_gd(ALPHA, LAM, M0, Q0, ETA, STEPS)
    a, w = mp_nodes(ALPHA)
    q2 = (1 - ETA * (LAM + a)) ** 2
    k = np.arange(STEPS + 1)[:, None]
    var = 2 * ETA * T * (1 - q2 ** k) / (1 - q2)
    return m, Q + var @ w, loss + (a * var) @ w / (2 * ALPHA)


def problem() -> DmftProblem:
    return DmftProblem(make_teacher("linear"), get_loss("square"), make_algorithm("langevin", ETA, T=T),
                       alpha=ALPHA, eta=ETA, steps=STEPS, lam=LAM, m0=M0, Q0=Q0)


def test_langevin_dmft_matches_exact(mp_nodes, exact_ridge_gd):
    m, Q, loss = exact_langevin(mp_nodes, exact_ridge_gd)
    est = solve_repeats(problem(), 5000, repeats=12, seed=8)
    # 3 standard errors from 12 independent repeats at every step (Student t_11: 1.2% per step)
    for name, exact in (("m", m), ("Q", Q), ("train_loss", loss)):
        dev = np.abs(est.mean[name][1:] - exact[1:]) / est.stderr[name][1:]
        assert dev.max() < 3.0, f"{name}: {dev.max():.2f} SE"
    # the noise matters: the Langevin Q exceeds the GD Q by ≫ its error
    _, Q_gd, _ = exact_ridge_gd(ALPHA, LAM, M0, Q0, ETA, STEPS)
    assert Q[-1] - Q_gd[-1] > 10 * est.stderr["Q"][-1]        # 0.022 vs SE 1.3e-3


def test_langevin_simulation_matches_exact(mp_nodes, exact_ridge_gd):
    m, Q, loss = exact_langevin(mp_nodes, exact_ridge_gd)
    sim = simulate_seeds(problem(), 1000, seeds=8, seed=9, n_test=500)
    # seed standard errors (≈ 5e-3 on Q) dominate the O(1/N) = 1e-3 finite-size bias
    for name, exact in (("m", m), ("Q", Q), ("train_loss", loss)):
        dev = np.abs(sim.mean[name][1:] - exact[1:]) / sim.stderr[name][1:]
        assert dev.max() < 3.0, f"{name}: {dev.max():.2f} SE"

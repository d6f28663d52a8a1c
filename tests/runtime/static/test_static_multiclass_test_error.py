"""The argmax classifier's test error from the overlaps (orthant.py, multiclass.ArgmaxChannel.test_error)
against evaluations that share no code with it: a conditional 2-D integral of bivariate normal CDFs
written with Owen's T (scipy.special.owens_t) and Monte Carlo of the classifier itself."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import dblquad
from scipy.special import ndtr, owens_t

from statc.runtime.static import multiclass as mc
from statc.runtime.static.orthant import orthant

P3 = np.eye(3) - 1.0 / 3.0


def bvn_cdf(h: float, k: float, r: float) -> float:
    """Φ₂(h, k; r) = P(X < h, Y < k) by Owen's T (Owen 1956, eq. 2.1), the h = 0 / k = 0 limits taken."""
    sq = np.sqrt(1.0 - r * r)

    def t(x, y):
        if x == 0.0:
            return 0.25 * np.sign(y)                # T(0⁺, ±∞) = ±¼
        return owens_t(x, (y - r * x) / (x * sq))
    if h == 0.0 and k == 0.0:
        return 0.25 + np.arcsin(r) / (2 * np.pi)
    beta = 0.5 if (h * k < 0 or (h * k == 0 and h + k < 0)) else 0.0
    return 0.5 * ndtr(h) + 0.5 * ndtr(k) - t(h, k) - t(k, h) - beta


def correct_by_conditioning(m: np.ndarray, q: np.ndarray, rho: np.ndarray) -> float:
    """1 − ε = Σ_k ∫_{u > 0} N(u; 0, S_ω) P(Δz > 0 | Δω = u) du (K = 3): Δz | u is bivariate normal,
    its orthant probability is Φ₂ with shifted thresholds — a 2-D integral over the quadrant."""
    C = np.block([[q, m], [m.T, rho]])
    total = 0.0
    for k in range(3):
        D = mc.differences(3, k)
        T = np.block([[D, np.zeros_like(D)], [np.zeros_like(D), D]])
        S = T @ C @ T.T
        Sww, Swz, Szz = S[:2, :2], S[:2, 2:], S[2:, 2:]
        B = Swz.T @ np.linalg.inv(Sww)
        Sc = Szz - B @ Swz
        sd = np.sqrt(np.diag(Sc))
        rc = Sc[0, 1] / (sd[0] * sd[1])
        inv, det = np.linalg.inv(Sww), np.linalg.det(Sww)
        L = 12.0 * np.sqrt(np.diag(Sww))

        def f(u1, u0):
            u = np.array([u0, u1])
            dens = np.exp(-0.5 * u @ inv @ u) / (2 * np.pi * np.sqrt(det))
            mu = B @ u                              # P(Δz > 0) = Φ₂(μ₀/σ₀, μ₁/σ₁; ρ)
            return dens * bvn_cdf(mu[0] / sd[0], mu[1] / sd[1], rc)
        total += dblquad(f, 0.0, L[0], 0.0, L[1], epsabs=1e-13, epsrel=1e-12)[0]
    return total


def test_orthant_closed_forms_low_dimension():
    rng = np.random.default_rng(3)
    for n in (2, 3):
        A = rng.normal(size=(n, n + 2))
        S = A @ A.T
        x = rng.multivariate_normal(np.zeros(n), S, size=400_000)
        p = np.mean(np.all(x > 0, axis=1))
        assert orthant(S) == pytest.approx(p, abs=4 * np.sqrt(p * (1 - p) / len(x)))


@pytest.mark.parametrize("qbar", [0.3, 0.65, 0.97])
def test_k3_bayes_optimal_error_against_conditional_integral(qbar):
    ch = mc.ArgmaxChannel(3)
    q = qbar * P3
    eps = ch.test_error(q, q)
    assert eps == pytest.approx(1.0 - correct_by_conditioning(q, q, np.eye(3)), abs=1e-10)


def test_k3_anisotropic_overlaps_against_conditional_integral_and_monte_carlo():
    """A non-symmetric (m, q) with a 𝟙 component, as ERM produces: the 1e-9 rule against the
    conditional integral, and the classifier argmax ω vs argmax z sampled directly."""
    rng = np.random.default_rng(7)
    G = rng.normal(size=(6, 9))
    C = G @ G.T / 9
    d = np.sqrt(np.diag(C)[3:])
    C[3:, :] /= d[:, None]
    C[:, 3:] /= d[None, :]                         # teacher block has a unit diagonal
    q, m, rho = C[:3, :3], C[:3, 3:], C[3:, 3:]
    eps = mc.ArgmaxChannel(3).test_error(m, q, rho)
    assert eps == pytest.approx(1.0 - correct_by_conditioning(m, q, rho), abs=1e-10)
    x = rng.multivariate_normal(np.zeros(6), C, size=1_000_000)
    e_mc = np.mean(x[:, :3].argmax(1) != x[:, 3:].argmax(1))
    assert eps == pytest.approx(e_mc, abs=4 * np.sqrt(e_mc * (1 - e_mc) / len(x)))


def test_k2_is_the_arccos_law():
    P2 = np.eye(2) - 0.5
    for qb in (0.1, 0.65, 0.99):
        assert mc.ArgmaxChannel(2).test_error(qb * P2, qb * P2) == pytest.approx(np.arccos(np.sqrt(qb)) / np.pi,
                                                                                  abs=1e-12)   # the 1e-14·I regulariser of S

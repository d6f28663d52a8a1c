"""K = 4 classes: the Bayes-optimal state evolution (tensor Gauss–Hermite 14³ on the range of q) and
the test error (Genz on the 6-D orthant) against evaluations that share no code with them —
the argmax classifier sampled from the overlaps, an exact 2-D integral for permutation-symmetric
overlaps, and GAMP on drawn data sets."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import dblquad

from statc.runtime.static import multiclass as mc

from .test_static_multiclass_test_error import bvn_cdf

K, ALPHA = 4, 2.0


def symmetric_correct(qbar: float, mbar: float, K: int) -> float:
    """1 − ε for q = q̄P, m = m̄P, ρ = I.  The differences of class k are
    Δω_j = √q̄(a_j + τ_a), Δz_j = b_j + τ_b with (a_j, b_j) i.i.d. and (τ_a, τ_b) of correlation
    r = m̄/√q̄ (Cov = x(I + 𝟙𝟙ᵀ)), so 1 − ε = K E_τ[Φ₂(τ_a, τ_b; r)^{K−1}] — a 2-D integral."""
    r = mbar / np.sqrt(qbar)
    sq = np.sqrt(1 - r * r)
    f = lambda y, x: np.exp(-0.5 * (x * x + y * y)) / (2 * np.pi) * bvn_cdf(x, r * x + sq * y, r) ** (K - 1)
    return K * dblquad(f, -12.0, 12.3, -12.0, 12.3, epsabs=1e-12, epsrel=1e-11)[0]


@pytest.fixture(scope="module")
def se():
    return mc.bayes_optimal_k(K, ALPHA)


def test_k4_state_evolution_is_converged_in_the_rule(se):
    """The 14³ rule against 20³ at the fixed point: one map evaluation, q̄ to 1e-6."""
    P = mc.projector(K)
    hi = mc.ArgmaxChannel(K, tensor_order=20)
    q1 = np.eye(K) - np.linalg.inv(np.eye(K) + ALPHA * hi.bo_qhat(se.q)[0])
    assert np.trace(P @ q1 @ P) / (K - 1) == pytest.approx(se.qbar, abs=1e-6)
    assert se.anisotropy < 1e-5


def test_k4_test_error_against_exact_symmetric_integral_and_monte_carlo(se):
    P = mc.projector(K)
    q = se.qbar * P                                  # the SE point, symmetrised (anisotropy < 1e-5)
    eps = mc.ArgmaxChannel(K).test_error(q, q)
    exact = 1.0 - symmetric_correct(se.qbar, se.qbar, K)
    assert eps == pytest.approx(exact, abs=2e-6)     # Genz, abseps 1e-9: measured error in README
    rng = np.random.default_rng(11)
    C = np.block([[q, q], [q, np.eye(K)]])
    L = np.linalg.cholesky(C + 1e-12 * np.eye(2 * K))
    x = rng.normal(size=(1_000_000, 2 * K)) @ L.T
    e_mc = np.mean(x[:, :K].argmax(1) != x[:, K:].argmax(1))
    assert exact == pytest.approx(e_mc, abs=4 * np.sqrt(e_mc * (1 - e_mc) / len(x)))


@pytest.mark.slow
def test_k4_state_evolution_matches_gamp(se):
    """GAMP at d = 1000, α = 2, 6 seeds: its estimate's exact test error and q̄ against the SE."""
    from statc.runtime.static import amp_multiclass as am
    d = 1000
    rows = [am.bo_train_once(K, ALPHA, d, seed) for seed in range(6)]
    assert all(r["converged"] for r in rows)
    for key, theory in (("test_error", se.test_error), ("q", se.qbar)):
        v = np.array([r[key] for r in rows])
        assert abs(v.mean() - theory) < 3 * v.std(ddof=1) / np.sqrt(len(v)) + theory / d

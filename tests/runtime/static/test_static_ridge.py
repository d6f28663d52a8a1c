"""Ridge regression on a linear teacher against random-matrix theory.

Reference (independent of the replica equations): with S = XᵀX/d, n = αd
Gaussian samples and y = Xw*/√d + σε, the ridge estimator is
w = (S + λ)⁻¹(S w* + σ Xᵀε/√d), so with g = tr(S+λ)⁻¹/d and h = tr(S+λ)⁻²/d

    m = 1 − λg,   q = 1 − 2λg + λ²h + σ²(g − λh),   V = g,

and g, h are integrals over the Marchenko–Pastur law of S (eigenvalues αx,
x ~ MP with ratio c = 1/α, plus an atom of mass 1 − α at 0 when α < 1),
done here with scipy.integrate.quad to ~1e-12.  At λ = σ² ridge is the
posterior mean: its error 1 − 2m + q is the MMSE 1 − q_BO of the Gaussian
channel, q̂ = α/(1 + σ² − q), q = q̂/(1 + q̂).
"""
from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import quad

from statc.runtime.static.bayes import bayes_optimal
from statc.runtime.static.channels import channel
from statc.runtime.static.erm import ERM


def _mp_moments(alpha: float, lam: float) -> tuple[float, float]:
    c = 1.0 / alpha
    a, b = (1 - np.sqrt(c)) ** 2, (1 + np.sqrt(c)) ** 2
    dens = lambda x: np.sqrt((b - x) * (x - a)) / (2 * np.pi * c * x)
    g = quad(lambda x: dens(x) / (alpha * x + lam), a, b, epsabs=1e-13, epsrel=1e-13, limit=200)[0]
    h = quad(lambda x: dens(x) / (alpha * x + lam) ** 2, a, b, epsabs=1e-13, epsrel=1e-13, limit=200)[0]
    if alpha < 1:
        g += (1 - alpha) / lam
        h += (1 - alpha) / lam**2
    return g, h


CASES = [(0.5, 0.1, 0.0), (0.5, 1.0, 0.25), (1.0, 0.05, 0.1), (2.0, 0.01, 0.5), (3.0, 0.3, 0.3),
         (5.0, 1e-3, 1.0)]


@pytest.mark.parametrize("alpha,lam,noise", CASES)
def test_ridge_matches_marchenko_pastur(alpha, lam, noise, cache_dir):
    g, h = _mp_moments(alpha, lam)
    m, q, V = 1 - lam * g, 1 - 2 * lam * g + lam**2 * h + noise * (g - lam * h), g
    fp = ERM("square", channel("linear", noise=noise), alpha, lam).solve(damping=0.3, tol=1e-12)
    # the fixed point is converged to 1e-12 (relative) and the quadrature is exact for the
    # square loss (polynomial integrands on Gauss–Hermite nodes): agreement to 1e-9
    assert fp.m == pytest.approx(m, abs=1e-9)
    assert fp.q == pytest.approx(q, abs=1e-9)
    assert fp.V == pytest.approx(V, abs=1e-9)
    assert fp.observables["test_error"] == pytest.approx(1 - 2 * m + q, abs=2e-9)


@pytest.mark.parametrize("alpha,noise", [(0.5, 0.5), (1.5, 0.2), (4.0, 1.0)])
def test_ridge_at_lambda_equal_noise_is_the_mmse(alpha, noise, cache_dir):
    fp = ERM("square", channel("linear", noise=noise), alpha, noise).solve(damping=0.3, tol=1e-12)
    q = 0.0
    for _ in range(100_000):                  # the Gaussian-channel SE, written out here
        q_new = (alpha / (1 + noise - q)) / (1 + alpha / (1 + noise - q))
        if abs(q_new - q) < 1e-15:
            break
        q = q_new
    assert fp.observables["test_error"] == pytest.approx(1 - q, abs=1e-9)
    bo = bayes_optimal(channel("linear", noise=noise), alpha)
    assert bo["uninformed"].test_error == pytest.approx(1 - q, abs=1e-9)


@pytest.mark.parametrize("alpha,lam,noise", CASES)
def test_ridge_free_energy_is_the_minimal_objective_of_random_matrix_theory(alpha, lam, noise, cache_dir):
    """min_w ½|y − Xw/√d|² + λ/2 |w|² = (λ/2) yᵀ(XXᵀ/d + λ)⁻¹y; per coordinate, with
    tr_n(XXᵀ/d + λ)⁻¹ = d g + (n − d)/λ, it is (λ/2)(1 − λg) + (σ²/2)(λg + α − 1)."""
    g, _ = _mp_moments(alpha, lam)
    expected = 0.5 * lam * (1 - lam * g) + 0.5 * noise * (lam * g + alpha - 1)
    fp = ERM("square", channel("linear", noise=noise), alpha, lam).solve(damping=0.3, tol=1e-12)
    assert fp.observables["free_energy"] == pytest.approx(expected, abs=1e-9)

"""The finite-size Bayes-optimal estimators (runtime/static/amp.py) against closed forms:
for the linear channel with a Gaussian prior the posterior mean is ridge regression at
λ = σ², (XᵀX/d + σ²)⁻¹Xᵀy/√d; for the mixture it is the Gaussian posterior of the means."""
from __future__ import annotations

import numpy as np
import pytest

from statc.runtime.static.amp import bo_train_once, gamp
from statc.runtime.static.bayes import PRIORS
from statc.runtime.static.channels import channel
from statc.runtime.static.finite import SAMPLERS


@pytest.mark.parametrize("alpha, noise", [(0.5, 0.3), (2.0, 1.0)])
def test_gamp_on_the_linear_channel_is_the_exact_posterior_mean(alpha, noise):
    ch = channel("linear", noise=noise)
    rng = np.random.default_rng(3)
    d = 400
    teacher = rng.standard_normal(d)
    X, y = SAMPLERS[type(ch)](ch, rng, int(alpha * d), d, teacher)
    res = gamp(X, y, ch, PRIORS["gaussian"], tol=1e-12)
    Xs = X / np.sqrt(d)
    exact = np.linalg.solve(Xs.T @ Xs + noise * np.eye(d), Xs.T @ y)
    assert res.converged and np.max(np.abs(res.w - exact)) < 1e-8


def test_gamp_sign_channel_overlaps_follow_nishimori():
    """At the Bayes-optimal estimate m = ŵ·w*/d and q = |ŵ|²/d agree up to fluctuations,
    and GAMP converges from ŵ = 0."""
    r = [bo_train_once(channel("sign"), "gaussian", 2.0, 500, s) for s in range(3)]
    assert all(x["converged"] for x in r)
    assert abs(np.mean([x["m"] - x["q"] for x in r])) < 0.02


# ------------------------------------------------------ Bernoulli–Gaussian prior ---

@pytest.mark.parametrize("gamma, A", [(0.3, 0.5), (-2.0, 3.0), (4.0, 10.0)])
def test_sparse_denoiser_is_the_posterior_mean_by_quadrature(gamma, A):
    """f_w(γ, A) and its variance against ∫ w^k P(w) e^{γw − Aw²/2} by scipy quad, with
    P = (1 − ε)δ₀ + ε N(0, 1/ε) (the δ contributes to the normaliser only)."""
    from scipy.integrate import quad
    from scipy.stats import norm
    from statc.runtime.static.bayes import sparse
    eps = 0.2
    tilt = lambda w, k: w**k * norm.pdf(w, scale=np.sqrt(1 / eps)) * np.exp(gamma * w - A * w * w / 2)
    z = (1 - eps) + eps * quad(lambda w: tilt(w, 0), -60, 60, epsabs=1e-14, limit=400)[0]
    m1 = eps * quad(lambda w: tilt(w, 1), -60, 60, epsabs=1e-14, limit=400)[0] / z
    m2 = eps * quad(lambda w: tilt(w, 2), -60, 60, epsabs=1e-14, limit=400)[0] / z
    mean, var = sparse(eps).denoise(np.array([gamma]), A)
    assert mean[0] == pytest.approx(m1, rel=1e-9, abs=1e-13)
    assert var[0] == pytest.approx(m2 - m1 * m1, rel=1e-9, abs=1e-13)


def test_sparse_free_entropy_is_stationary_and_bayes_beats_the_lasso(cache_dir):
    """STATIC.md §6: ∂Φ/∂q = ∂Φ/∂q̂ = 0 at the SE fixed point of the sparse prior; and the
    Bayes-optimal error is below the LASSO's at any λ₁ (the posterior mean minimises the MSE)."""
    from statc.runtime.static.bayes import bayes_optimal, free_entropy, sparse
    from statc.runtime.static.erm import ERM
    ch, prior, alpha = channel("linear", noise=0.01), sparse(0.1), 0.5
    p = bayes_optimal(ch, alpha, prior=prior)["uninformed"]
    h = 1e-6           # Φ‴ ~ (1 − q + σ²)⁻³ ~ 1e5 here: truncation 2e-8, rounding 1e-10
    phi = lambda q, qh: free_entropy(ch, prior, alpha, q, qh)
    assert abs(phi(p.q + h, p.qhat) - phi(p.q - h, p.qhat)) / (2 * h) < 1e-7
    assert abs(phi(p.q, p.qhat + h) - phi(p.q, p.qhat - h)) / (2 * h) < 1e-7
    for lam1 in (0.01, 0.05, 0.2):
        lasso = ERM("square", ch, alpha, 0.0, "lasso", lam1, "sparse", 0.1).solve(max_iter=20000)
        assert p.test_error < lasso.observables["test_error"]

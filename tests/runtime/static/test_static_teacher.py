"""GLM teachers (STATIC.md §3, §6) against classical results.

* Bayes-optimal spherical perceptron (sign teacher, Gaussian prior): as α → ∞,
  1 − q ≈ (αc)⁻², c = φ(0)∫φ(x)²/(Φ(x)Φ(−x)) dx, so α ε_BO → 1/(πc) = 0.4417
  (the classical 0.442/α); c is computed here with scipy quad.  The O(1/α)
  correction is below 1e-4 at α = 1000 (measured: α ε = 0.44170 at 400 and 1000).
* Rademacher teacher, BO: the uninformed SE jumps to perfect recovery at the
  spinodal α_sp ≈ 1.493 (Györgyi 1990; Barbier et al. 2019).
* Random labels, hinge loss, λ → 0: the max-margin κ = 1/√q obeys Gardner's
  1/α = ∫_{−κ}^∞ Dt (t + κ)², whose κ → 0 limit is α = 2; the threshold found by
  bisection on separability lies just below 2 because λ = 1e-6 > 0 cannot
  resolve margins κ ≲ √λ-scale near the transition.
* Square loss, sign teacher, λ = π/2 − 1, α = 1: ε_g = 0.257075 (STATIC.md).
"""
from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.optimize import brentq
from scipy.special import log_ndtr
from scipy.stats import norm

from statc.runtime.static.bayes import bayes_optimal
from statc.runtime.static.channels import channel
from statc.runtime.static.erm import ERM
from statc.runtime.static.thresholds import bisect, interpolates, lambda_path, separable


def test_bayes_optimal_perceptron_asymptote(cache_dir):
    integrand = lambda x: np.exp(2 * norm.logpdf(x) - log_ndtr(x) - log_ndtr(-x))
    c = norm.pdf(0) * quad(integrand, -40, 40, epsabs=1e-13, limit=400)[0]
    limit = 1 / (np.pi * c)
    assert limit == pytest.approx(0.4416, abs=1.5e-4)          # the classical 4-digit value
    for alpha in (400.0, 1000.0):
        bo = bayes_optimal(channel("sign"), alpha)
        assert bo["uninformed"].q == pytest.approx(bo["informed"].q, abs=1e-10)
        assert alpha * bo["uninformed"].test_error == pytest.approx(limit, abs=1e-4)


def test_bayes_optimal_rademacher_spinodal(cache_dir):
    below = bayes_optimal(channel("sign"), 1.48, prior="rademacher")
    above = bayes_optimal(channel("sign"), 1.51, prior="rademacher")
    assert below["uninformed"].q < 0.9 and below["informed"].perfect      # hysteresis
    assert above["uninformed"].perfect


def test_square_loss_sign_teacher_anchor(cache_dir):
    fp = ERM("square", channel("sign"), 1.0, np.pi / 2 - 1).solve()
    assert fp.observables["test_error"] == pytest.approx(0.257075, abs=1e-6)   # 6-digit reference


@pytest.mark.parametrize("loss", ["logistic", "hinge"])
def test_teacher_test_error_is_the_angle(loss, cache_dir):
    fp = ERM(loss, channel("sign"), 3.0, 0.05).solve()
    assert fp.observables["test_error"] == pytest.approx(np.arccos(fp.m / np.sqrt(fp.q)) / np.pi, abs=1e-12)


def _gardner_kappa(alpha):
    inv = lambda k: quad(lambda t: (t + k) ** 2 * norm.pdf(t), -k, np.inf, epsabs=1e-14)[0]
    return brentq(lambda k: 1 / inv(k) - alpha, 0.0, 10.0, xtol=1e-14)


@pytest.mark.parametrize("alpha", [0.5, 1.0, 1.5])
def test_max_margin_of_random_labels_is_gardners(alpha, cache_dir):
    fp = lambda_path("hinge", channel("random"), alpha, max_iter=20000)
    assert fp.observables["train_error"] == 0.0
    # at λ = 1e-6 the margin is exact up to O(λ) (measured 1e-11 at α = 1)
    assert 1 / np.sqrt(fp.q) == pytest.approx(_gardner_kappa(alpha), abs=1e-8)


def test_separability_on_either_side_of_two(cache_dir):
    assert separable(channel("random"), 1.9, max_iter=20000)
    assert not separable(channel("random"), 2.1, max_iter=20000)


@pytest.mark.slow
def test_separability_threshold_by_bisection(cache_dir):
    a = bisect(lambda x: separable(channel("random"), x, max_iter=20000), 1.5, 2.5, tol=0.03)
    assert 1.95 < a < 2.02


@pytest.mark.slow
def test_mixture_separability_threshold_brackets_3_70(cache_dir):
    """Δ = 1, ρ = ½, learned bias: the data stop being linearly separable at
    α* = 3.700 (STATIC.md §8, computed independently of statc)."""
    ch = channel("mixture", rho=0.5, Delta=1.0)
    assert separable(ch, 3.6, max_iter=20000)
    assert not separable(ch, 3.8, max_iter=20000)


@pytest.mark.parametrize("name,prior", [("sign", "gaussian"), ("sign", "rademacher"),
                                        ("linear", "gaussian")])
def test_free_entropy_is_stationary_at_the_se_fixed_point(name, prior, cache_dir):
    """STATIC.md §6: ∂Φ/∂q = ∂Φ/∂q̂ = 0 at the SE fixed point (central differences,
    step 1e-5: truncation ~1e-10 × Φ‴, rounding ~1e-16/1e-5 = 1e-11)."""
    from statc.runtime.static.bayes import free_entropy
    ch = channel(name, noise=0.3) if name == "linear" else channel(name)
    p = bayes_optimal(ch, 1.1, prior=prior)["uninformed"]
    h = 1e-5
    phi = lambda q, qh: free_entropy(ch, prior, 1.1, q, qh)
    assert abs(phi(p.q + h, p.qhat) - phi(p.q - h, p.qhat)) / (2 * h) < 1e-8
    assert abs(phi(p.q, p.qhat + h) - phi(p.q, p.qhat - h)) / (2 * h) < 1e-8


def test_rademacher_information_theoretic_threshold(cache_dir):
    """Φ(low branch) = −log 2 (the perfect branch) at α_IT: Györgyi (1990) gives
    1.245, Barbier et al. (2019) quote 1.249; the window covers both (we measure 1.2447)."""
    f = lambda a: bayes_optimal(channel("sign"), a, prior="rademacher")["uninformed"].free_entropy + np.log(2)
    a_it = brentq(f, 1.15, 1.35, xtol=1e-5)
    assert abs(a_it - 1.247) < 3e-3


# ------------------------------------------------------------------ probit ---

def _mp_moments(alpha: float, lam: float) -> tuple[float, float]:
    """g = tr(S+λ)⁻¹/d, h = tr(S+λ)⁻²/d for S = XᵀX/d (Marchenko–Pastur, scipy quad)."""
    c = 1.0 / alpha
    a, b = (1 - np.sqrt(c)) ** 2, (1 + np.sqrt(c)) ** 2
    dens = lambda x: np.sqrt((b - x) * (x - a)) / (2 * np.pi * c * x)
    g = quad(lambda x: dens(x) / (alpha * x + lam), a, b, epsabs=1e-13, epsrel=1e-13, limit=200)[0]
    h = quad(lambda x: dens(x) / (alpha * x + lam) ** 2, a, b, epsabs=1e-13, epsrel=1e-13, limit=200)[0]
    if alpha < 1:
        g, h = g + (1 - alpha) / lam, h + (1 - alpha) / lam**2
    return g, h


@pytest.mark.parametrize("alpha,lam,noise", [(0.5, 0.2, 0.25), (2.0, 0.1, 1.0), (3.0, 0.5, 0.0)])
def test_ridge_on_probit_labels_is_ridge_on_a_linear_teacher(alpha, lam, noise, cache_dir):
    """Square loss + ridge sees the labels y = sign(z + σε) only through c = E[yz] =
    √(2/π)/√(1 + σ²) and E[y²] = 1: y = cz + √(1 − c²)ε′ with ε′ uncorrelated with x, so
    m = c(1 − λg), q = c²(1 − 2λg + λ²h) + (1 − c²)(g − λh) (random-matrix theory), and the
    test error against fresh noisy labels is arccos(m/√(q(1 + σ²)))/π."""
    g, h = _mp_moments(alpha, lam)
    c = np.sqrt(2 / np.pi) / np.sqrt(1 + noise)
    m, q = c * (1 - lam * g), c * c * (1 - 2 * lam * g + lam**2 * h) + (1 - c * c) * (g - lam * h)
    fp = ERM("square", channel("sign", noise=noise), alpha, lam).solve(tol=1e-12)
    assert fp.m == pytest.approx(m, abs=1e-8) and fp.q == pytest.approx(q, abs=1e-8)
    assert fp.observables["test_error"] == pytest.approx(np.arccos(m / np.sqrt(q * (1 + noise))) / np.pi,
                                                         abs=1e-8)


def test_bayes_optimal_probit_reaches_the_fisher_rate(cache_dir):
    """Probit channel, Gaussian prior, α → ∞: the posterior variance per coordinate is
    1/(α I), I the Fisher information of one label about the field, I = ∫Dξ φ(ξ/σ)²/
    (σ² Φ(ξ/σ)Φ(−ξ/σ)) (scipy quad); so α(1 − q) → 1/I, with O(1/α) corrections, and the
    test error tends to the noise floor arccos(1/√(1 + σ²))/π."""
    s2 = 0.25
    s = np.sqrt(s2)
    info = quad(lambda x: np.exp(2 * norm.logpdf(x / s) - log_ndtr(x / s) - log_ndtr(-x / s)) / s2 * norm.pdf(x),
                -12, 12, epsabs=1e-13, limit=400)[0]
    bo = bayes_optimal(channel("sign", noise=s2), 1e4)["uninformed"]
    assert 1e4 * (1 - bo.q) == pytest.approx(1 / info, rel=2e-3)
    assert bo.test_error == pytest.approx(np.arccos(1 / np.sqrt(1 + s2)) / np.pi, abs=5e-5)


def test_ridge_interpolates_below_alpha_one_only(cache_dir):
    """Square loss, λ → 0: the training set is fitted exactly iff n < d (linear algebra)."""
    ch = channel("linear", noise=0.25)
    assert interpolates(ch, 0.8, max_iter=20000) and not interpolates(ch, 1.2, max_iter=20000)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["linear", "sign"])
def test_interpolation_threshold_by_bisection_is_one(name, cache_dir):
    ch = channel(name, noise=0.25) if name == "linear" else channel(name)
    a = bisect(lambda x: interpolates(ch, x, max_iter=50000), 0.5, 1.5, tol=0.02)
    assert abs(a - 1.0) < 0.02

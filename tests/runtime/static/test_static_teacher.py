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
from statc.runtime.static.thresholds import bisect, lambda_path, separable


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

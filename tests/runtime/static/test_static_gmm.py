"""The two-cluster Gaussian mixture (STATIC.md §4) against references written here.

* square loss, λ → ∞, ρ = ½: the Bayes-optimal error Q(√(α/(Δ(α+Δ))))
  (Mignacco et al. 2020); at finite λ the direction of w differs from the
  Hebbian one by O(1/λ), so the error by O(1/λ²) (measured 2e-8 at λ = 1e4):
  at λ = 1e6 the tolerance 1e-9 is the fixed point's own accuracy;
* square loss with imbalance: the bias closed form b = (ρ₊ − ρ₋)(1 − m);
* hinge and logistic: the fixed-point map re-evaluated at the solver's fixed
  point with scipy.integrate.quad (kinks as breakpoints), a prox obtained by
  bisection on the subgradient condition, and V̂ by Stein's lemma
  ⟨∂_ω f⟩ = ⟨ξ f⟩/√(Δq) — a route that shares no code and no derivative with
  the solver.  quad is asked for 1e-12; the fixed point is converged to 1e-10.
* Bayes-optimal with imbalance: ρ₊ = 0.2, Δ = 1, α = 2 gives 0.1409.
"""
from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.special import expit, ndtr

from statc.runtime.static.bayes import bayes_optimal
from statc.runtime.static.channels import channel
from statc.runtime.static.erm import ERM, FixedPointError


@pytest.mark.parametrize("alpha,Delta", [(0.5, 1.0), (2.0, 0.5), (5.0, 2.0)])
def test_square_loss_infinite_lambda_is_bayes_optimal(alpha, Delta, cache_dir):
    lam = 1e6
    fp = ERM("square", channel("mixture", rho=0.5, Delta=Delta), alpha, lam).solve(
        init=(1e-3, 1e-3, 1 / lam, 0.0))
    bo = ndtr(-np.sqrt(alpha / (Delta * (alpha + Delta))))
    assert fp.observables["test_error"] == pytest.approx(bo, abs=1e-9)
    assert abs(fp.b) < 1e-12
    bo_se = bayes_optimal(channel("mixture", rho=0.5, Delta=Delta), alpha)["uninformed"]
    assert bo_se.test_error == pytest.approx(bo, abs=1e-12)


@pytest.mark.parametrize("rho,lam", [(0.2, 0.1), (0.35, 1.0), (0.8, 0.01)])
def test_square_loss_bias_closed_form(rho, lam, cache_dir):
    fp = ERM("square", channel("mixture", rho=rho, Delta=1.0), 2.0, lam).solve()
    assert fp.b == pytest.approx((2 * rho - 1) * (1 - fp.m), abs=1e-9)


def test_bayes_optimal_with_imbalance(cache_dir):
    bo = bayes_optimal(channel("mixture", rho=0.2, Delta=1.0), 2.0)
    assert bo["uninformed"].q == pytest.approx(2.0 / 3.0, abs=1e-12)
    assert bo["uninformed"].test_error == pytest.approx(0.1409, abs=5e-5)   # 4-digit reference


# ----------------------------------------------------------------- quad ---

def _dloss(name, y, h, side):
    """One-sided derivative in h (side = ±1) of the loss."""
    if name == "logistic":
        return -y * expit(-y * h)
    u = y * h
    if u == 1.0:                              # the kink: moving h by side·δ moves u by y·side·δ
        return -y if y * side < 0 else 0.0
    return -y if u < 1.0 else 0.0


def _prox_ref(name, omega, y, V):
    """Bisection on the subgradient condition 0 ∈ h − ω + V ∂ℓ(h)."""
    lo, hi = omega - 2 * V - 2, omega + 2 * V + 2
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid - omega + V * _dloss(name, y, mid, -1) > 0:
            hi = mid
        elif mid - omega + V * _dloss(name, y, mid, +1) < 0:
            lo = mid
        else:
            return mid
        if hi - lo < 1e-15 * (1 + abs(mid)):
            break
    return 0.5 * (lo + hi)


def _map_by_quad(name, alpha, lam, rho, Delta, m, q, V, b):
    sd, Vp = np.sqrt(Delta * q), Delta * V
    tot = {"f2": 0.0, "xif": 0.0, "yf": 0.0, "f": 0.0}
    for y, p in ((1.0, rho), (-1.0, 1 - rho)):
        c = y * m + b
        f = lambda xi: (_prox_ref(name, c + sd * xi, y, Vp) - c - sd * xi) / Vp
        pts = sorted(((y * k - c) / sd) for k in ((1.0, 1.0 - Vp) if name == "hinge" else ()))
        pts = [x for x in pts if -11 < x < 11]
        E = lambda g: quad(lambda xi: g(xi) * np.exp(-xi * xi / 2) / np.sqrt(2 * np.pi), -11, 11,
                           points=pts or None, epsabs=1e-13, epsrel=1e-12, limit=400)[0]
        tot["f2"] += p * E(lambda x: f(x) ** 2)
        tot["xif"] += p * E(lambda x: x * f(x))
        tot["yf"] += p * y * E(f)
        tot["f"] += p * E(f)
    qhat, Vhat, mhat = alpha * Delta * tot["f2"], -alpha * Delta * tot["xif"] / sd, alpha * tot["yf"]
    V1 = 1 / (lam + Vhat)
    return mhat * V1, (mhat**2 + qhat) * V1**2, V1, tot["f"]


@pytest.mark.parametrize("name,alpha,lam,rho", [("hinge", 2.0, 0.1, 0.3), ("logistic", 2.0, 0.1, 0.3),
                                                ("hinge", 0.7, 1.0, 0.5), ("logistic", 4.0, 0.01, 0.2),
                                                ("logistic", 1.0, 0.05, 0.3)])
def test_erm_fixed_point_by_adaptive_quadrature(name, alpha, lam, rho, cache_dir):
    fp = ERM(name, channel("mixture", rho=rho, Delta=1.0), alpha, lam).solve(tol=1e-12)
    m1, q1, V1, bias_residual = _map_by_quad(name, alpha, lam, rho, 1.0, fp.m, fp.q, fp.V, fp.b)
    assert abs(m1 - fp.m) + abs(q1 - fp.q) + abs(V1 - fp.V) < 1e-8 * (1 + fp.q)
    assert abs(bias_residual) < 1e-9


def test_non_convergence_reports_residual_history(cache_dir):
    with pytest.raises(FixedPointError, match="last residuals") as err:
        ERM("logistic", channel("mixture", rho=0.3), 2.0, 0.1).solve(max_iter=3)
    assert len(err.value.history) == 3 and all(np.isfinite(err.value.history))


@pytest.mark.parametrize("name,c", [("square", 1.0), ("hinge", 1.0), ("logistic", 0.5)])
def test_training_error_closed_form(name, c, cache_dir):
    """h* is monotone in ω and y h* < 0 iff y ω < −c ΔV (c = 1 square/hinge, ½ logistic:
    the margin at which the prox of a sample lands on u = 0), so the training error is
    Σ_y ρ_y Q((m + y b + c ΔV)/√(Δq)) (STATIC.md §7)."""
    rho, Delta = 0.3, 1.5
    fp = ERM(name, channel("mixture", rho=rho, Delta=Delta), 1.5, 0.2).solve()
    sd = np.sqrt(Delta * fp.q)
    ref = sum(p * ndtr(-(fp.m + y * fp.b + c * Delta * fp.V) / sd) for y, p in ((1, rho), (-1, 1 - rho)))
    assert fp.observables["train_error"] == pytest.approx(ref, abs=1e-12)

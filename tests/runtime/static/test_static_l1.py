"""L1 (LASSO) and elastic-net penalties against results statc did not derive.

Reference: the LASSO risk of Bayati & Montanari (IEEE Trans. Inf. Theory 58, 2012), written
here in their normalisation: A with N(0, 1/n) entries, δ = n/N, y = A x₀ + w (noise σ²),
min ½|y − Ax|² + λ|x|₁.  With the soft threshold η(u; θ) = sign(u)(|u| − θ)₊:

    τ² = σ² + E[(η(X₀ + τZ; θτ) − X₀)²]/δ,     λ = θτ (1 − E[η′(X₀ + τZ; θτ)]/δ),

MSE = E[(η − X₀)²] = δ(τ² − σ²).  Ours (x with N(0, 1) entries, fields w·x/√d) is theirs with
A = X/√(αd), x = √α w, x₀ = √α w* ~ N(0, α), λ_BM = λ₁/√α, δ = α; so our clean test error
|w − w*|²/d is MSE/α, m = E[X₀η]/α and q = E[η²]/α.  Expectations by scipy.integrate.quad on the
Gaussian U = X₀ + τZ with the kinks ±θτ as breakpoints (E[X₀η(U)] = α E[Uη(U)]/s², s² = α + τ²).
"""
from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import quad

from statc.runtime.static.channels import channel
from statc.runtime.static.erm import ERM


def _moments(alpha: float, tau: float, thr: float) -> tuple[float, float, float]:
    """E[η²], E[X₀η], E[η′] with U = X₀ + τZ ~ N(0, α + τ²), η(U) = soft threshold at thr."""
    s2 = alpha + tau * tau
    dens = lambda u: np.exp(-0.5 * u * u / s2) / np.sqrt(2 * np.pi * s2)
    soft = lambda u: np.sign(u) * max(abs(u) - thr, 0.0)
    lim = 40 * np.sqrt(s2)
    # the integrand vanishes on (−thr, thr): integrate the tail (thr, lim) twice by symmetry
    e2 = 2 * quad(lambda u: soft(u) ** 2 * dens(u), thr, lim, epsabs=1e-14, epsrel=1e-13, limit=200)[0]
    eu = 2 * quad(lambda u: u * soft(u) * dens(u), thr, lim, epsabs=1e-14, epsrel=1e-13, limit=200)[0]
    ed = 2 * quad(dens, thr, lim, epsabs=1e-14, epsrel=1e-13, limit=200)[0]
    return e2, alpha * eu / s2, ed


def _tau(alpha: float, noise: float, theta: float) -> float:
    t2 = noise + alpha
    for _ in range(5000):
        e2, ex, _ = _moments(alpha, np.sqrt(t2), theta * np.sqrt(t2))
        new = noise + (e2 - 2 * ex + alpha) / alpha
        if abs(new - t2) < 1e-14:
            return float(np.sqrt(new))
        t2 = new
    raise AssertionError("the Bayati–Montanari recursion did not converge")


def bayati_montanari(alpha: float, theta: float, noise: float) -> dict:
    """The LASSO risk at threshold θ: (λ₁ ours, test error, m, q)."""
    tau = _tau(alpha, noise, theta)
    e2, ex, ed = _moments(alpha, tau, theta * tau)
    lam_bm = theta * tau * (1 - ed / alpha)
    return {"lam1": lam_bm * np.sqrt(alpha), "test_error": tau * tau - noise, "m": ex / alpha, "q": e2 / alpha}


@pytest.mark.parametrize("alpha,theta,noise", [(0.5, 1.5, 0.25), (2.0, 0.5, 0.5), (0.3, 2.0, 0.0)])
def test_lasso_matches_bayati_montanari(alpha, theta, noise, cache_dir):
    """The threshold θ is the parameter (λ from their calibration): no root finding here."""
    ref = bayati_montanari(alpha, theta, noise)
    assert ref["lam1"] > 0
    fp = ERM("square", channel("linear", noise=noise), alpha, 0.0, "lasso", ref["lam1"]).solve(tol=1e-12)
    for key in ("test_error", "m", "q"):
        assert fp.observables[key] == pytest.approx(ref[key], abs=1e-7), key


def test_lasso_at_vanishing_penalty_is_least_squares(cache_dir):
    """α > 1, λ₁ → 0: ordinary least squares, clean error σ²/(α − 1) (Wishart mean of the inverse)."""
    alpha, noise = 2.5, 0.4
    fp = ERM("square", channel("linear", noise=noise), alpha, 0.0, "lasso", 1e-7).solve(tol=1e-12)
    assert fp.observables["test_error"] == pytest.approx(noise / (alpha - 1), rel=1e-5)


@pytest.mark.parametrize("alpha,lam2,noise", [(0.5, 0.3, 0.25), (3.0, 0.05, 0.5)])
def test_elastic_net_tends_to_ridge_as_the_l1_part_vanishes(alpha, lam2, noise, cache_dir):
    """Ridge is tested against Marchenko–Pastur (test_static_ridge.py); the elastic net's soft
    threshold at λ₁ → 0 must reach it continuously (error O(λ₁))."""
    ch = channel("linear", noise=noise)
    ridge = ERM("square", ch, alpha, lam2).solve(tol=1e-12).observables
    for lam1 in (1e-4, 1e-6):
        en = ERM("square", ch, alpha, lam2, "elastic_net", lam1).solve(tol=1e-12).observables
        for key in ("test_error", "m", "q", "free_energy"):
            assert en[key] == pytest.approx(ridge[key], abs=30 * lam1), key


# ------------------------------------------------- sparse teacher (compressed sensing) ---

def test_soft_threshold_average_over_a_sparse_teacher_by_monte_carlo():
    """The regulariser side for w* = 0 w.p. 1 − ε, N(0, 1/ε) w.p. ε against sampling."""
    from statc.runtime.static.regularisers import TEACHER_PRIORS, Penalty, regulariser
    rng = np.random.default_rng(2)
    mhat, qhat, Vhat, lam1, lam2, eps = 0.9, 0.3, 1.1, 0.4, 0.2, 0.15
    n = 2_000_000
    ws = np.where(rng.random(n) < eps, rng.standard_normal(n) / np.sqrt(eps), 0.0)
    b = mhat * ws + np.sqrt(qhat) * rng.standard_normal(n)
    eta = np.sign(b) * np.maximum(np.abs(b) - lam1, 0.0) / (Vhat + lam2)
    mc = {"m": eta * ws, "q": eta * eta, "V": (np.abs(b) > lam1) / (Vhat + lam2),
          "r": lam1 * np.abs(eta) + 0.5 * lam2 * eta * eta}
    reg, pen, teacher = regulariser("elastic_net"), Penalty(l2=lam2, l1=lam1), TEACHER_PRIORS["sparse"](eps, 1.0)
    m, q, V = reg.overlaps(mhat, qhat, Vhat, pen, teacher)
    for key, val in (("m", m), ("q", q), ("V", V), ("r", reg.value(mhat, qhat, Vhat, pen, teacher))):
        se = mc[key].std() / np.sqrt(n)
        assert abs(mc[key].mean() - val) < 5 * se, key


def donoho_tanner(eps: float) -> float:
    """The noiseless L1-recovery phase transition α_c(ε) as the minimax MSE of soft thresholding,
    M(ε) = min_τ ε(1 + τ²) + 2(1 − ε)[(1 + τ²)Q(τ) − τφ(τ)] (Donoho, Maleki & Montanari, PNAS
    2009; it reproduces Donoho–Tanner's weak threshold, e.g. ρ = ε/α_c = 0.3857 at α_c = ½)."""
    from scipy.optimize import minimize_scalar
    from scipy.stats import norm
    f = lambda t: eps * (1 + t * t) + 2 * (1 - eps) * ((1 + t * t) * norm.sf(t) - t * norm.pdf(t))
    return float(minimize_scalar(f, bounds=(0.0, 10.0), method="bounded", options={"xatol": 1e-12}).fun)


def _noiseless_lasso_path(alpha: float, eps: float, lambdas=(1e-1, 1e-2, 1e-3, 1e-4)) -> list[float]:
    ch, state, errors = channel("linear", noise=0.0), (0.3, 0.5, 1.0, 0.0), []
    for lam1 in lambdas:
        fp = ERM("square", ch, alpha, 0.0, "lasso", lam1, "sparse", eps).solve(init=state, max_iter=50000)
        state = fp.state()
        errors.append(fp.observables["test_error"])
    return errors


@pytest.mark.parametrize("side", [-1, 1])
def test_noiseless_lasso_recovers_exactly_above_the_donoho_tanner_line(side, cache_dir):
    """λ₁ → 0 without noise (basis pursuit), ε = 0.2: above α_c the error vanishes like λ₁²,
    below it stays at a positive plateau."""
    eps = 0.2
    errors = _noiseless_lasso_path(donoho_tanner(eps) + side * 0.03, eps)
    if side > 0:
        assert errors[-1] < 1e-5 and errors[-1] < 0.02 * errors[-2]
    else:
        assert errors[-1] > 1e-2 and abs(errors[-1] / errors[-2] - 1) < 0.01


@pytest.mark.slow
def test_donoho_tanner_threshold_by_bisection(cache_dir):
    from statc.runtime.static.thresholds import bisect
    eps = 0.1
    recovers = lambda a: _noiseless_lasso_path(a, eps)[-1] < 1e-4
    assert bisect(recovers, 0.2, 0.5, tol=2e-3) == pytest.approx(donoho_tanner(eps), abs=3e-3)

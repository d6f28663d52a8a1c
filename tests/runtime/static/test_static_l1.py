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

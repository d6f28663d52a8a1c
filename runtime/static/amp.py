r"""The Bayes-optimal estimator at finite size: GAMP for a GLM teacher, the exact posterior
for the mixture (STATIC.md §9).  Both are built from the same registry entries as the state
evolution: the channel's ``bo_gout`` (g = ∂_ω log Z_out and ∂_ω g; ``bo_qhat`` is Σ_y⟨Z_out g²⟩
of the same Z_out) and the prior's ``denoise`` (f_w and its variance; ``overlap`` is ⟨f_w²⟩).

GAMP (Rangan 2011; scalar variances), F = X/√d with entries of variance 1/d, started at
ŵ = 0, c = prior variance 1, g = 0:

    V  = (1/d) Σ_i c_i,                   ω_μ = (Fŵ)_μ − V g_μ,
    g_μ, g′_μ = gout(y_μ; ω_μ, V),        A = −(1/d) Σ_μ g′_μ,
    γ_i = (Fᵀg)_i + A ŵ_i,                ŵ_i, c_i = denoise(γ_i, A),

with ŵ damped by ``damping``; stop when mean |Δŵ| < tol.  Its fixed point is the posterior
mean in the proportional limit, and its overlaps m = ŵ·w*/d, q = |ŵ|²/d track the state
evolution q_t (Nishimori: m = q).

The mixture with observed labels is a Gaussian observation of every coordinate of the means:
the posterior factorises, ŵ_i = denoise(γ_i, A) with (γ, A) from the channel's ``bo_field`` —
no iteration.  The classifier is sign(ŵ·x/√d + b*) with the Bayes threshold b* (``bo_bias``).

The theory never enters here: the observables are measured on the estimate.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .bayes import Prior, prior_entry
from .channels import BinaryTeacher, LinearTeacher, Mixture
from .finite import SAMPLERS, exact_test_error


@dataclass
class AMPResult:
    w: np.ndarray
    iterations: int
    converged: bool
    delta: float


def gamp(X: np.ndarray, y: np.ndarray, channel, prior: Prior, damping: float = 0.3,
         tol: float = 1e-9, max_iter: int = 2000) -> AMPResult:
    """GAMP on the data (X unscaled, n × d) for a GLM channel with ``bo_gout``."""
    n, d = X.shape
    F = X / np.sqrt(d)
    w, c, g = np.zeros(d), np.ones(d), np.zeros(n)
    delta = np.inf
    for it in range(1, max_iter + 1):
        V = float(np.mean(c))
        omega = F @ w - V * g
        g, dg = channel.bo_gout(y, omega, V)
        A = float(-np.sum(dg) / d)
        gamma = F.T @ g + A * w
        w_new, c = prior.denoise(gamma, A)
        if not np.all(np.isfinite(w_new)):
            return AMPResult(w, it, False, np.nan)
        w_new = (1.0 - damping) * w_new + damping * w
        delta = float(np.mean(np.abs(w_new - w)))
        w = w_new
        if delta < tol:
            return AMPResult(w, it, True, delta)
    return AMPResult(w, max_iter, False, delta)


def _glm_estimate(X, y, ch, prior, **kw) -> tuple[np.ndarray, float, dict]:
    res = gamp(X, y, ch, prior, **kw)
    return res.w, 0.0, {"iterations": res.iterations, "converged": res.converged}


def _mixture_estimate(X, y, ch, prior, **kw) -> tuple[np.ndarray, float, dict]:
    gamma, A = ch.bo_field(X, y)
    w, _ = prior.denoise(gamma, A)
    return w, float(ch.bo_bias(0.0)), {"iterations": 0, "converged": True}


#: channel type → the finite-size Bayes-optimal estimator (w, b, info)
ESTIMATORS: dict[type, Callable] = {BinaryTeacher: _glm_estimate, LinearTeacher: _glm_estimate,
                                    Mixture: _mixture_estimate}


def bo_train_once(ch, prior: "str | Prior", alpha: float, d: int, seed: int, prior_p: float = 1.0,
                  **amp_kw) -> dict[str, float]:
    """One data set of n = αd samples (teacher drawn from the prior), the Bayes-optimal
    estimate, and its observables: test_error (exact given the overlaps with the actual
    teacher), m, q."""
    rng = np.random.default_rng(seed)
    p = prior_entry(prior, prior_p)
    teacher = p.sample(rng, d)
    X, y = SAMPLERS[type(ch)](ch, rng, int(round(alpha * d)), d, teacher)
    w, b, info = ESTIMATORS[type(ch)](X, y, ch, p, **amp_kw)
    m, q, rho = float(w @ teacher / d), float(w @ w / d), float(teacher @ teacher / d)
    return {"test_error": exact_test_error(ch, m, q, b, rho), "m": m, "q": q,
            "iterations": float(info["iterations"]), "converged": float(info["converged"])}

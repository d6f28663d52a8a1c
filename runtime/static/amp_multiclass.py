r"""GAMP for the K-class teacher–student perceptron (STATIC.md §9): the finite-size Bayes-optimal
estimator that `statc check` compares with the K×K state evolution of multiclass.py.

What it shares with the state evolution — by definition, AMP and its state evolution are built
from the same two denoisers — and nothing else:

* the channel: Z_y(ω; V) = P(argmax z = y), z ~ N(ω, V), the max-trick integral of
  multiclass.z_out; here :func:`multiclass.gout_label` gives g = ∇_ω log Z_y and its Jacobian
  ∂_ω g at each sample's label (the same integral and its Hessian, re-centred for samples far on
  the wrong side of the boundary);
* the prior: ``denoise`` of the row prior the SE uses (multiclass_prior.py; Gaussian N(0, I_K):
  (I + Λ)⁻¹γ; ±1 entries: the softmax average over the 2^K rows), the posterior mean of a row
  w ∈ R^K given γ = Λw + N(0, Λ), and its posterior covariance.

The state evolution's fixed point, its q̂, its damping or its start never enter here.

Iteration (Rangan's GAMP with K×K variances shared by the samples; F = X/√d, row i of Ŵ is ŵ_i,
row μ of G is g_μ), from the uninformative start Ŵ = 0, C = the prior's covariance, G = 0:

    V = C,   ω_μ = Ŵᵀ F_μ − V g_μ,   g_μ, ∂g_μ = gout(y_μ; ω_μ, V)        (G damped by η)
    Λ = −(1/d) Σ_μ ∂g_μ     (``onsager="jacobian"``; ``"nishimori"``: (1/d) Σ_μ g_μ g_μᵀ)
    γ_i = Σ_μ F_μi g_μ + Λ ŵ_i,   ŵ_i, C = denoise(γ, Λ)                 (Ŵ, C damped by η)

until mean |ΔŴ| < tol.  The channel sees V through P V P only (labels are invariant under
z → z + c𝟙); the max trick needs P V P = s² P, so s² = tr(P V P)/(K − 1): at finite d, PVP is
isotropic up to O(d^{-1/2}) fluctuations (reported as ``anisotropy``); the estimate remains a
valid estimator whose overlaps are measured exactly.

Measured per data set (the theory never enters): the exact test error of argmax Ŵᵀx given the
empirical overlaps m = ŴᵀW*/d, q = ŴᵀŴ/d, ρ = W*ᵀW*/d (Gaussian inputs: the test fields are
N(0, [[q, m], [mᵀ, ρ]]) exactly; ArgmaxChannel.test_error), and m̄, q̄ = tr(P x P)/(K − 1).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .multiclass import ArgmaxChannel, gout_label, isotropic_scale
from .multiclass_erm import subspace
from .multiclass_prior import row_prior

#: at V with tr(PVP)/(K − 1) below this the estimate has recovered the teacher's label-relevant
#: part exactly (discrete prior): the channel is not evaluated there (1/s blows up)
PERFECT_S2 = 1e-12


@dataclass
class GAMPResult:
    W: np.ndarray              # (d, K): the posterior-mean estimate
    iterations: int
    converged: bool
    delta: float               # last mean |ΔŴ|
    anisotropy: float          # ‖PVP − s²P‖/s² at the last iteration
    perfect: bool = False      # stopped at s² < PERFECT_S2


def draw(rng: np.random.Generator, d: int, K: int, alpha: float, prior="gaussian"):
    """Teacher W* (d×K, rows from the prior), inputs X (n×d, N(0, 1)), labels y = argmax_k (W*ᵀx/√d)_k."""
    n = int(round(alpha * d))
    Wt = row_prior(prior, K).sample(rng, d)
    X = rng.standard_normal((n, d))
    return Wt, X, np.argmax(X @ Wt, axis=1)


def gamp(X: np.ndarray, y: np.ndarray, K: int, prior="gaussian", damping: float = 0.3, tol: float = 1e-7,
         max_iter: int = 1000, onsager: str = "jacobian") -> GAMPResult:
    """GAMP (module docstring) on the data X (n × d, unscaled) and labels y ∈ {0..K−1}.  BLAS runs
    on one thread: the products are n × d by d × K (K = 3), where threads cost more than they save
    (measured at d = 300: 0.47 s of CPU on one thread, 1.36 s on two)."""
    from threadpoolctl import threadpool_limits
    with threadpool_limits(1, "blas"):
        return _gamp(X, y, K, prior, damping, tol, max_iter, onsager)


def _gamp(X, y, K, prior, damping, tol, max_iter, onsager) -> GAMPResult:
    if onsager not in ("jacobian", "nishimori"):
        raise ValueError(f"onsager must be 'jacobian' or 'nishimori', got {onsager!r}")
    pr = row_prior(prior, K)
    n, d = X.shape
    F = X / np.sqrt(d)
    y = np.asarray(y, dtype=np.int64)
    W = np.zeros((d, K))
    _, C = pr.denoise(np.zeros((1, K)), np.zeros((K, K)))       # the prior's covariance
    G = np.zeros((n, K))
    delta, aniso = np.inf, 0.0
    for it in range(1, max_iter + 1):
        V = C
        s, aniso = isotropic_scale(V)
        if s * s < PERFECT_S2:
            return GAMPResult(W, it, True, 0.0, aniso, True)
        omega = F @ W - G @ V
        _, g, dg = gout_label(y, omega, s)
        G = (1.0 - damping) * g + damping * G
        Lam = -dg.sum(0) / d if onsager == "jacobian" else G.T @ G / d
        Lam = 0.5 * (Lam + Lam.T)
        gamma = F.T @ G + W @ Lam
        W_new, C_new = pr.denoise(gamma, Lam)
        if not (np.all(np.isfinite(W_new)) and np.all(np.isfinite(C_new))):
            return GAMPResult(W, it, False, np.nan, aniso)
        W_new = (1.0 - damping) * W_new + damping * W
        C = (1.0 - damping) * C_new + damping * C
        delta = float(np.mean(np.abs(W_new - W)))
        W = W_new
        if delta < tol:
            return GAMPResult(W, it, True, delta, aniso)
    return GAMPResult(W, max_iter, False, delta, aniso)


def observables(W: np.ndarray, Wt: np.ndarray) -> dict[str, float]:
    """test_error (from the empirical overlaps with the drawn teacher: exact up to the integration
    tolerance), m̄, q̄."""
    d, K = W.shape
    m, q, rho = W.T @ Wt / d, W.T @ W / d, Wt.T @ Wt / d
    # K = 3: Plackett (~1e-13); K ≥ 4: Genz to 1e-6 — far below the seed-to-seed spread
    return {"test_error": ArgmaxChannel(K).test_error(m, q, rho, abseps=1e-6, maxpts=20_000),
            "m": subspace(m), "q": subspace(q)}


def bo_train_once(K: int, alpha: float, d: int, seed: int, prior="gaussian", **amp_kw) -> dict[str, float]:
    """One data set of n = αd samples (teacher rows drawn from ``prior``), GAMP from the
    uninformative start, and its observables (plus iterations, converged, anisotropy, perfect)."""
    Wt, X, y = draw(np.random.default_rng(seed), d, K, alpha, prior)
    res = gamp(X, y, K, prior, **amp_kw)
    return observables(res.W, Wt) | {"iterations": float(res.iterations), "converged": float(res.converged),
                                     "anisotropy": res.anisotropy, "perfect": float(res.perfect)}

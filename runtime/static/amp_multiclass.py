r"""GAMP for the K-class perceptron with a Gaussian teacher prior (STATIC.md §9), the finite-size
counterpart of the K×K state evolution in multiclass.py, built from the same channel function.

With F = X/√d, Ŵ ∈ R^{d×K} (row i: ŵ_i), K×K variances shared across samples:

    V = C,   ω_μ = Ŵᵀ F_μ − V g_μ(old),   g_μ = ∇_ω log Z_{y_μ}(ω_μ; V)   (damped),
    Λ = (1/d) Σ_μ g_μ g_μᵀ   (Nishimori form of −(1/d) Σ_μ ∂_ω g_μ),
    γ_i = Σ_μ F_μi g_μ + Λ ŵ_i,   ŵ_i = (I + Λ)⁻¹ γ_i,   C = (I + Λ)⁻¹   (Gaussian prior N(0, I_K)).

Z_k is the max-trick integral (multiclass.z_out) with s² = tr(P V P)/(K − 1): at finite d, PVP is
isotropic only up to O(d^{-1/2}) fluctuations, which enter GAMP's channel (the estimator stays a
valid one; its overlaps are compared with the SE within the finite-size error).
"""
from __future__ import annotations

import numpy as np

from .multiclass import isotropic_scale, z_out


def draw(rng: np.random.Generator, d: int, K: int, alpha: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Teacher W* (d×K, N(0, 1)), inputs X (n×d, N(0, 1)), labels y = argmax_k (W*ᵀx/√d)_k."""
    n = int(round(alpha * d))
    Wt = rng.standard_normal((d, K))
    X = rng.standard_normal((n, d))
    return Wt, X, np.argmax(X @ Wt / np.sqrt(d), axis=1)


def gamp(X: np.ndarray, y: np.ndarray, K: int, damping: float = 0.3, tol: float = 1e-7,
         max_iter: int = 300) -> tuple[np.ndarray, int]:
    """(Ŵ, iterations) of GAMP from Ŵ = 0 (the uninformed start)."""
    n, d = X.shape
    F = X / np.sqrt(d)
    W = np.zeros((d, K))
    C = np.eye(K)
    g = np.zeros((n, K))
    rows = np.arange(n)
    for it in range(1, max_iter + 1):
        V = C
        s, _ = isotropic_scale(V)
        omega = F @ W - g @ V
        Z, dZ = z_out(omega, s)
        gz = dZ[rows, y, :] / np.maximum(Z[rows, y], 1e-300)[:, None]
        g = (1.0 - damping) * gz + damping * g
        Lam = g.T @ g / d
        Lam = 0.5 * (Lam + Lam.T)
        C = np.linalg.inv(np.eye(K) + Lam)
        W_new = (F.T @ g + W @ Lam) @ C
        delta = float(np.mean(np.abs(W_new - W)))
        W = W_new
        if delta < tol:
            return W, it
    return W, max_iter

"""Predictor statistics and observables at a kernel U (ATTENTION.md §7).

Given U (the minimiser, or U_GP = Π σ² I for the GP limit), with K_U = F (U ⊗ I) Fᵀ:

    mean  ⟨f(x*)⟩   = k_U(x*)ᵀ (K_U + T I)⁻¹ y
    var   ⟨δf(x*)²⟩ = K_U(x*, x*) − k_U(x*)ᵀ (K_U + T I)⁻¹ k_U(x*)

Observables: test MSE of the mean, generalisation error ε_g = mean((mean − y)² + var),
classification accuracy of sign(mean), kernel–task alignment |e_kᵀ y|/|y| of the top
eigenvectors of K_U (train), and per-head scores score(ℓ, h) = Σ |U_ππ′| over the pairs
where π or π′ passes through head h of layer ℓ.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import cho_factor, cho_solve


@dataclass
class Prediction:
    mean: np.ndarray
    var: np.ndarray


def _G(F: np.ndarray, U: np.ndarray) -> np.ndarray:
    """G with G Gᵀ = F (U ⊗ I) Fᵀ (symmetric square root of U: U may be singular-ish)."""
    w, V = np.linalg.eigh(0.5 * (U + U.T))
    root = V * np.sqrt(np.clip(w, 0.0, None))
    return np.einsum("pmn,mk->pkn", F, root, optimize=True).reshape(F.shape[0], -1)


def predict(F: np.ndarray, y: np.ndarray, T: float, U: np.ndarray, F_test: np.ndarray) -> Prediction:
    """Posterior mean and variance of f on the test features (P* × M × N0)."""
    G, Gt = _G(F, U), _G(F_test, U)
    A = G @ G.T
    A[np.diag_indices_from(A)] += T
    c = cho_factor(A, lower=True)
    k = G @ Gt.T                                    # P × P*
    mean = k.T @ cho_solve(c, y)
    var = np.einsum("ij,ij->i", Gt, Gt) - np.einsum("ij,ij->j", k, cho_solve(c, k))
    return Prediction(mean, var)


def alignment(F: np.ndarray, y: np.ndarray, U: np.ndarray, top: int = 5) -> list[float]:
    """|e_kᵀ y| / |y| for the ``top`` leading eigenvectors of K_U (training set)."""
    G = _G(F, U)
    w, V = np.linalg.eigh(G @ G.T)
    order = np.argsort(w)[::-1][:top]
    return [float(abs(V[:, k] @ y) / np.linalg.norm(y)) for k in order]


def head_scores(U: np.ndarray, heads: tuple[int, ...]) -> list[list[float]]:
    """score(ℓ, h) = Σ_{π,π′: π_ℓ = h or π′_ℓ = h} |U_ππ′| (paths packed h_1 outermost)."""
    idx = np.array(np.unravel_index(np.arange(U.shape[0]), heads)).T      # M × L
    absU = np.abs(U)
    out = []
    for l, H in enumerate(heads):
        row = []
        for h in range(H):
            through = idx[:, l] == h
            mask = through[:, None] | through[None, :]
            row.append(float(absU[mask].sum()))
        out.append(row)
    return out


def metrics(pred: Prediction, y_test: np.ndarray) -> dict[str, float]:
    err = pred.mean - y_test
    return {"test_mse": float(np.mean(err ** 2)),
            "eps_g": float(np.mean(err ** 2 + pred.var)),
            "accuracy": float(np.mean(np.sign(pred.mean) == np.sign(y_test))),
            "mean_variance": float(np.mean(pred.var))}

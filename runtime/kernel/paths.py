"""Attention-path features (ATTENTION.md §1, §4).

A path π = (h_1, …, h_L) packs with h_1 outermost, π = ((h_1 H_2 + h_2) H_3 + …).  Its
feature on a sequence x (N0 × T′) is x_π = x Ω^{1,h_1} ⋯ Ω^{L,h_L} r (r the readout
vector).  They are computed right to left: z_{L+1} = r, z_{(h_ℓ, rest)} = Ω^{ℓ,h_ℓ} z_rest,
then x_π = x z_π — O(P M T′² + P M N0 T′) for M = Π H_ℓ paths, never a product of
matrices per path.  The kernel factor is F[μ, π, :] = √(σ0² / (N0 M)) x_π^μ, so that
C_ππ′^{μν} = F[μ,π]·F[ν,π′] and K_U = F (U ⊗ I_{N0}) Fᵀ.
"""
from __future__ import annotations

import numpy as np

from .mixing import Head, readout_vector


def path_vectors(x: np.ndarray, layers: list[list[Head]], matrices: dict[str, np.ndarray],
                 r: np.ndarray) -> np.ndarray:
    """z_π ∈ R^{T′} for every example and path: (P, M, T′), h_1 outermost."""
    P, _, T = x.shape
    z = np.broadcast_to(r, (P, 1, T))
    for heads in reversed(layers):
        om = np.stack([h.omega(x, matrices) for h in heads], axis=1)       # (P, H, T', T')
        z = np.einsum("phst,pmt->phms", om, z).reshape(P, -1, T)
    return z


def path_features(x: np.ndarray, layers: list[list[Head]], matrices: dict[str, np.ndarray],
                  readout: str = "last", token: int = 0) -> np.ndarray:
    """x_π for every example and path: (P, M, N0)."""
    r = readout_vector(readout, x.shape[2], token)
    z = path_vectors(x, layers, matrices, r)
    return np.einsum("pnt,pmt->pmn", x, z, optimize=True)


def kernel_factor(xpi: np.ndarray, sigma0: float) -> np.ndarray:
    """F = √(σ0² / (N0 M)) x_π, (P, M, N0)."""
    _, M, N0 = xpi.shape
    return xpi * np.sqrt(sigma0 / (N0 * M))

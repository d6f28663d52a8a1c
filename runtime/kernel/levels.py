"""The level structure of the action (ATTENTION.md §3, §9) and the Cholesky parametrisation.

Level ℓ = 1 … L carries U_ℓ (m_ℓ × m_ℓ, m_ℓ = H_ℓ H_{ℓ+1} ⋯ H_L, indexed by partial paths
(h_ℓ … h_L)); level L+1 the readout overlap U_a (1×1, H_{L+1} ≡ 1); U_{L+2} ≡ 1.
U ≡ U_1 is the order parameter (H^L × H^L).  Each U_ℓ, ℓ ≤ L, is Λ_ℓ Λ_ℓᵀ with Λ_ℓ
lower-triangular with diagonal exp(θ): unconstrained and always positive definite,
ln det U_ℓ = 2 Σ θ_diag.  U_a is eliminated by its closed form (§6).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Architecture:
    """Heads H_1..H_L, widths N_1..N_{L+1} (N_{L+1} = N_a, the readout's length),
    prior variances σ_1²..σ_L², σ_a², and σ0² of the input projection V^0."""

    heads: tuple[int, ...]
    widths: tuple[float, ...]
    variances: tuple[float, ...]
    sigma0: float = 1.0

    def __post_init__(self):
        L = len(self.heads)
        if len(self.widths) != L + 1 or len(self.variances) != L + 1:
            raise ValueError("widths and variances need L + 1 entries (layers and readout)")

    @property
    def L(self) -> int:
        return len(self.heads)

    @property
    def sizes(self) -> tuple[int, ...]:
        """m_1 … m_{L+1} (m_{L+1} = 1)."""
        out = [1]
        for h in reversed(self.heads):
            out.append(out[-1] * h)
        return tuple(reversed(out))

    @property
    def paths(self) -> int:
        return self.sizes[0]

    @property
    def n_params(self) -> int:
        return sum(m * (m + 1) // 2 for m in self.sizes[:-1])

    def gp_point(self) -> list[np.ndarray]:
        """U_ℓ = σ_ℓ² (I_{H_ℓ} ⊗ U_{ℓ+1}) from U_a = σ_a² down: U_1 = Π σ² · I."""
        Us = [np.array([[self.variances[-1]]])]
        for l in reversed(range(self.L)):
            Us.insert(0, self.variances[l] * np.kron(np.eye(self.heads[l]), Us[0]))
        return Us


def partial_trace(U: np.ndarray, H: int) -> np.ndarray:
    """ũ = Σ_h U[(h,·),(h,·)] (trace over the outer head index)."""
    m = U.shape[0] // H
    return np.einsum("iaib->ab", U.reshape(H, m, H, m))


def kron_eye(H: int, B: np.ndarray) -> np.ndarray:
    """I_H ⊗ B."""
    return np.kron(np.eye(H), B)


class Cholesky:
    """θ ↔ (Λ_1 … Λ_L): packing of the lower triangles, log-diagonal."""

    def __init__(self, sizes: tuple[int, ...]):
        self.sizes = tuple(sizes)
        self.tril = [np.tril_indices(m) for m in self.sizes]
        self.diag = [np.flatnonzero(i == j) for i, j in self.tril]
        self.slices = []
        start = 0
        for m in self.sizes:
            n = m * (m + 1) // 2
            self.slices.append(slice(start, start + n))
            start += n
        self.n = start

    def unpack(self, theta: np.ndarray) -> list[np.ndarray]:
        out = []
        for m, (i, j), d, sl in zip(self.sizes, self.tril, self.diag, self.slices):
            vals = theta[sl].copy()
            vals[d] = np.exp(vals[d])
            lam = np.zeros((m, m))
            lam[i, j] = vals
            out.append(lam)
        return out

    def pack(self, Us: list[np.ndarray]) -> np.ndarray:
        """θ of positive-definite U_1 … U_L (their Cholesky factors)."""
        theta = np.empty(self.n)
        for U, (i, j), d, sl in zip(Us, self.tril, self.diag, self.slices):
            vals = np.linalg.cholesky(U)[i, j]
            vals[d] = np.log(vals[d])
            theta[sl] = vals
        return theta

    def grad(self, lams: list[np.ndarray], Gs: list[np.ndarray]) -> np.ndarray:
        """∂S/∂θ from symmetric G_ℓ = ∂S/∂U_ℓ: ∂S/∂Λ = 2 G Λ (lower triangle), and the
        diagonal entries times Λ_ii (chain rule through exp)."""
        g = np.empty(self.n)
        for lam, G, (i, j), d, sl in zip(lams, Gs, self.tril, self.diag, self.slices):
            full = 2.0 * G @ lam
            vals = full[i, j]
            vals[d] *= lam[i[d], j[d]]
            g[sl] = vals
        return g

"""The action S(U_1 … U_L) and its exact gradient (ATTENTION.md §5, §6, §9).

    S = Σ_{ℓ=1}^{L+1} N_ℓ s_ℓ + ln det A + yᵀ A⁻¹ y,   A = K_U + T I_P,  K_U = F (U_1 ⊗ I_{N0}) Fᵀ,
    s_ℓ = Tr[(I_{H_ℓ} ⊗ U_{ℓ+1}⁻¹) U_ℓ] / σ_ℓ² − ln det U_ℓ + H_ℓ ln det U_{ℓ+1}

(U_{L+1} = U_a, H_{L+1} = 1, U_{L+2} = 1).  Gradient, for ℓ = 1 … L,

    ∂S/∂U_ℓ = N_ℓ [(I ⊗ U_{ℓ+1}⁻¹)/σ_ℓ² − U_ℓ⁻¹]
              + [ℓ ≥ 2] N_{ℓ−1} [H_{ℓ−1} U_ℓ⁻¹ − U_ℓ⁻¹ ũ_{ℓ−1} U_ℓ⁻¹ / σ_{ℓ−1}²]
              + [ℓ = 1] E,     E_ππ′ = ⟨Φ_π, A⁻¹ Φ_π′⟩ − (Φ_πᵀ b)·(Φ_π′ᵀ b),  b = A⁻¹ y,

with ũ_ℓ the partial trace of U_ℓ over its outer head index.  U_a takes its closed-form
minimiser U_a = [−β + √(β² + 4γ)]/2, β = σ_a² (H_L N_L / N_a − 1), γ = σ_a² N_L Tr U_L /
(N_a σ_L²); by the envelope theorem the gradient in the other U's is unchanged.

Everything is written once for any L and H_ℓ (loops over levels).  Cost per evaluation
O(P³ + P² M N0 + P M² N0), memory O(P M N0) (F and A⁻¹F only; no P×P block per path pair).
The action is reported as S/N, N = max_ℓ N_ℓ.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import cho_factor, cho_solve

from .levels import Architecture, Cholesky, kron_eye, partial_trace


class NotPositiveDefinite(ArithmeticError):
    """A U_ℓ or A lost positive definiteness (numerically)."""


def readout_overlap(arch: Architecture, U_L: np.ndarray) -> float:
    """The closed-form minimiser U_a given U_L."""
    L = arch.L
    sa, sL = arch.variances[L], arch.variances[L - 1]
    NL, Na = arch.widths[L - 1], arch.widths[L]
    beta = sa * (arch.heads[L - 1] * NL / Na - 1.0)
    gamma = sa * NL * np.trace(U_L) / (Na * sL)
    return float((-beta + np.sqrt(beta * beta + 4.0 * gamma)) / 2.0)


@dataclass
class Evaluation:
    """S/N, the symmetric gradients ∂(S/N)/∂U_ℓ and the pieces of the energy."""

    action: float
    entropy: float
    energy: float
    grads: list[np.ndarray]
    Ua: float


class Action:
    """S(U)/N for a data set: kernel factor F (P × M × N0), labels y, temperature T."""

    def __init__(self, arch: Architecture, F: np.ndarray, y: np.ndarray, T: float):
        if F.shape[1] != arch.paths:
            raise ValueError(f"F has {F.shape[1]} paths, the architecture {arch.paths}")
        self.arch, self.F, self.y, self.T = arch, np.ascontiguousarray(F), np.asarray(y, float), float(T)
        self.P, self.M, self.N0 = F.shape
        self.scale = float(max(arch.widths))
        self.chol = Cholesky(arch.sizes[:-1])

    # --------------------------------------------------------------- energy
    def kernel(self, lam1: np.ndarray, F: np.ndarray | None = None, F2: np.ndarray | None = None) -> np.ndarray:
        """K_U = G Gᵀ with G = F (Λ ⊗ I), or the cross kernel G(F) G(F2)ᵀ."""
        F = self.F if F is None else F
        G = np.einsum("pmn,mk->pkn", F, lam1, optimize=True).reshape(F.shape[0], -1)
        if F2 is None:
            return G @ G.T
        G2 = np.einsum("pmn,mk->pkn", F2, lam1, optimize=True).reshape(F2.shape[0], -1)
        return G @ G2.T

    def energy(self, lam1: np.ndarray, gradient: bool = True) -> tuple[float, np.ndarray | None]:
        """ln det A + yᵀA⁻¹y and E (M × M)."""
        A = self.kernel(lam1)
        A[np.diag_indices_from(A)] += self.T
        try:
            c = cho_factor(A, lower=True, check_finite=True)
        except (np.linalg.LinAlgError, ValueError) as err:
            raise NotPositiveDefinite(f"K_U + T I is not positive definite ({err})") from None
        b = cho_solve(c, self.y)
        value = 2.0 * np.sum(np.log(np.diag(c[0]))) + float(self.y @ b)
        if not gradient:
            return value, None
        F2 = self.F.reshape(self.P, -1)
        Z = cho_solve(c, F2).reshape(self.P, self.M, self.N0)
        E = np.einsum("pmn,pkn->mk", self.F, Z, optimize=True)
        Fb = np.einsum("pmn,p->mn", self.F, b)
        E -= Fb @ Fb.T
        return value, 0.5 * (E + E.T)

    # --------------------------------------------------------------- action
    def evaluate_U(self, Us: list[np.ndarray], lams: list[np.ndarray] | None = None,
                   gradient: bool = True) -> Evaluation:
        """S/N and ∂(S/N)/∂U_ℓ at U_1 … U_L (U_a from its closed form)."""
        arch, L = self.arch, self.arch.L
        if lams is None:
            try:
                lams = [np.linalg.cholesky(U) for U in Us]
            except np.linalg.LinAlgError:
                raise NotPositiveDefinite("a U_l is not positive definite") from None
        Ua = readout_overlap(arch, Us[L - 1])
        levels = list(Us) + [np.array([[Ua]]), np.array([[1.0]])]
        chols = list(lams) + [np.array([[np.sqrt(Ua)]]), np.array([[1.0]])]
        heads = tuple(arch.heads) + (1,)
        logdet = [2.0 * np.sum(np.log(np.diag(c))) for c in chols]
        inv = [cho_solve((c, True), np.eye(c.shape[0])) for c in chols]
        entropy = 0.0
        for l in range(L + 1):              # levels 1..L+1 (0-based l)
            tr = np.sum(inv[l + 1] * partial_trace(levels[l], heads[l]))
            s = tr / arch.variances[l] - logdet[l] + heads[l] * logdet[l + 1]
            entropy += arch.widths[l] * s
        energy, E = self.energy(lams[0], gradient)
        grads = []
        if gradient:
            for l in range(L):
                G = arch.widths[l] * (kron_eye(heads[l], inv[l + 1]) / arch.variances[l] - inv[l])
                if l >= 1:
                    ut = partial_trace(levels[l - 1], heads[l - 1])
                    G += arch.widths[l - 1] * (heads[l - 1] * inv[l]
                                               - inv[l] @ ut @ inv[l] / arch.variances[l - 1])
                if l == 0:
                    G = G + E
                grads.append(0.5 * (G + G.T) / self.scale)
        return Evaluation((entropy + energy) / self.scale, entropy / self.scale, energy / self.scale,
                          grads, Ua)

    def __call__(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        """(S/N, ∂(S/N)/∂θ) in the Cholesky parametrisation (for the optimiser)."""
        lams = self.chol.unpack(theta)
        Us = [lam @ lam.T for lam in lams]
        ev = self.evaluate_U(Us, lams)
        return ev.action, self.chol.grad(lams, ev.grads)

    def value(self, theta: np.ndarray) -> float:
        lams = self.chol.unpack(theta)
        return self.evaluate_U([lam @ lam.T for lam in lams], lams, gradient=False).action

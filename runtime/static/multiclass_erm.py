r"""The replica fixed point of K-class ERM with a ridge penalty (STATIC.md §3, §5, §7–8).

Teacher rows of second moment ρ = I_K (Gaussian or ±1: with ridge, ERM sees the teacher only
through ρ and the label law), y = argmax_k z_k.  State: the K×K matrices m (rows student,
columns teacher), q, V; one sweep is

    ω ~ N(0, q) (over the range of q),  z | ω ~ N(Aω, V₀),  A = mᵀq⁺,  V₀ = I − mᵀq⁺m,
    q̂ = α Σ_y ⟨Z₀(y; Aω) f fᵀ⟩,   V̂ = −α Σ_y ⟨Z₀(y; Aω) ∂_ω f⟩,   m̂ = α Σ_y ⟨f ∇_μZ₀(y; Aω)ᵀ⟩,
    V = (λI + V̂)⁻¹,   m = V m̂,   q = V (m̂ m̂ᵀ + q̂) V,

with f = −∇ℓ(y, h*), ∂_ω f = −(I + H V)⁻¹H at the prox h* of the loss (the generated module of
compiler/static/multiclass_loss.py) and Z₀ the max-trick integral of multiclass.py at the
isotropic scale s₀² = tr(P V₀ P)/(K − 1) (its anisotropy is reported; zero at a
permutation-symmetric fixed point, which is measured, not imposed).  The iteration is
x ← (1 − η)F(x) + ηx until Σ|F(x) − x| / Σ|F(x)| < tol.

Quadrature over ξ (ω = Bξ, B = U diag(√λ) from q): ξ is rotated so that its first r₁
coordinates span the normals of the teacher's decision boundaries (μ_i = μ_j, μ = ABξ) and
the rest their complement.  In the face space: r₁ = 1 a graded composite Gauss–Legendre rule,
r₁ = 2 the graded polar rule when a boundary is sharper than ``SHARP`` (else Gauss–Hermite 40²),
r₁ ≥ 3 tensor Gauss–Hermite; in the complement (where only the smooth prox varies; the
square loss's 𝟙-direction) Gauss–Hermite.  A first stage iterates with Gauss–Hermite only,
the accurate rule finishes.

Observables: the test error from the overlaps (multiclass.ArgmaxChannel.test_error, a 2(K−1)-dim
orthant probability), the training loss ⟨Σ_y Z₀ ℓ(y, h*)⟩ on the same nodes, the training
error ⟨Σ_y Z₀ 1{argmax h* ≠ y}⟩ by scrambled Sobol quasi-Monte Carlo in ξ (fixed seed, 2¹⁵
points: an indicator, never Gauss–Hermite), free_energy = α·train_loss + λ/2 tr q, and the
subspace scalars x̄ = tr(P x P)/(K − 1) of m, q, V.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from types import ModuleType

import numpy as np
from scipy.special import ndtri

from .erm import FixedPointError
from .multiclass import (SHARP, ArgmaxChannel, _graded, _rule_tensor, _sharpness, differences,
                         isotropic_scale, projector, rule_polar_faces, z_out)
from .quadrature import gaussian_rule

#: points of the training-error quasi-Monte Carlo (2^QMC_LOG2)
QMC_LOG2 = 15


def subspace(x: np.ndarray) -> float:
    """x̄ = tr(P x P)/(K − 1), the label-relevant scalar of a K×K overlap."""
    K = x.shape[0]
    P = projector(K)
    return float(np.trace(P @ x @ P)) / (K - 1)


@dataclass
class MultiERMPoint:
    m: np.ndarray
    q: np.ndarray
    V: np.ndarray
    mhat: np.ndarray
    qhat: np.ndarray
    Vhat: np.ndarray
    iterations: int
    residual: float
    anisotropy: float
    history: list[float] = field(repr=False, default_factory=list)
    observables: dict = field(default_factory=dict)


def _tensor(r: int, order: int) -> tuple[np.ndarray, np.ndarray]:
    if r == 0:
        return np.zeros((1, 0)), np.ones(1)
    return _rule_tensor(r, order)


def _product(a: tuple, b: tuple) -> tuple[np.ndarray, np.ndarray]:
    (xa, wa), (xb, wb) = a, b
    na, nb = len(wa), len(wb)
    x = np.concatenate([np.repeat(xa, nb, axis=0), np.tile(xb, (na, 1))], axis=1)
    return x, np.repeat(wa, nb) * np.tile(wb, na)


class MulticlassERM:
    """One K-class ERM problem: the loss module (per K), α, λ."""

    def __init__(self, mod: ModuleType, K: int, alpha: float, lam: float, inner_order: int = 40,
                 complement_order: int = 16):
        if mod.K != K:
            raise ValueError(f"the loss module is for K = {mod.K}, not {K}")
        self.mod, self.K, self.alpha, self.lam = mod, int(K), float(alpha), float(lam)
        self.linear = mod.PROX_RULE == "linear"
        self.inner_order, self.complement_order = inner_order, complement_order
        self.channel = ArgmaxChannel(self.K, inner_order)

    # ------------------------------------------------------------------ geometry ---
    def geometry(self, m: np.ndarray, q: np.ndarray):
        """(B, A, s₀, anisotropy): ω = Bξ over the range of q, μ = Aω, V₀'s isotropic scale."""
        K = self.K
        lam, U = np.linalg.eigh(0.5 * (q + q.T))
        keep = lam > 1e-11 * max(lam.max(), 1e-300)
        if not np.any(keep):
            raise FixedPointError("q vanished (no information in the student)", [])
        B = U[:, keep] * np.sqrt(lam[keep])[None, :]
        qplus = (U[:, keep] / lam[keep][None, :]) @ U[:, keep].T
        A = m.T @ qplus
        V0 = np.eye(K) - m.T @ qplus @ m
        V0 = 0.5 * (V0 + V0.T)
        s0, aniso = isotropic_scale(V0)
        if not s0 > 0:
            raise FixedPointError("the teacher's conditional variance V0 is not positive", [])
        return B, A, s0, aniso

    def rule(self, B: np.ndarray, A: np.ndarray, s0: float, sharp_rule: bool):
        """(ξ (n, r), weights, Z₀ (n, K), ∇_μZ₀ (n, K, K)) on the nodes of the module docstring;
        Z₀ depends on ξ only through its face coordinates: computed there, repeated over the
        complement."""
        K, r = B.shape
        C = A @ B                                              # μ = C ξ
        M = differences(K, 0) @ C
        _, sv, Vt = np.linalg.svd(M, full_matrices=True)
        r1 = int(np.sum(sv > 1e-10 * max(sv.max(initial=0.0), 1e-300)))
        R = Vt.T
        Cf = (C @ R)[:, :r1]
        if r1 == 0:
            face = _tensor(0, 0)
        elif r1 == 1:
            xi, w = gaussian_rule(_graded(_sharpness(Cf, s0)))
            face = (xi[:, None], w)
        elif r1 == 2 and sharp_rule and _sharpness(Cf, s0) < SHARP:
            face = rule_polar_faces(Cf, s0)
        else:
            face = _tensor(r1, 40 if r1 == 2 else 12)
        Z, dZ = z_out(face[0] @ Cf.T, s0, self.inner_order)
        comp = _tensor(r - r1, self.complement_order if r - r1 == 1 else 10)
        eta, w = _product(face, comp)
        nc = len(comp[1])
        return eta @ R.T, w, np.repeat(Z, nc, axis=0), np.repeat(dZ, nc, axis=0)

    # ---------------------------------------------------------------------- prox ---
    def prox(self, omega: np.ndarray, c: int, V: np.ndarray):
        n, K = omega.shape
        h, f, df = np.empty((n, K)), np.empty((n, K)), np.empty((n, K, K))
        omega = np.ascontiguousarray(omega)
        worst = (self.mod.prox_linear_k(omega, c, V, h, f, df) if self.linear
                 else self.mod.prox_newton_k(omega, c, V, np.linalg.inv(V), h, f, df))
        if not worst < 1e-8:
            raise FixedPointError(f"the K-dim prox did not converge (|gradient| = {worst:.3g})", [])
        return h, f, df

    def sweep(self, m: np.ndarray, q: np.ndarray, V: np.ndarray, sharp_rule: bool = True):
        """F(m, q, V) and the hats."""
        K, a = self.K, self.alpha
        B, A, s0, aniso = self.geometry(m, q)
        xi, w, Z, dZ = self.rule(B, A, s0, sharp_rule)
        omega = xi @ B.T
        qhat, Vhat, mhat = np.zeros((K, K)), np.zeros((K, K)), np.zeros((K, K))
        for c in range(K):
            _, f, df = self.prox(omega, c, V)
            wz = w * Z[:, c]
            qhat += np.einsum("n,na,nb->ab", wz, f, f)
            Vhat -= np.einsum("n,nab->ab", wz, df)
            mhat += np.einsum("n,na,nb->ab", w, f, dZ[:, c, :])
        qhat, Vhat, mhat = a * 0.5 * (qhat + qhat.T), a * 0.5 * (Vhat + Vhat.T), a * mhat
        V1 = np.linalg.inv(self.lam * np.eye(K) + Vhat)
        V1 = 0.5 * (V1 + V1.T)
        m1 = V1 @ mhat
        q1 = V1 @ (mhat @ mhat.T + qhat) @ V1
        return (m1, 0.5 * (q1 + q1.T), V1), (mhat, qhat, Vhat), aniso

    # --------------------------------------------------------------------- solve ---
    def solve(self, init=None, damping: float = 0.5, tol: float = 1e-9, max_iter: int = 3000,
              observe: bool = True) -> MultiERMPoint:
        """Damped Picard iteration from ``init`` = (m, q, V) (default 0.3P, 0.5P, I); Gauss–Hermite
        until the residual is below max(1e3·tol, 1e-7), then the accurate rule.  ``observe``
        False leaves ``observables`` empty (no training-error QMC, no loss; the test error is
        ``self.channel.test_error(p.m, p.q)``)."""
        K = self.K
        P = projector(K)
        m, q, V = init if init is not None else (0.3 * P, 0.5 * P, np.eye(K))
        history: list[float] = []
        sharp = False
        for it in range(1, max_iter + 1):
            (m1, q1, V1), hats, aniso = self.sweep(m, q, V, sharp)
            new = np.concatenate([m1.ravel(), q1.ravel(), V1.ravel()])
            if not np.all(np.isfinite(new)):
                raise FixedPointError(f"NaN in the K-class ERM fixed point at α = {self.alpha:g}, "
                                      f"λ = {self.lam:g}", history)
            if np.linalg.eigvalsh(V1).min() <= 0 or np.linalg.eigvalsh(q1).min() < -1e-10 * np.abs(q1).max():
                raise FixedPointError("q or V left the positive semi-definite cone; try a larger damping", history)
            old = np.concatenate([m.ravel(), q.ravel(), V.ravel()])
            res = float(np.abs(new - old).sum() / max(np.abs(new).sum(), 1e-300))
            history.append(res)
            m, q, V = ((1.0 - damping) * x1 + damping * x for x1, x in ((m1, m), (q1, q), (V1, V)))
            if not sharp and res < max(1e3 * tol, 1e-7):
                sharp = True
                continue
            if sharp and res < tol:
                (_, _, _), hats, aniso = self.sweep(m, q, V, True)
                p = MultiERMPoint(m, q, V, *hats, iterations=it, residual=res, anisotropy=aniso,
                                  history=history)
                if observe:
                    p.observables = self.observables(p)
                return p
        raise FixedPointError(f"no convergence to {tol:g} at α = {self.alpha:g}, λ = {self.lam:g}; "
                              "try a larger damping or continuation in α", history)

    # --------------------------------------------------------------- observables ---
    def observables(self, p: MultiERMPoint) -> dict:
        K = self.K
        B, A, s0, _ = self.geometry(p.m, p.q)
        xi, w, Z, _ = self.rule(B, A, s0, True)
        omega = xi @ B.T
        loss = 0.0
        val = np.empty(len(w))
        for c in range(K):
            h, _, _ = self.prox(omega, c, p.V)
            self.mod.losses_k(h, np.full(len(w), c, dtype=np.int64), val)
            loss += float(np.sum(w * Z[:, c] * val))
        train_error = self.train_error(p.m, p.q, p.V)
        return {"test_error": self.channel.test_error(p.m, p.q, np.eye(K)), "train_error": train_error,
                "train_loss": loss, "free_energy": self.alpha * loss + 0.5 * self.lam * float(np.trace(p.q)),
                "m": subspace(p.m), "q": subspace(p.q), "V": subspace(p.V),
                "mhat": subspace(p.mhat), "qhat": subspace(p.qhat), "Vhat": subspace(p.Vhat),
                "anisotropy": p.anisotropy}

    def train_error(self, m: np.ndarray, q: np.ndarray, V: np.ndarray) -> float:
        """⟨Σ_y Z₀(y; Aω) 1{argmax h*(ω, y) ≠ y}⟩ by scrambled Sobol QMC in ξ (fixed seed)."""
        from scipy.stats import qmc
        B, A, s0, _ = self.geometry(m, q)
        r = B.shape[1]
        u = qmc.Sobol(r, scramble=True, seed=12345).random_base2(QMC_LOG2)
        omega = ndtri(np.clip(u, 1e-16, 1 - 1e-16)) @ B.T
        Z, _ = z_out(omega @ A.T, s0, self.inner_order)
        err = 0.0
        for c in range(self.K):
            h, _, _ = self.prox(omega, c, V)
            err += float(np.sum(Z[:, c] * (np.argmax(h, axis=1) != c)))
        return err / len(omega)


def solve_k(mod_for_k, K: int, alpha: float, lam: float, **kw) -> MultiERMPoint:
    """The fixed point for K classes; ``mod_for_k(K)`` returns the loss module."""
    return MulticlassERM(mod_for_k(K), K, alpha, lam).solve(**kw)

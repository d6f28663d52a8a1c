r"""Teacher-row priors of the K-class Bayes-optimal state evolution (STATIC.md §6).

A row w ∈ R^K of W* has i.i.d. entries from a declared law; for a discrete law (``rademacher``:
±1 with probability ½) the row's support is the product {values}^K with product weights p_s, and
the prior's partition function and denoiser are sums over it:

    Z_w(b, Â) = Σ_s p_s exp(−½ w_sᵀ Â w_s + bᵀ w_s),     f_w = ∇_b log Z_w = Σ_s π_s w_s,
    π_s ∝ p_s exp(−½ w_sᵀ Â w_s + bᵀ w_s)   (log-sum-exp, no overflow),

    q = P ⟨f_w f_wᵀ⟩ P,   Ψ_w(q̂) = ⟨log Z_w(b, q̂)⟩,   b = q̂ w* + q̂^{1/2} ξ,

averaged over w* (the support, weights p_s) and ξ ~ N(0, I) over the range of q̂ (tensor
Gauss–Hermite).  The labels are invariant under z → z + c𝟙, so q̂𝟙 = 0 and only P q P enters the
channel: the overlap is projected (P = I − 𝟙𝟙ᵀ/K).  Perfect recovery (q = PρP) has free entropy
−H(P w*), the entropy of the label-relevant projection of a row: for ±1 entries the configurations
w and w + c𝟙 with the same projection are ±𝟙 only, H = (K − 2^{1−K}) log 2 (computed here from the
support by grouping equal projections, not from the formula).

Any discrete row law given as (support, weights) is accepted (:class:`DiscreteRowPrior`); e.g. the
binary perceptron with ±1 weights is the K = 2 argmax channel with rows ±(1, −1)/√2 (the tests use
it to reach Györgyi's α_IT through this code).
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy.special import logsumexp

from .quadrature import hermite_rule


def projector(K: int) -> np.ndarray:
    """P = I − 𝟙𝟙ᵀ/K, the projector orthogonal to the label-invariant direction 𝟙."""
    return np.eye(K) - np.full((K, K), 1.0 / K)


def range_factor(S: np.ndarray, cluster: float = 1e-6) -> np.ndarray:
    r"""A (K×r) with A Aᵀ = S on the range of the PSD S (eigenvalues > 1e-12 of the largest), chosen
    as a *continuous* function of S: a quadrature rule mapped by A (ω = A ξ) then varies smoothly with S.

    eigh's eigenvectors are arbitrary inside a (nearly) degenerate eigenspace — and every
    permutation-symmetric K×K overlap (a P + b 𝟙𝟙ᵀ) is degenerate — so U diag(√λ) jumps under a 1e-13
    perturbation and a tensor rule's rounding-level error becomes noise in the map (measured: the ±1
    prior's overlap moved by 3e-8, a floor the SE's 1e-10 tolerance cannot pass).  Here each cluster of
    eigenvalues within a relative ``cluster`` of each other gets the basis Q = the QR factor (positive
    diagonal) of its projector's first columns, and A_c = Q (QᵀSQ)^{1/2} (symmetric square root)."""
    S = 0.5 * (S + S.T)
    lam, U = np.linalg.eigh(S)
    keep = lam > 1e-12 * max(lam.max(), 1e-300)
    lam, U = lam[keep], U[:, keep]
    blocks, start = [], 0
    for i in range(1, lam.size + 1):
        if i == lam.size or lam[i] - lam[i - 1] > cluster * max(lam[-1], 1e-300):
            blocks.append((start, i))
            start = i
    cols = []
    for a, b in blocks:
        Uc = U[:, a:b]
        if b - a == 1:
            cols.append(Uc * np.sqrt(lam[a]))
            continue
        Q, R = np.linalg.qr((Uc @ Uc.T)[:, :b - a])
        if np.min(np.abs(np.diag(R))) < 1e-6:                   # first columns not independent: keep eigh's
            Q = Uc
        else:
            Q = Q * np.sign(np.diag(R))[None, :]
        mu, Vm = np.linalg.eigh(Q.T @ S @ Q)
        cols.append(Q @ (Vm * np.sqrt(np.clip(mu, 0, None))[None, :]) @ Vm.T)
    return np.concatenate(cols, axis=1) if cols else np.zeros((S.shape[0], 0))


def gaussian_prior(qhat: np.ndarray) -> np.ndarray:
    """The Gaussian prior N(0, I_K) of a teacher row: q = ρ − (ρ⁻¹ + q̂)⁻¹ = q̂ (I + q̂)⁻¹."""
    K = qhat.shape[0]
    q = np.eye(K) - np.linalg.inv(np.eye(K) + qhat)
    return 0.5 * (q + q.T)


def gaussian_psi(qhat: np.ndarray) -> float:
    """Ψ_w(q̂) = ⟨log Z_w⟩ for the N(0, I_K) prior: ½ tr q̂ − ½ log det(I + q̂)."""
    return float(0.5 * np.trace(qhat) - 0.5 * np.linalg.slogdet(np.eye(qhat.shape[0]) + qhat)[1])



#: discrete laws of one teacher entry: name → (values, probabilities)
ENTRY_LAWS: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    "rademacher": ((-1.0, 1.0), (0.5, 0.5)),
}


@dataclass(frozen=True)
class DiscreteRowPrior:
    """A discrete prior on rows w ∈ R^K: ``support`` (S, K) and ``weights`` (S,)."""

    support: np.ndarray
    weights: np.ndarray
    order: int = 40                 # Gauss–Hermite points per dimension of the range of q̂ (1-D: 3×)

    @classmethod
    def iid(cls, values, probs, K: int, order: int = 40) -> "DiscreteRowPrior":
        rows = np.array(list(itertools.product(values, repeat=K)), dtype=float)
        w = np.array([np.prod(c) for c in itertools.product(probs, repeat=K)])
        return cls(rows, w, order)

    @property
    def K(self) -> int:
        return self.support.shape[1]

    @cached_property
    def entropy(self) -> float:
        """H(P w*): the entropy of the label-relevant projection of a row."""
        proj = np.round(self.support @ projector(self.K), 12)
        _, inv = np.unique(proj, axis=0, return_inverse=True)
        p = np.bincount(inv.ravel(), weights=self.weights)
        p = p[p > 0]
        return float(-np.sum(p * np.log(p)))

    def _nodes(self, qhat: np.ndarray):
        A = range_factor(qhat)
        r = A.shape[1]
        x, w = hermite_rule(3 * self.order if r == 1 else self.order if r == 2 else 12)
        if r == 0:
            return np.zeros((1, self.K)), np.ones(1)
        grids = np.meshgrid(*([x] * r), indexing="ij")
        wg = np.meshgrid(*([w] * r), indexing="ij")
        eta = np.stack([g.ravel() for g in grids], axis=1)
        return eta @ A.T, np.prod(np.stack([g.ravel() for g in wg]), 0)

    def _posterior(self, b: np.ndarray, qhat: np.ndarray):
        """(log Z_w (n,), posterior mean (n, K)) at the fields b (n, K)."""
        quad = -0.5 * np.einsum("sa,ab,sb->s", self.support, qhat, self.support)
        e = b @ self.support.T + quad[None, :] + np.log(self.weights)[None, :]
        logz = logsumexp(e, axis=1)
        pi = np.exp(e - logz[:, None])
        return logz, pi @ self.support

    def denoise(self, gamma: np.ndarray, lam: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """GAMP's prior denoiser at fields γ (d, K) and precision Λ (K×K): the posterior means
        f_w(γ_i, Λ) = Σ_s π_s w_s (the posterior of :meth:`_posterior`, which ``overlap`` averages)
        and the mean posterior covariance (1/d) Σ_i (Σ_s π_{i,s} w_s w_sᵀ − f_w f_wᵀ)."""
        quad = -0.5 * np.einsum("sa,ab,sb->s", self.support, lam, self.support)
        e = gamma @ self.support.T + quad[None, :] + np.log(self.weights)[None, :]
        pi = np.exp(e - logsumexp(e, axis=1)[:, None])
        f = pi @ self.support
        second = (self.support.T * pi.sum(0)[None, :]) @ self.support
        C = (second - f.T @ f) / len(gamma)
        return f, 0.5 * (C + C.T)

    def sample(self, rng: np.random.Generator, d: int) -> np.ndarray:
        """d teacher rows drawn from the prior (d, K)."""
        return self.support[rng.choice(len(self.weights), size=d, p=self.weights)]

    def _average(self, qhat: np.ndarray, fn):
        noise, wn = self._nodes(qhat)
        total = 0.0
        for ws, ps in zip(self.support, self.weights):
            b = (qhat @ ws)[None, :] + noise
            total = total + ps * fn(*self._posterior(b, qhat), wn)
        return total

    def overlap(self, qhat: np.ndarray) -> np.ndarray:
        """q = P ⟨f_w f_wᵀ⟩ P."""
        P = projector(self.K)
        q = self._average(qhat, lambda logz, f, w: np.einsum("n,na,nb->ab", w, f, f))
        q = P @ q @ P
        return 0.5 * (q + q.T)

    def psi(self, qhat: np.ndarray) -> float:
        """Ψ_w(q̂) = ⟨log Z_w⟩."""
        return float(self._average(qhat, lambda logz, f, w: w @ logz))


@dataclass(frozen=True)
class GaussianRowPrior:
    """N(0, I_K) rows: q = q̂(I + q̂)⁻¹, Ψ_w = ½ tr q̂ − ½ log det(I + q̂); continuous (no perfect state)."""

    K: int
    entropy = None

    def overlap(self, qhat: np.ndarray) -> np.ndarray:
        return gaussian_prior(qhat)

    def psi(self, qhat: np.ndarray) -> float:
        return gaussian_psi(qhat)

    def denoise(self, gamma: np.ndarray, lam: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """GAMP's prior denoiser for N(0, I_K) rows: the posterior N((I + Λ)⁻¹γ, (I + Λ)⁻¹) of a row
        given γ = Λw + N(0, Λ) (the Gaussian ``overlap`` is its second moment); rows of ``gamma``."""
        C = np.linalg.inv(np.eye(self.K) + 0.5 * (lam + lam.T))
        C = 0.5 * (C + C.T)
        return gamma @ C, C

    def sample(self, rng: np.random.Generator, d: int) -> np.ndarray:
        return rng.standard_normal((d, self.K))


def row_prior(name: "str | DiscreteRowPrior | GaussianRowPrior", K: int):
    """The row prior of a declared teacher law (``gaussian`` or an ``ENTRY_LAWS`` name), or an
    explicit prior object (returned as is)."""
    if not isinstance(name, str):
        return name
    if name == "gaussian":
        return GaussianRowPrior(K)
    if name in ENTRY_LAWS:
        return DiscreteRowPrior.iid(*ENTRY_LAWS[name], K)
    raise KeyError(f"unknown K-class teacher prior {name!r}; known: gaussian, {', '.join(ENTRY_LAWS)}")

r"""Bayes-optimal state evolution of the K-class teacher–student perceptron (STATIC.md §5–6).

Teacher W* ∈ R^{K×N} with i.i.d. N(0, 1) rows (ρ = I_K), label y = argmax_k z_k, z = W*x/√N.
The overlaps are K×K matrices; with Nishimori's identities (m = q, V = ρ − q, m̂ = q̂ = V̂)

    q̂ = α Σ_k ⟨ Z_k(ω) g_k g_kᵀ ⟩_{ω ~ N(0, q)},   g_k = ∇_ω log Z_k,   (channel)
    q  = ρ − (ρ⁻¹ + q̂)⁻¹ = q̂ (I + q̂)⁻¹                                 (Gaussian prior)

with Z_k(ω) = P(argmax z = k), z ~ N(ω, V).  Nothing below assumes permutation symmetry of
q: it is measured.

Channel ("max" trick).  Z_k depends on V only through the covariance of the differences
D_j = z_k − z_j, i.e. through P V P (P = I − 𝟙𝟙ᵀ/K).  When P V P = s² P the differences are
D_j = s(e_j + τ) + (μ_k − μ_j) with e_j, τ i.i.d. N(0, 1) (Cov = s²(I + 𝟙𝟙ᵀ)), and conditioning
on τ = −t gives the exact 1-D integral

    Z_k(μ) = ∫ Dt Π_{j≠k} Φ(a_j + t),   a_j = (μ_k − μ_j)/s,
    ∂Z_k/∂μ_j = −(1/s) ∫ Dt φ(a_j + t) Π_{l≠k,j} Φ(a_l + t)   (j ≠ k),   ∂Z_k/∂μ_k = −Σ_{j≠k} ∂Z_k/∂μ_j.

s² = tr(P V P)/(K − 1); the relative anisotropy ‖P V P − s² P‖/s² is reported (at a Gaussian-prior
fixed point it is zero up to quadrature rounding).  The t-integral is Gauss–Hermite (Φ is entire:
exponential convergence; checked against Φ(a/√2) at K = 2 and Monte Carlo at K = 3 in the tests).

Outer ω-integral over the range of q (rank r = K − 1; the 𝟙-direction carries no information:
the labels are invariant under z → z + c𝟙, so q̂𝟙 = 0 and q𝟙 = 0), ω = U diag(√λ) ξ:

* r = 1 — composite Gauss–Legendre in ξ with panels graded down to the width s/√λ of the
  decision boundary (exact to rounding at every α, like the binary channel);
* r = 2 — smooth integrand (boundary width ≥ ``SHARP``): tensor Gauss–Hermite 40²; sharp:
  polar coordinates ξ = ρ(cos θ, sin θ): the decision boundaries ω_i = ω_j are rays,
  the radial weight ρe^{−ρ²/2} is smooth (Gauss–Legendre), and in θ the panels are graded
  around every ray down to the width s/(ρ√λ) at that radius;
* r ≥ 3 — tensor Gauss–Hermite (accuracy reported by the caller through a node-doubling check).

Test error of the Bayes-optimal classifier argmax ω̂ (also of any estimator with overlaps
m, q): 1 − ε = Σ_k P(ω_k > ω_j ∀j, z_k > z_j ∀j), (ω, z) ~ N(0, [[q, m], [mᵀ, ρ]]), a
2(K − 1)-dimensional orthant probability of differences (orthant.py: K = 2 closed form,
K = 3 Plackett's reduction to a 1-D integral, ~1e-13; K ≥ 4 scipy's Genz integration).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from scipy.special import ndtr

from .erm import FixedPointError
from .orthant import orthant
from .multiclass_prior import gaussian_prior, gaussian_psi, projector, range_factor, row_prior  # noqa: F401
from .quadrature import gaussian_rule, hermite_rule

_INV_SQRT_2PI = 1.0 / np.sqrt(2.0 * np.pi)


def differences(K: int, k: int) -> np.ndarray:
    """The (K−1)×K matrix Δ_k with (Δ_k v)_j = v_k − v_j, j ≠ k."""
    rows = [j for j in range(K) if j != k]
    D = np.zeros((K - 1, K))
    D[:, k] = 1.0
    D[np.arange(K - 1), rows] = -1.0
    return D


def isotropic_scale(V: np.ndarray) -> tuple[float, float]:
    """(s, anisotropy): s² = tr(P V P)/(K − 1), anisotropy = ‖P V P − s² P‖_F / s²."""
    K = V.shape[0]
    P = projector(K)
    PVP = P @ V @ P
    s2 = float(np.trace(PVP)) / (K - 1)
    return float(np.sqrt(s2)), float(np.linalg.norm(PVP - s2 * P) / s2)


@lru_cache(maxsize=None)
def _inner_rule(order: int) -> tuple[np.ndarray, np.ndarray]:
    return hermite_rule(order)


def z_out(mu: np.ndarray, s: float, order: int = 40) -> tuple[np.ndarray, np.ndarray]:
    r"""Z_k(μ) for all k and ∂Z_k/∂μ_j, by the max trick (module docstring).

    mu: (n, K) → Z (n, K), dZ (n, K, K) with dZ[:, k, j] = ∂Z_k/∂μ_j."""
    t, wt = _inner_rule(order)
    n, K = mu.shape
    Z = np.empty((n, K))
    dZ = np.empty((n, K, K))
    for k in range(K):
        a = (mu[:, k:k + 1] - mu) / s                          # (n, K), a_k = 0 (unused)
        x = a[:, :, None] + t[None, None, :]                   # (n, K, T)
        cdf = ndtr(x)
        cdf[:, k, :] = 1.0
        logc = np.log(np.maximum(cdf, 1e-300))
        total = logc.sum(axis=1)                               # log Π_{j≠k} Φ(a_j + t)
        Z[:, k] = np.exp(total) @ wt
        pdf = np.exp(-0.5 * x * x) * _INV_SQRT_2PI
        # Π_{l≠k,j} Φ(a_l + t) φ(a_j + t) = exp(total − log Φ_j) φ_j
        G = (np.exp(total[:, None, :] - logc) * pdf) @ wt      # (n, K): G_j
        G[:, k] = 0.0
        dZ[:, k, :] = -G / s
        dZ[:, k, k] = G.sum(axis=1) / s
    return Z, dZ


def gout_label(y: np.ndarray, mu: np.ndarray, s: float, order: int = 40,
               newton: int = 5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""The channel function of GAMP: log Z_y(μ), g = ∇_μ log Z_y and its Jacobian ∂_μ g at each
    sample's own label — the same max-trick integral as :func:`z_out` (module docstring), with
    its Hessian, evaluated stably far from the decision boundary.

    With a_j = (μ_y − μ_j)/s (j ≠ y) and ℓ(t) = −t²/2 + Σ_j log Φ(a_j + t),
    Z_y = ∫ e^{ℓ(t)} dt/√(2π).  The t-rule is Gauss–Hermite re-centred at the maximum t₀ of ℓ
    (Newton; ℓ is concave) and scaled by σ = (−ℓ″(t₀))^{-1/2} (Laplace-adapted: exact for a
    Gaussian integrand, so a misclassified sample with Z_y ~ e^{−100} is as accurate as one at
    the boundary; plain Gauss–Hermite at t₀ = 0 loses it).  With the weights π_i of the nodes
    (normalised, log-sum-exp) and r_j = φ(a_j + t)/Φ(a_j + t):

        ∂_{a_j} Z / Z = E_π[r_j],   ∂²_{a_i a_j} Z / Z = E_π[r_i r_j] (i ≠ j),
        ∂²_{a_j} Z / Z = −E_π[(a_j + t) r_j],

    and with a = Δ_y μ/s (Δ_y = :func:`differences`): g = Δ_yᵀ ∇_a log Z / s,
    ∂_μ g = Δ_yᵀ (∇²_a Z/Z − ∇_a log Z ∇_a log Zᵀ) Δ_y / s² (negative semi-definite: Z_y is the
    Gaussian measure of a convex cone, log-concave in its shift).

    y: (n,) labels 0..K−1; mu: (n, K) → log Z (n,), g (n, K), dg (n, K, K)."""
    from scipy.special import log_ndtr, logsumexp
    u, w = _inner_rule(order)
    n, K = mu.shape
    rows = np.arange(n)
    others = np.array([[j for j in range(K) if j != k] for k in range(K)])[y]      # (n, K−1)
    a = (mu[rows, y][:, None] - mu[rows[:, None], others]) / s                     # (n, K−1)

    half_log_2pi = 0.5 * np.log(2.0 * np.pi)

    def mills(x, logcdf=None):                                # φ(x)/Φ(x), stable for x → −∞
        return np.exp(-0.5 * x * x - half_log_2pi - (log_ndtr(x) if logcdf is None else logcdf))

    t0 = np.zeros(n)
    for _ in range(newton):                                   # maximise the concave ℓ
        x = a + t0[:, None]
        r = mills(x)
        t0 = t0 + (r.sum(1) - t0) / (1.0 + (r * (x + r)).sum(1))
    x = a + t0[:, None]
    r = mills(x)
    sig = 1.0 / np.sqrt(1.0 + (r * (x + r)).sum(1))           # (n,)
    t = t0[:, None] + sig[:, None] * u[None, :]               # (n, T)
    xt = a[:, :, None] + t[:, None, :]                        # (n, K−1, T)
    lc = log_ndtr(xt)
    ell = -0.5 * t * t + lc.sum(1) + 0.5 * u[None, :] ** 2 + np.log(w)[None, :]
    logz = logsumexp(ell, axis=1)
    pi = np.exp(ell - logz[:, None])                          # (n, T)
    logz = logz + np.log(sig)
    rt = mills(xt, lc)                                        # (n, K−1, T)
    ga = np.einsum("nt,njt->nj", pi, rt)                      # ∇_a log Z
    Ha = np.einsum("nt,nit,njt->nij", pi, rt, rt)             # E[r_i r_j]
    diag = -np.einsum("nt,njt->nj", pi, xt * rt)
    idx = np.arange(K - 1)
    Ha[:, idx, idx] = diag
    Ja = Ha - ga[:, :, None] * ga[:, None, :]                 # ∇²_a log Z
    D = np.zeros((n, K - 1, K))                               # Δ_y per sample
    D[rows, :, y] = 1.0
    D[rows[:, None], idx[None, :], others] = -1.0
    Dt = np.swapaxes(D, 1, 2)
    g = (Dt @ ga[:, :, None])[:, :, 0] / s
    dg = Dt @ Ja @ D / (s * s)
    return logz, g, dg


def fisher(omega: np.ndarray, weights: np.ndarray, s: float, order: int = 40) -> np.ndarray:
    """Σ_n w_n Σ_k ∇Z_k ∇Z_kᵀ / Z_k at the nodes ω_n (= Σ_k ⟨Z_k g_k g_kᵀ⟩; Z_k = 0 contributes 0)."""
    Z, dZ = z_out(omega, s, order)
    inv = np.where(Z > 1e-300, 1.0 / np.maximum(Z, 1e-300), 0.0)
    M = np.einsum("n,nk,nki,nkj->ij", weights, inv, dZ, dZ)
    return 0.5 * (M + M.T)


def _graded(width: float, top: float = 2.0) -> np.ndarray:
    """Panel edges ±width·2^i around 0 up to ±top (a feature of that width at 0)."""
    if not width < top:
        return np.zeros(1)
    k = width * 2.0 ** np.arange(-2, int(np.ceil(np.log2(top / width))) + 1)
    return np.concatenate([[0.0], k, -k])


def _faces(A: np.ndarray) -> list[np.ndarray]:
    """Normals v (ω_i − ω_j = v·ξ) of the decision boundaries for ω = A ξ."""
    K = A.shape[0]
    out = [A[i] - A[j] for i in range(K) for j in range(i + 1, K)]
    return [v for v in out if np.linalg.norm(v) > 1e-14]


def _sharpness(A: np.ndarray, s: float) -> float:
    """The narrowest boundary width s/|v| in ξ units (a_j = (ω_k − ω_j)/s changes by 1)."""
    return min((s / np.linalg.norm(v) for v in _faces(A)), default=1.0)


def _rule_1d(scale: float) -> tuple[np.ndarray, np.ndarray]:
    xi, w = gaussian_rule(_graded(scale))
    return xi[:, None], w


def _rule_polar(U: np.ndarray, lam: np.ndarray, s: float, order: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """Nodes ξ ∈ R² (rows) and weights for ∫ Dξ F(U diag(√λ) ξ), graded around the rays where
    ω_i = ω_j (see the module docstring); ``order``: Gauss–Legendre points per panel."""
    return rule_polar_faces(U * np.sqrt(lam)[None, :], s, order)


def rule_polar_faces(A: np.ndarray, s: float, order: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """Nodes ξ ∈ R² and weights for ∫ Dξ F(ξ) where F is sharp (width s) across the rays
    (A_i − A_j)·ξ = 0 (A: K×2; the decision boundaries of μ = A ξ)."""
    rays = []
    for v in _faces(A):                                        # ω_i − ω_j = v·ξ
        th = np.arctan2(v[0], -v[1])                           # v·(cos θ, sin θ) = 0
        rays += [th % (2 * np.pi), (th + np.pi) % (2 * np.pi)]
    rays = np.asarray(rays)
    sharp = _sharpness(A, s)
    x, w = np.polynomial.legendre.leggauss(order)
    edges_r = np.array([0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0, 6.0, 7.5, 9.0])
    pts, wts = [], []
    for lo, hi in zip(edges_r[:-1], edges_r[1:]):
        r = 0.5 * (hi + lo) + 0.5 * (hi - lo) * x
        wr = 0.5 * (hi - lo) * w * r * np.exp(-0.5 * r * r) / (2 * np.pi)
        for ri, wri in zip(r, wr):
            g = _graded(sharp / ri, top=0.5)                   # angular width of a boundary
            e = np.unique(np.mod(np.concatenate([np.linspace(0.0, 2 * np.pi, 13),
                                                 (rays[:, None] + g[None, :]).ravel()]), 2 * np.pi))
            e = np.concatenate([e, [e[0] + 2 * np.pi]])
            lo_t, hi_t = e[:-1], e[1:]
            keep = hi_t - lo_t > 1e-13
            lo_t, hi_t = lo_t[keep], hi_t[keep]
            th_n = (0.5 * (hi_t + lo_t)[:, None] + 0.5 * (hi_t - lo_t)[:, None] * x[None, :]).ravel()
            w_n = (0.5 * (hi_t - lo_t)[:, None] * w[None, :]).ravel()
            pts.append(ri * np.stack([np.cos(th_n), np.sin(th_n)], axis=1))
            wts.append(wri * w_n)
    return np.concatenate(pts), np.concatenate(wts)


#: below this boundary width (ξ units) the 2-D rule is the graded polar one, above it tensor
#: Gauss–Hermite (smooth integrand: 40² nodes agree with 80² to 1e-11 at width 0.6)
SHARP = 0.4


def _rule_tensor(r: int, order: int) -> tuple[np.ndarray, np.ndarray]:
    x, w = hermite_rule(order)
    grids = np.meshgrid(*([x] * r), indexing="ij")
    wg = np.meshgrid(*([w] * r), indexing="ij")
    return np.stack([g.ravel() for g in grids], axis=1), np.prod(np.stack([g.ravel() for g in wg]), axis=0)


def omega_nodes(q: np.ndarray, s: float, tensor_order: int = 14,
                sharp_rule: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Nodes ω (n, K) and weights for ⟨F(ω)⟩, ω ~ N(0, q), over the range of q (``sharp_rule``
    False: tensor Gauss–Hermite 40² at K = 3 even for a sharp integrand — a cheap first stage)."""
    A = range_factor(q)                     # ω = A ξ, continuous in q (degenerate eigenspaces)
    r = A.shape[1]
    if r == 0:
        return np.zeros((1, q.shape[0])), np.ones(1)
    if r == 1:
        xi, w = _rule_1d(_sharpness(A, s))
    elif r == 2 and sharp_rule and _sharpness(A, s) < SHARP:
        xi, w = rule_polar_faces(A, s)
    else:
        xi, w = _rule_tensor(r, tensor_order if r > 2 else 40)
    return xi @ A.T, w


@dataclass(frozen=True)
class ArgmaxChannel:
    """y = argmax_k z_k for a teacher with ρ = I_K (registry entry ``argmax``)."""

    K: int
    inner_order: int = 40
    tensor_order: int = 14
    sharp_rule: bool = True

    def bo_qhat(self, q: np.ndarray) -> tuple[np.ndarray, float]:
        """(Σ_k ⟨Z_k g_k g_kᵀ⟩, anisotropy of P V P) at V = I − q (to be multiplied by α)."""
        V = np.eye(self.K) - q
        s, aniso = isotropic_scale(V)
        om, w = omega_nodes(q, s, self.tensor_order, self.sharp_rule)
        return fisher(om, w, s, self.inner_order), aniso

    def psi_out(self, q: np.ndarray) -> float:
        """Ψ_out(q) = Σ_k ⟨Z_k log Z_k⟩_{ω ~ N(0, q)} at V = I − q (0 log 0 = 0)."""
        s, _ = isotropic_scale(np.eye(self.K) - q)
        om, w = omega_nodes(q, s, self.tensor_order, self.sharp_rule)
        Z, _ = z_out(om, s, self.inner_order)
        return float(w @ np.sum(np.where(Z > 0, Z * np.log(np.maximum(Z, 1e-300)), 0.0), axis=1))

    def test_error(self, m: np.ndarray, q: np.ndarray, rho: np.ndarray | None = None, abseps: float = 1e-9,
                   maxpts: int = 200_000) -> float:
        """ε = 1 − Σ_k P(Δ_k ω > 0, Δ_k z > 0), (ω, z) ~ N(0, [[q, m], [mᵀ, ρ]]): a 2(K − 1)-dim
        centred orthant probability per class (orthant.py: K = 2 closed form, K = 3 Plackett's
        1-D integral to ~1e-13, K ≥ 4 Genz to ``abseps`` with at most ``maxpts`` × 2(K − 1) points)."""
        K = self.K
        rho = np.eye(K) if rho is None else rho
        C = np.block([[q, m], [m.T, rho]])
        ok = 0.0
        for k in range(K):
            D = differences(K, k)
            T = np.block([[D, np.zeros_like(D)], [np.zeros_like(D), D]])
            S = T @ C @ T.T
            S = 0.5 * (S + S.T) + 1e-14 * np.eye(2 * K - 2)
            ok += orthant(S, abseps=abseps, maxpts=maxpts)
        return float(1.0 - ok)


# the registry of row priors (Gaussian, discrete laws from the declared distribution):
# multiclass_prior.row_prior


def free_entropy_k(ch: "ArgmaxChannel", prior, alpha: float, q: np.ndarray, qhat: np.ndarray) -> float:
    """Φ(q, q̂) = −½ tr(q q̂) + Ψ_w(q̂) + α Ψ_out(q) per input coordinate (STATIC.md §6);
    stationary in q and q̂ at a fixed point of the SE (K = 2: the binary perceptron's Φ).
    ``prior``: a name (``gaussian``, ``rademacher``) or a row-prior object (multiclass_prior.py)."""
    return float(-0.5 * np.trace(q @ qhat) + row_prior(prior, q.shape[0]).psi(qhat) + alpha * ch.psi_out(q))


#: 1 − q̄ below this is perfect recovery (a discrete prior): the channel is not evaluated there
PERFECT = 1e-10


@dataclass
class MultiBOPoint:
    q: np.ndarray
    qhat: np.ndarray
    test_error: float
    iterations: int
    residual: float
    anisotropy: float
    history: list[float] = field(repr=False, default_factory=list)
    free_entropy: float = float("nan")
    perfect: bool = False

    @property
    def qbar(self) -> float:
        """tr(P q P)/(K − 1): the overlap in the label-relevant subspace (K = 2: the binary q)."""
        K = self.q.shape[0]
        P = projector(K)
        return float(np.trace(P @ self.q @ P)) / (K - 1)


def bayes_optimal_k(K: int, alpha: float, prior="gaussian", damping: float = 0.3,
                    tol: float = 1e-10, max_iter: int = 2000, start: float = 1e-6,
                    channel: ArgmaxChannel | None = None) -> MultiBOPoint:
    """The K×K state evolution from q = start·P (damped: q ← (1−η)F(q) + ηq).  K = 3: a first
    stage with the cheap tensor rule to 1e-7, then the accurate rule (undamped) to ``tol``.
    A discrete prior may reach perfect recovery (q̄ = 1): flagged, Φ = −H(P w*)."""
    if K < 2:
        raise ValueError(f"the argmax channel needs K >= 2 classes, got K = {K}")
    ch = channel or ArgmaxChannel(K)
    q = start * projector(K)
    it0 = 0
    if K == 3 and ch.sharp_rule and tol < 1e-7:
        first = _iterate(ArgmaxChannel(K, ch.inner_order, ch.tensor_order, False), K, alpha, prior,
                         damping, 1e-7, max_iter, q)
        if first.perfect:
            return first
        q, it0, damping = first.q, first.iterations, 0.0
    p = _iterate(ch, K, alpha, prior, damping, tol, max_iter, q)
    p.iterations += it0
    return p


def bayes_optimal_k_branches(K: int, alpha: float, prior="gaussian", **kw) -> dict[str, MultiBOPoint]:
    """The SE from the uninformed (q = 10⁻⁶P) and the informed (q = (1 − 10⁻⁶)P) start."""
    return {"uninformed": bayes_optimal_k(K, alpha, prior, start=1e-6, **kw),
            "informed": bayes_optimal_k(K, alpha, prior, start=1.0 - 1e-6, **kw)}


def _iterate(ch: ArgmaxChannel, K: int, alpha: float, prior, damping: float, tol: float,
             max_iter: int, q: np.ndarray) -> MultiBOPoint:
    pr = row_prior(prior, K)
    P = projector(K)
    history: list[float] = []
    aniso = 0.0
    for it in range(1, max_iter + 1):
        if pr.entropy is not None and 1.0 - np.trace(P @ q @ P) / (K - 1) < PERFECT:
            return MultiBOPoint(P.copy(), np.full((K, K), np.inf), 0.0, it, 0.0, 0.0, history, -pr.entropy, True)
        M, aniso = ch.bo_qhat(q)
        q1 = pr.overlap(alpha * M)
        if not np.all(np.isfinite(q1)):
            raise FixedPointError(f"NaN in the K-class BO state evolution at α = {alpha:g}", history)
        res = float(np.abs(q1 - q).sum())
        history.append(res)
        q = (1.0 - damping) * q1 + damping * q
        if res < tol:
            if pr.entropy is not None and 1.0 - np.trace(P @ q @ P) / (K - 1) < PERFECT:
                continue
            M, aniso = ch.bo_qhat(q)
            return MultiBOPoint(q, alpha * M, ch.test_error(q, q), it, res, aniso, history,
                                free_entropy_k(ch, pr, alpha, q, alpha * M))
    raise FixedPointError(f"K-class BO state evolution did not converge at α = {alpha:g}", history)


def alpha_it_k(K: int, prior, lo: float, hi: float, tol: float = 1e-5, **kw) -> float:
    """α_IT: the root of Φ(low branch) + H(P w*) in (lo, hi), both below the spinodal (Brent on the
    uninformed-start SE)."""
    from scipy.optimize import brentq
    H = row_prior(prior, K).entropy
    kw = {"max_iter": 50_000, "tol": 1e-10} | kw

    def gap(a):
        p = bayes_optimal_k(K, a, prior, **kw)
        if p.perfect:
            raise ValueError(f"α = {a:g} is above the spinodal: the uninformed start reaches perfect recovery")
        return p.free_entropy + H
    return float(brentq(gap, lo, hi, xtol=tol))


def transition_k(K: int, prior, lo: float, hi: float, tol: float = 1e-4, **kw) -> dict:
    """First-order transition of a discrete prior (STATIC.md §6, §8): the spinodal α_sp (the
    largest α at which the uninformed start stays on the low-error branch; bisection on the
    outcome) and α_IT, the root of Φ(low branch) + H(P w*) = 0 in (lo, α_sp) (Brent).  ``lo`` must
    lie on the low branch with Φ_low > −H, ``hi`` above the spinodal."""
    from scipy.optimize import brentq
    H = row_prior(prior, K).entropy
    kw = {"max_iter": 50_000, "tol": 1e-9} | kw          # critical slowing down near the spinodal
    low = lambda a: bayes_optimal_k(K, a, prior, **kw)
    a, b = lo, hi
    if low(a).perfect or not low(b).perfect:
        raise ValueError(f"the uninformed start must stay low at α = {lo:g} and reach perfect recovery at {hi:g}")
    while b - a > tol:
        mid = 0.5 * (a + b)
        if low(mid).perfect:
            b = mid
        else:
            a = mid
    alpha_sp = a
    gap = lambda x: low(x).free_entropy + H
    if gap(lo) < 0 or gap(alpha_sp) > 0:
        raise ValueError("Φ_low + H does not change sign between lo and the spinodal")
    alpha_it = brentq(gap, lo, alpha_sp, xtol=tol)
    return {"alpha_IT": float(alpha_it), "alpha_sp": float(alpha_sp), "entropy": float(H)}


def branch_curve_k(K: int, prior, qbars, channel: ArgmaxChannel | None = None) -> dict[str, np.ndarray]:
    """Every fixed point of the permutation-symmetric SE, stable or not (STATIC.md §6 "branch trick").

    At q = q̄P the channel's Fisher matrix is c(q̄)·P per unit α (measured: its anisotropy is rounding),
    and the prior maps q̂ = q̂̄P to q = F(q̂̄)P; so q̄ is a fixed point at α(q̄) = F⁻¹(q̄)/c(q̄).  Returns
    α, q̂̄, the test error and Φ along ``qbars``: the low-error branch rises to the spinodal (the maximum
    of α(q̄)), the unstable branch comes back; α_IT is where Φ + H(P w*) = 0 on the low branch."""
    from scipy.optimize import brentq
    ch = channel or ArgmaxChannel(K)
    pr = row_prior(prior, K)
    P = projector(K)
    F = lambda qh: float(np.trace(P @ pr.overlap(qh * P) @ P)) / (K - 1)
    rows = []
    for qb in qbars:
        M, _ = ch.bo_qhat(qb * P)
        c = float(np.trace(M)) / (K - 1)
        hi = 1.0
        while F(hi) < qb:
            hi *= 2.0
        qh = brentq(lambda x: F(x) - qb, 0.0, hi, xtol=1e-13, rtol=1e-13)
        alpha = qh / c
        phi = free_entropy_k(ch, pr, alpha, qb * P, qh * P)
        rows.append((alpha, qh, ch.test_error(qb * P, qb * P), phi))
    a = np.array(rows)
    return {"qbar": np.asarray(qbars, float), "alpha": a[:, 0], "qhat": a[:, 1], "test_error": a[:, 2],
            "free_entropy": a[:, 3]}


def transition_from_branch(curve: dict, entropy: float) -> dict[str, float]:
    """α_sp = max α along the branch curve (parabolic refinement of the grid maximum) and α_IT, the α
    where Φ + H changes sign on the low branch (linear interpolation in q̄ of Φ + H and of α)."""
    a, qb, g = curve["alpha"], curve["qbar"], curve["free_entropy"] + entropy
    i = int(np.argmax(a))
    if 0 < i < len(a) - 1:                                   # parabola through the three points around the max
        c2, c1, c0 = np.polyfit(qb[i - 1:i + 2], a[i - 1:i + 2], 2)
        a_sp = float(c0 - c1 * c1 / (4 * c2))
    else:
        a_sp = float(a[i])
    low_g, low_a = g[:i + 1], a[:i + 1]
    j = np.nonzero(np.sign(low_g[:-1]) != np.sign(low_g[1:]))[0]
    if len(j) == 0:
        return {"alpha_sp": a_sp, "alpha_IT": float("nan")}
    j = j[0]
    t = low_g[j] / (low_g[j] - low_g[j + 1])
    return {"alpha_sp": a_sp, "alpha_IT": float(low_a[j] + t * (low_a[j + 1] - low_a[j]))}

"""Structured input covariance (DMFT.md §2.3): x ~ N(0, Σ) with Σ given by its spectrum.

Spectrum: S levels σ_s > 0, each holding a fraction p_s of the N coordinates (Σ p_s = 1), and
the teacher's second moment θ²_s in that eigen-direction (E_p[θ²] = 1, so |w*|²/N = 1). In the
eigenbasis x_i = √σ_i z_i, the teacher field is h* = w*·x/√N with variance ρ* = E_p[σ θ²], and
labels y = φ(h*) (the GLM teachers of teachers.py, on h* instead of a unit-variance τ).

Weight side, per coordinate of level σ (linear for the ridge), with w_i(0) = m0 w*_i + u_i,
u_i ~ N(0, Q0 − m0²) (the identity case's warm start):

    w_i(k) = a_σ(k) w*_i + A_σ(k) u_i − η√σ Σ_{j<k} R_σ(k, j) ν_i(j) (+ Langevin),
    A_σ(k+1) = (1 − ηλ) A_σ(k) − ηασ Σ_{j≤k} Γ(k, j) A_σ(j),          A_σ(0) = 1,
    a_σ(k+1) = (1 − ηλ) a_σ(k) − ηασ (Σ_{j≤k} Γ(k, j) a_σ(j) + Γ*(k)),   a_σ(0) = m0,
    R_σ(k+1, k) = 1,  R_σ(k+1, j) = (1 − ηλ) R_σ(k, j) − ηασ Σ_{l=j+1}^{k} Γ(k, l) R_σ(l, j),

with Cov(ν(k), ν(l)) = α E[g(k) g(l)] and Γ*(k) = E[∂g(k)/∂h* | ω] obtained by Gaussian
integration by parts from the sample process: E[h* g(k)] = ρ* Γ*(k) + Σ_{j≤k} C*(j) Γ(k, j).

Sample side: the field ω(k) = w(k)·x/√N and h* are jointly Gaussian with
C(k, l) = E_p[σ w(k) w(l)] = E_p[σ (θ² a(k)a(l) + (Q0 − m0²) A(k)A(l))] + η²α E_p[σ² R(k,·) E_gg R(l,·)ᵀ]
(+ 2ηT E_p[σ R(k,·)R(l,·)ᵀ]) and C*(k) = Cov(h*, ω(k)) = E_p[σ θ² a(k)]. Writing
ω(k) = (C*(k)/ρ*) h* + ω⊥(k) gives exactly the identity-case sample process (Δ = 1) with
"m_k τ" → (C*(k)/ρ*) h*, C⊥ → C − C* C*ᵀ/ρ* and the σ-weighted response R(k, j) = E_p[σ R_σ(k, j)]
in the memory term. For Σ = I (one level σ = 1) every line reduces to §2.

Reported order parameters: m = w·w*/N = E_p[θ² a], Q = |w|²/N = E_p[θ² a² + (Q0 − m0²) A²]
+ η²α E_p[σ R E_gg Rᵀ] (+ 2ηT E_p[R Rᵀ]); the test metric of a fresh sample from (C*, C, ρ*).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from statc.dsl import StatcError


@dataclass(frozen=True)
class Spectrum:
    """Levels σ_s with fractions p_s of the coordinates and teacher second moments θ²_s."""

    sigma: tuple[float, ...]
    weight: tuple[float, ...]
    theta2: tuple[float, ...]

    def __post_init__(self):
        s, p, t = (np.asarray(v, dtype=float) for v in (self.sigma, self.weight, self.theta2))
        if not (len(s) == len(p) == len(t) and len(s) >= 1):
            raise StatcError("a spectrum needs as many fractions and teacher moments as levels")
        if not (np.all(np.isfinite(s)) and np.all(s > 0)):
            raise StatcError(f"the eigenvalues of the input covariance must be > 0, got {list(s)}")
        if not (np.all(p >= 0) and abs(p.sum() - 1.0) < 1e-9):
            raise StatcError("the fractions of a spectrum must be ≥ 0 and sum to 1")
        if not (np.all(t >= 0) and abs(p @ t - 1.0) < 1e-9):
            raise StatcError("the teacher's second moments must be ≥ 0 with mean 1")

    @property
    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return tuple(np.asarray(v, dtype=float) for v in (self.sigma, self.weight, self.theta2))

    @property
    def rho_star(self) -> float:
        """Var h* = E_p[σ θ²]."""
        s, p, t = self.arrays
        return float(p @ (s * t))

    def coordinates(self, N: int) -> np.ndarray:
        """σ_i for i < N: level s on round(N·cumulative fraction) coordinates (the simulator's Σ)."""
        s, p, _ = self.arrays
        edges = np.round(np.concatenate([[0.0], np.cumsum(p)]) * N).astype(int)
        out = np.empty(N)
        for lvl in range(len(s)):
            out[edges[lvl]: edges[lvl + 1]] = s[lvl]
        return out

    def teacher_scale(self, N: int) -> np.ndarray:
        """θ_i for i < N (same assignment as :meth:`coordinates`)."""
        s, p, t = self.arrays
        edges = np.round(np.concatenate([[0.0], np.cumsum(p)]) * N).astype(int)
        out = np.empty(N)
        for lvl in range(len(s)):
            out[edges[lvl]: edges[lvl + 1]] = math.sqrt(t[lvl])
        return out


def _aligned(sigma: np.ndarray, weight: np.ndarray, align: float) -> Spectrum:
    """θ²_s ∝ σ_s^align, normalised to E_p[θ²] = 1 (align = 0: isotropic teacher)."""
    t = sigma ** align
    t = t / (weight @ t)
    return Spectrum(tuple(sigma), tuple(weight), tuple(t))


def two_level(low: float, high: float, fraction: float, align: float = 0.0) -> Spectrum:
    """A fraction `fraction` of the coordinates with variance `high`, the rest `low`."""
    if not 0.0 <= fraction <= 1.0:
        raise StatcError(f"the fraction of a two-level spectrum must be in [0, 1], got {fraction:g}")
    return _aligned(np.array([low, high]), np.array([1.0 - fraction, fraction]), align)


def power_law(exponent: float, levels: float, align: float = 0.0) -> Spectrum:
    """`levels` equally populated levels σ_j ∝ j^(−exponent), j = 1..levels, normalised to mean 1."""
    M = int(levels)
    if M != levels or M < 1:
        raise StatcError(f"the number of levels of a power-law spectrum must be a whole number ≥ 1, got {levels:g}")
    s = np.arange(1, M + 1, dtype=float) ** (-float(exponent))
    s /= s.mean()
    return _aligned(s, np.full(M, 1.0 / M), align)


def eigenvalues(*values: float, align: float = 0.0) -> Spectrum:
    """Equally populated levels with the given eigenvalues."""
    s = np.array(values, dtype=float)
    return _aligned(s, np.full(len(s), 1.0 / len(s)), align)


#: named families: name → (builder, keyword parameters in order, whether it takes positional values)
SPECTRA = {
    "two_level": (two_level, ("low", "high", "fraction", "align"), False),
    "power_law": (power_law, ("exponent", "levels", "align"), False),
    "eigenvalues": (eigenvalues, ("align",), True),
}


def make_spectrum(family: str, positional: tuple[float, ...], keywords: dict[str, float]) -> Spectrum:
    build, _, _ = SPECTRA[family]
    return build(*positional, **keywords)


@dataclass(frozen=True)
class Structured:
    """A GLM teacher (teachers.py) on inputs x ~ N(0, Σ): labels y = φ(h*), h* = w*·x/√N.

    ``effective`` returns (h*, y) with h* ~ N(0, ρ*) (the sample process's "τ"); ``draw`` builds
    X = Z diag(√σ_i) with labels from w* = v, the simulator's teacher vector shaped by ``shape``.
    """

    base: object
    spectrum: Spectrum

    @property
    def delta(self) -> float:
        return 1.0

    @property
    def name(self) -> str:
        return f"{self.base.name} (structured covariance)"

    @property
    def classification(self) -> bool:
        return self.base.classification

    @property
    def test_metric(self) -> str:
        return self.base.test_metric

    def effective(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        h_star = math.sqrt(self.spectrum.rho_star) * rng.standard_normal(n)
        return h_star, self.base.label(rng, h_star)

    @property
    def sign_symmetric(self) -> bool:
        return getattr(self.base, "sign_symmetric", False)

    def shape(self, v: np.ndarray) -> np.ndarray:
        """The teacher w*_i = θ_i v_i in the eigenbasis (simulate.teacher_direction renormalises)."""
        return self.spectrum.teacher_scale(v.shape[0]) * v

    def draw(self, rng: np.random.Generator, v: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        """X = Z diag(√σ_i) (Σ diagonal in its eigenbasis), y = φ(X w*/√N) with w* = v."""
        N = v.shape[0]
        X = rng.standard_normal((n, N)) * np.sqrt(self.spectrum.coordinates(N))[None, :]
        return X, self.base.label(rng, X @ v / math.sqrt(N))

    def sample_metric(self, h: np.ndarray, y: np.ndarray) -> np.ndarray:
        return self.base.sample_metric(h, y)

    def test_error(self, m: float, Q: float) -> float:
        raise StatcError("the test metric with a structured covariance needs (C*, C, ρ*): use test_error_cov")

    def test_error_cov(self, c_star: float, c: float) -> float:
        return TEST_METRICS[self.base.name](c_star, c, self.spectrum.rho_star, self.base)


def _linear(cs, c, rho, base):
    """½E[(h − y)²], y = h* + √σ² ε: ½(C − 2C* + ρ* + σ²)."""
    return 0.5 * (c - 2.0 * cs + rho + base.sigma2)


def _sign(cs, c, rho, base):
    """P(sign h ≠ sign h*) = arccos(C*/√(ρ* C))/π."""
    return math.acos(max(-1.0, min(1.0, cs / math.sqrt(rho * c)))) / math.pi if c > 0 else 0.5


def _phase(cs, c, rho, base):
    """E[(h² − h*²)²]/4 for (h, h*) Gaussian: (3C² + 3ρ*² − 2Cρ* − 4C*²)/4."""
    return (3.0 * c * c + 3.0 * rho * rho - 2.0 * c * rho - 4.0 * cs * cs) / 4.0


TEST_METRICS = {"linear": _linear, "sign": _sign, "phase_retrieval": _phase}


# --------------------------------------------------------------------------- the sweep's weight side
@dataclass
class SpectralKernels:
    """Per-level weight-side state: A[s, k], a[s, k] (signal), R[s, k, j]; the reported m, Q."""

    A: np.ndarray
    a: np.ndarray
    R: np.ndarray
    c_star: np.ndarray      # C*(k)
    c_full: np.ndarray      # C(k, k) (σ-weighted)
    m: np.ndarray           # w·w*/N
    Q: np.ndarray           # |w|²/N


def new_state(p, rows: int) -> SpectralKernels:
    S = len(p.teacher.spectrum.sigma)
    st = SpectralKernels(np.zeros((S, rows)), np.zeros((S, rows)), np.zeros((S, rows, rows)),
                         np.zeros(rows), np.zeros(rows), np.zeros(rows), np.zeros(rows))
    st.A[:, 0], st.a[:, 0] = 1.0, p.m0
    return st


def covariance_row(p, K, k: int) -> np.ndarray:
    """Row k of C⊥ = C − C* C*ᵀ/ρ* (l ≤ k); also sets K.m[k] = C*(k)/ρ* and the σ-weighted
    K.R[k, :k] that the sample side uses, and the reported m, Q at step k."""
    st = K.spectral
    sig, w, t2 = p.teacher.spectrum.arrays
    rho = p.teacher.spectrum.rho_star
    c0 = p.Q0 - p.m0 ** 2
    eta, alpha, T = p.eta, p.alpha, p.algorithm.temperature
    Ak, ak = st.A[:, k], st.a[:, k]
    # signal and initial-condition parts, for all l ≤ k: (S, k+1)
    ws, wt = w * sig, w * sig * t2
    row = (wt * ak) @ st.a[:, : k + 1] + c0 * (ws * Ak) @ st.A[:, : k + 1]
    q = w @ (t2 * ak * ak) + c0 * (w @ (Ak * Ak))
    if k:
        Rk = st.R[:, k, :k]                              # (S, k)
        Rl = st.R[:, : k + 1, :k]                        # (S, k+1, k)
        ER = Rk @ K.egg[:k, :k]                          # (S, k): E_gg R(k, ·)ᵀ per level (E_gg symmetric)
        noise = np.einsum("slj,sj->sl", Rl, ER)          # (S, k+1)
        row = row + eta ** 2 * alpha * (w * sig * sig) @ noise
        q += eta ** 2 * alpha * (w * sig) @ noise[:, k]
        if T:
            th = np.einsum("slj,sj->sl", Rl, Rk)
            row = row + 2.0 * eta * T * ws @ th
            q += 2.0 * eta * T * w @ th[:, k]
        K.R[k, :k] = ws @ Rk
    c_star = wt @ st.a[:, : k + 1]
    st.c_star[k], st.c_full[k] = c_star[k], row[k]
    st.m[k], st.Q[k] = w @ (t2 * ak), q
    K.m[k] = c_star[k] / rho
    return row - c_star[k] * c_star / rho


def weight_step(p, K, k: int) -> None:
    """A_σ, a_σ, R_σ at step k + 1 from Γ(k, ·) and Γ*(k) = (E[h* g(k)] − Σ_j C*(j)Γ(k, j))/ρ*."""
    st = K.spectral
    sig = p.teacher.spectrum.arrays[0][:, None]
    rho = p.teacher.spectrum.rho_star
    d = 1.0 - p.eta * p.lam
    mem = p.eta * p.alpha * sig                          # (S, 1)
    gk = K.gamma[k, : k + 1]
    gamma_star = (K.etg[k] - st.c_star[: k + 1] @ gk) / rho
    st.A[:, k + 1] = d * st.A[:, k] - (mem[:, 0] * (st.A[:, : k + 1] @ gk))
    st.a[:, k + 1] = d * st.a[:, k] - mem[:, 0] * (st.a[:, : k + 1] @ gk + gamma_star)
    if k:
        st.R[:, k + 1, :k] = d * st.R[:, k, :k] - mem * np.einsum("l,slj->sj", gk, st.R[:, : k + 1, :k])
    st.R[:, k + 1, k] = 1.0


def fresh_point(p, K) -> tuple[np.ndarray, np.ndarray]:
    """(C*/ρ*, C − C*²/ρ*) per step: a fresh sample's field is (C*/ρ*) h* + √(C − C*²/ρ*) ξ."""
    st = K.spectral
    rho = p.teacher.spectrum.rho_star
    return st.c_star / rho, st.c_full - st.c_star ** 2 / rho


def reported(p, K) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(m, Q, test metric) per step."""
    st = K.spectral
    test = np.array([p.teacher.test_error_cov(cs, c) for cs, c in zip(st.c_star, st.c_full)])
    return st.m.copy(), st.Q.copy(), test


def check_supported(p) -> None:
    """The pieces not derived for a structured covariance yet (run-time guard; the compiler gives
    the located error)."""
    alg, obs = p.algorithm, p.observe
    if alg.beta:
        raise StatcError("momentum and Nesterov are not implemented with a structured input covariance")
    if obs.replicas or obs.fdt:
        raise StatcError("replica_distance and fdt are not implemented with a structured input covariance")
    if getattr(p, "sphere", 0.0):
        raise StatcError("`constrain w.w = q` is not implemented with a structured input covariance")

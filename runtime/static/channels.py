r"""Data models (teacher channels and the Gaussian mixture) as registry entries.

A channel tells the ERM solver how one training sample's field and label are
distributed given the order parameters, as quadrature nodes
(ω_i, y_i, w_i, mw_i) such that, for the loss's f = (h* − ω)/V_p,

    q̂ = α s Σ w f²,   V̂ = −α s Σ w ∂_ω f,   m̂ = α Σ mw f,   bias: Σ w f = 0,

with s = ``scale`` and V_p = ``prox_variance(V)`` (STATIC.md §3–4):

* a GLM teacher (§3): ω = √q ξ, z | ω ~ N(Aω, V₀), A = m/q, V₀ = ρ − m²/q,
  w = Z₀(y; Aω, V₀) Dξ and mw = ∂_μ Z₀(y; Aω, V₀) Dξ (s = 1, V_p = V);
* the two-cluster mixture (§4): ω_y = y m + b + √(Δq) ξ, w = ρ_y Dξ,
  mw = ρ_y y Dξ (s = Δ, V_p = ΔV).

Breakpoints of the integrand in ω (kinks of the prox, the jump of the
training-error indicator) arrive as ``breaks(y)`` and become panel edges in ξ.
Each channel also knows its test error and its Bayes-optimal channel update
(§6) q̂ = α ``bo_qhat``(q) for a prior of second moment 1.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy.special import log_ndtr, ndtr

from .quadrature import gaussian_rule, hermite_rule

Breaks = Callable[[float], np.ndarray]
_LOG_SQRT_2PI = 0.5 * np.log(2.0 * np.pi)


def _scale_breaks(s: float) -> np.ndarray:
    """Graded panel edges around 0 for a feature of width s (a sharp channel)."""
    if not s < 1.0:
        return np.zeros(1)
    k = s * 2.0 ** np.arange(-2, int(np.ceil(-np.log2(s))) + 1)
    return np.concatenate([[0.0], k, -k])


@dataclass(frozen=True)
class Nodes:
    omega: np.ndarray
    y: np.ndarray
    w: np.ndarray
    mw: np.ndarray


def _stack(parts: list[tuple]) -> Nodes:
    return Nodes(*(np.ascontiguousarray(np.concatenate(c)) for c in zip(*parts)))


# ---------------------------------------------------------------- mixture ---

@dataclass(frozen=True)
class Mixture:
    r"""y = +1 w.p. ρ, −1 w.p. 1 − ρ; x = y v*/√d + √Δ z, v* ~ N(0, I_d)."""

    rho: float = 0.5
    Delta: float = 1.0
    labels: str = "binary"
    learns_bias: bool = True
    teacher_norm: float = 1.0

    @property
    def scale(self) -> float:
        return self.Delta

    def prox_variance(self, V: float) -> float:
        return self.Delta * V

    def _probs(self):
        return ((1.0, self.rho), (-1.0, 1.0 - self.rho))

    def nodes(self, m: float, q: float, b: float, breaks: Breaks) -> Nodes:
        sd = np.sqrt(self.Delta * q)
        parts = []
        for y, p in self._probs():
            c = y * m + b
            xi, w = gaussian_rule((breaks(y) - c) / sd)
            parts.append((c + sd * xi, np.full_like(xi, y), p * w, p * y * w))
        return _stack(parts)

    def cluster_errors(self, m: float, q: float, b: float) -> tuple[float, float]:
        """P(error | y = +1), P(error | y = −1) of sign(w·x/√d + b) (exact)."""
        sd = np.sqrt(self.Delta * q)
        return float(ndtr(-(m + b) / sd)), float(ndtr(-(m - b) / sd))

    def test_error(self, m: float, q: float, b: float) -> float:
        e_plus, e_minus = self.cluster_errors(m, q, b)
        return self.rho * e_plus + (1.0 - self.rho) * e_minus

    def extra_observables(self, m: float, q: float, b: float) -> dict:
        e_plus, e_minus = self.cluster_errors(m, q, b)
        return {"error_plus": e_plus, "error_minus": e_minus,
                "balanced_error": 0.5 * (e_plus + e_minus)}

    def bo_qhat(self, q: float) -> float:
        """Labels are observed: the means see Gaussian noise of variance Δ, q̂ = 1/Δ per α."""
        return 1.0 / self.Delta

    def bo_psi_out(self, q: float) -> float:
        """The q-dependent part of Ψ_out: the Gaussian channel of the means, q/(2Δ)."""
        return q / (2.0 * self.Delta)

    def bo_field(self, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
        r"""The exact posterior of the means given labelled data: x_μ = y_μ v/√d + √Δ z_μ is a
        Gaussian observation of each v_i, so the posterior is the prior tilted by
        exp(γ_i v_i − A v_i²/2) with γ_i = Σ_μ y_μ x_μi/(Δ√d), A = Σ_μ y_μ²/(Δd) = α/Δ."""
        n, d = X.shape
        return (y @ X) / (self.Delta * np.sqrt(d)), float(np.sum(y * y) / (self.Delta * d))

    def bo_bias(self, q: float) -> float:
        """b* = (Δ/2) log(ρ/(1−ρ)): the Bayes log-odds threshold on the field."""
        return 0.5 * self.Delta * np.log(self.rho / (1.0 - self.rho))

    def bo_test_error(self, q: float) -> float:
        return self.test_error(q, q, self.bo_bias(q))


# ------------------------------------------------------- binary teachers ---

@dataclass(frozen=True)
class BinaryTeacher:
    r"""y ∈ {±1} from the teacher field z through ``logZ0``: P(y | z) with
    z | ω ~ N(μ, V₀) integrated out, Z₀(y; μ, V₀) and ∂_μ Z₀ in closed form."""

    name: str
    noise: float = 0.0
    labels: str = "binary"
    learns_bias: bool = False
    teacher_norm: float = 1.0
    scale: float = 1.0

    def prox_variance(self, V: float) -> float:
        return V

    def _z0(self, y: float, mu: np.ndarray, V0: float) -> tuple[np.ndarray, np.ndarray]:
        """Z₀ and ∂_μ Z₀: sign with probit noise Φ(yμ/√(V₀+σ²)); random labels ½."""
        if self.name == "random":
            return np.full_like(mu, 0.5), np.zeros_like(mu)
        s = np.sqrt(V0 + self.noise)
        x = y * mu / s
        return ndtr(x), y * np.exp(-0.5 * x * x - _LOG_SQRT_2PI) / s

    def _geometry(self, m: float, q: float) -> tuple[float, float]:
        A = m / q
        V0 = max(self.teacher_norm - m * m / q, 0.0)
        return A, V0

    def _sharp(self, m: float, q: float, V0: float) -> np.ndarray:
        if self.name == "random" or m == 0.0:
            return np.zeros(1)
        return _scale_breaks(np.sqrt(V0 + self.noise) * np.sqrt(q) / abs(m))

    def nodes(self, m: float, q: float, b: float, breaks: Breaks) -> Nodes:
        A, V0 = self._geometry(m, q)
        sq = np.sqrt(q)
        parts = []
        for y in (1.0, -1.0):
            xi, w = gaussian_rule(np.concatenate([(breaks(y) - b) / sq, self._sharp(m, q, V0)]))
            z0, dz0 = self._z0(y, A * sq * xi, V0)
            parts.append((sq * xi + b, np.full_like(xi, y), z0 * w, dz0 * w))
        return _stack(parts)

    def test_error(self, m: float, q: float, b: float) -> float:
        """P(y ≠ sign(ω + b)) on a fresh sample, by the same exact quadrature."""
        A, V0 = self._geometry(m, q)
        sq = np.sqrt(q)
        xi, w = gaussian_rule(np.concatenate([[-b / sq], self._sharp(m, q, V0)]))
        err = 0.0
        for y in (1.0, -1.0):
            z0, _ = self._z0(y, A * sq * xi, V0)
            err += np.sum(w * z0 * (y * (sq * xi + b) < 0.0))
        return float(err)

    def extra_observables(self, m: float, q: float, b: float) -> dict:
        return {}

    def bo_qhat(self, q: float) -> float:
        r"""Σ_y ⟨Z_out g²⟩ with ω = √q ξ, V = 1 − q + σ²: per y, φ(x)²/(V Φ(yx)), x = ω/√V."""
        if self.name == "random":
            return 0.0
        V = self.teacher_norm - q + self.noise
        s = np.sqrt(V / q)
        xi, w = gaussian_rule(_scale_breaks(s))
        x = xi / s
        lphi2 = -x * x - 2.0 * _LOG_SQRT_2PI
        tot = np.exp(lphi2 - log_ndtr(x)) + np.exp(lphi2 - log_ndtr(-x))
        return float(np.sum(w * tot) / V)

    def bo_psi_out(self, q: float) -> float:
        """Ψ_out = Σ_y ⟨Z_out log Z_out⟩, Z_out = Φ(y x), x = √q ξ/√(1 − q + σ²)."""
        if self.name == "random":
            return float(-np.log(2.0))
        s = np.sqrt((self.teacher_norm - q + self.noise) / q)
        xi, w = gaussian_rule(_scale_breaks(s))
        x = xi / s
        tot = sum(np.exp(log_ndtr(y * x)) * log_ndtr(y * x) for y in (1.0, -1.0))
        return float(np.sum(w * tot))

    def bo_gout(self, y: np.ndarray, omega: np.ndarray, V: float) -> tuple[np.ndarray, np.ndarray]:
        r"""g = ∂_ω log Z_out(y; ω, V) and ∂_ω g for AMP, Z_out = Φ(y ω/s), s² = V + σ²:
        g = (y/s) r(u), r = φ/Φ at u = yω/s, ∂_ω g = −g (g + ω/s²)."""
        if self.name == "random":
            return np.zeros_like(omega), np.zeros_like(omega)
        s = np.sqrt(V + self.noise)
        u = y * omega / s
        g = (y / s) * np.exp(-0.5 * u * u - _LOG_SQRT_2PI - log_ndtr(u))
        return g, -g * (g + omega / (s * s))

    def bo_test_error(self, q: float) -> float:
        """The BO label is sign(ω) (the posterior predictive Φ(ω/√(ρ − q + σ²)) > ½): the test
        error on a fresh noisy label y = sign(z + σε) is arccos(corr(ω, z + σε))/π with
        corr = q/√(q(ρ + σ²)) (m = q); at σ = 0 arccos(√q)/π."""
        return float(np.arccos(np.sqrt(min(q, 1.0) / (self.teacher_norm + self.noise))) / np.pi)


# ------------------------------------------------------- linear teacher ---

@dataclass(frozen=True)
class LinearTeacher:
    r"""y = z + √σ² ε, real labels.  z | ω ~ N(Aω, V₀) so y | ω ~ N(Aω, V₀ + σ²):
    nodes on (ξ, t) with y = Aω + √(V₀+σ²) t, w = Dξ Dt, mw = w (y − Aω)/(V₀+σ²).
    The test error is the clean mean squared error E(z − h)² = ρ − 2m + q."""

    noise: float = 0.0
    labels: str = "real"
    learns_bias: bool = False
    teacher_norm: float = 1.0
    scale: float = 1.0

    def prox_variance(self, V: float) -> float:
        return V

    def nodes(self, m: float, q: float, b: float, breaks: Breaks) -> Nodes:
        A, sq = m / q, np.sqrt(q)
        Vy = max(self.teacher_norm - m * m / q, 0.0) + self.noise
        xi, wx = hermite_rule(80)
        t, wt = hermite_rule(80)
        om = (sq * xi)[:, None] + 0.0 * t[None, :]
        yy = A * om + np.sqrt(Vy) * t[None, :]
        w = wx[:, None] * wt[None, :]
        mw = w * t[None, :] / np.sqrt(Vy) if Vy > 0 else np.zeros_like(w)
        return Nodes(*(np.ascontiguousarray(a.ravel()) for a in (om + b, yy, w, mw)))

    def test_error(self, m: float, q: float, b: float) -> float:
        return float(self.teacher_norm - 2.0 * m + q)

    def extra_observables(self, m: float, q: float, b: float) -> dict:
        return {}

    def bo_qhat(self, q: float) -> float:
        return 1.0 / (self.teacher_norm - q + self.noise)

    def bo_gout(self, y: np.ndarray, omega: np.ndarray, V: float) -> tuple[np.ndarray, np.ndarray]:
        """Z_out = N(y; ω, V + σ²): g = (y − ω)/(V + σ²), ∂_ω g = −1/(V + σ²)."""
        return (y - omega) / (V + self.noise), np.full_like(omega, -1.0 / (V + self.noise))

    def bo_psi_out(self, q: float) -> float:
        """Z_out = N(y; ω, ρ − q + σ²): Ψ_out = −½ log(2πe(ρ − q + σ²))."""
        return float(-0.5 * np.log(2.0 * np.pi * np.e * (self.teacher_norm - q + self.noise)))

    def bo_test_error(self, q: float) -> float:
        return float(self.teacher_norm - q)


CHANNELS: dict[str, Callable[..., object]] = {
    "mixture": lambda rho=0.5, Delta=1.0: Mixture(rho=rho, Delta=Delta),
    "sign": lambda noise=0.0: BinaryTeacher("sign", noise=noise),
    "random": lambda: BinaryTeacher("random"),
    "linear": lambda noise=0.0: LinearTeacher(noise=noise),
}


def channel(name: str, **params: float):
    """A channel from the registry with its parameters (a KeyError names the known ones)."""
    try:
        make = CHANNELS[name]
    except KeyError:
        raise KeyError(f"unknown channel {name!r}; known: {', '.join(sorted(CHANNELS))}") from None
    return make(**params)

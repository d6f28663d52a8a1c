"""Data models (teachers) of DMFT.md §1, each a small registry entry.

Every model has the form x = τ v/√N + √Δ z⊥ with |v|² = N, so one entry describes it in
two ways that never share code paths beyond the label rule:

* ``effective(rng, n)`` draws the per-sample scalars (τ, y) of the DMFT sample-side process;
* ``draw(rng, v, n)`` draws n microscopic samples (X ∈ R^{n×N}, y) for the finite-size
  simulator, from the model's own definition (cluster labels, Gaussian inputs, teacher
  vector).

``sample_metric(h, y)`` is the same metric on one fresh sample (the simulator's estimate).
``sign_symmetric`` (default False): the data model is invariant under w → −w, so the
trajectories report |m|.
``test_error(m, Q)`` is the generalisation metric of a fresh sample, whose field is
h = m τ + √(Δ(Q − m²)) ξ with no memory term (DMFT.md §2, Observables).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import erfc

from statc.dsl import StatcError


@dataclass(frozen=True)
class GaussianMixture:
    """Two clusters x = c v/√N + √Δ z, label y = c = ±1 with P(c = +1) = rho.

    τ = v·x/√N = c + √Δ ζ. Test error of the unbiased linear classifier sign(h):
    h | c ~ N(c m, Δ Q), so ε_g = ½ erfc(m / √(2ΔQ)) for every rho.
    """

    rho: float = 0.5
    Delta: float = 1.0
    name: str = "gmm"
    classification: bool = True
    test_metric: str = "test_error"

    @property
    def delta(self) -> float:
        return self.Delta

    def _labels(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return np.where(rng.random(n) < self.rho, 1.0, -1.0)

    def effective(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        c = self._labels(rng, n)
        return c + math.sqrt(self.Delta) * rng.standard_normal(n), c

    def draw(self, rng: np.random.Generator, v: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        N = v.shape[0]
        c = self._labels(rng, n)
        X = np.outer(c, v / math.sqrt(N)) + math.sqrt(self.Delta) * rng.standard_normal((n, N))
        return X, c

    def test_error(self, m: float, Q: float) -> float:
        return 0.5 * float(erfc(m / math.sqrt(2.0 * self.Delta * Q))) if Q > 0 else 0.5

    def sample_metric(self, h: np.ndarray, y: np.ndarray) -> np.ndarray:
        return (y * h < 0).astype(float)


@dataclass(frozen=True)
class _GLM:
    """Gaussian inputs x ~ N(0, I_N), teacher field τ = v·x/√N ~ N(0, 1), label y = φ(τ)."""

    name: str = "glm"

    @property
    def delta(self) -> float:
        return 1.0

    def label(self, rng: np.random.Generator, tau: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def effective(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        tau = rng.standard_normal(n)
        return tau, self.label(rng, tau)

    def draw(self, rng: np.random.Generator, v: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        X = rng.standard_normal((n, v.shape[0]))
        return X, self.label(rng, X @ v / math.sqrt(v.shape[0]))


@dataclass(frozen=True)
class LinearTeacher(_GLM):
    """y = τ + √sigma2 ε. Test metric: ½E[(h − y)²] = (Q − 2m + 1 + sigma2)/2."""

    sigma2: float = 0.0
    name: str = "linear"
    classification: bool = False
    test_metric: str = "test_loss"

    def label(self, rng, tau):
        return tau + math.sqrt(self.sigma2) * rng.standard_normal(tau.shape[0]) if self.sigma2 else tau.copy()

    def test_error(self, m: float, Q: float) -> float:
        return 0.5 * (Q - 2.0 * m + 1.0 + self.sigma2)

    def sample_metric(self, h: np.ndarray, y: np.ndarray) -> np.ndarray:
        return 0.5 * (h - y) ** 2


@dataclass(frozen=True)
class SignTeacher(_GLM):
    """y = sign(τ). Test error of sign(h): arccos(m/√Q)/π."""

    name: str = "sign"
    classification: bool = True
    test_metric: str = "test_error"

    def label(self, rng, tau):
        return np.where(tau >= 0.0, 1.0, -1.0)

    def test_error(self, m: float, Q: float) -> float:
        return math.acos(max(-1.0, min(1.0, m / math.sqrt(Q)))) / math.pi if Q > 0 else 0.5

    def sample_metric(self, h: np.ndarray, y: np.ndarray) -> np.ndarray:
        return (y * h < 0).astype(float)


@dataclass(frozen=True)
class PhaseRetrieval(_GLM):
    """y = τ². Test loss E[(h² − τ²)²]/4 = (3Q² + 3 − 2Q − 4m²)/4 for (h, τ) Gaussian.

    Symmetric under w → −w (the labels see only τ²): the overlap is reported as
    |m| = |w·v|/N on both sides (`sign_symmetric`). The DMFT m keeps the sign of m0 (m = 0
    is invariant), but a finite-N run that passes near m = 0 can flip; |m| folds the flip."""

    sign_symmetric = True      # a class attribute, not a dataclass field

    name: str = "phase_retrieval"
    classification: bool = False
    test_metric: str = "test_loss"

    def label(self, rng, tau):
        return tau * tau

    def test_error(self, m: float, Q: float) -> float:
        return (3.0 * Q * Q + 3.0 - 2.0 * Q - 4.0 * m * m) / 4.0

    def sample_metric(self, h: np.ndarray, y: np.ndarray) -> np.ndarray:
        return 0.25 * (h * h - y) ** 2


TEACHERS = {
    "gmm": GaussianMixture,
    "linear": LinearTeacher,
    "sign": SignTeacher,
    "phase_retrieval": PhaseRetrieval,
}


def make_teacher(name: str, **params: float):
    """The registry entry `name` built with its parameters (e.g. rho, Delta; sigma2)."""
    try:
        cls = TEACHERS[name]
    except KeyError:
        raise StatcError(f"unknown DMFT data model `{name}`",
                         expected=", ".join(sorted(TEACHERS))) from None
    return cls(**params)

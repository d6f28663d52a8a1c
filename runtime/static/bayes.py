r"""Bayes-optimal state evolution for a single field (STATIC.md §6).

With Nishimori's identities (m = q, V = ρ − q, m̂ = q̂ = V̂) the SE is

    q̂ = α · channel.bo_qhat(q),     q = prior(q̂),

the channel side being Σ_y ⟨Z_out g²⟩_ξ (its closed form or quadrature lives
with the channel) and the prior side one registry entry per prior of second
moment 1: Gaussian q = q̂/(1 + q̂); Rademacher q = ⟨tanh(q̂ + √q̂ ξ)⟩; the Bernoulli–Gaussian
``sparse`` prior of density ε (0 w.p. 1 − ε, N(0, v = 1/ε) w.p. ε), a parametrised entry
(:func:`prior`) whose Z_w = 1 − ε + ε exp(γ²v/(2(1 + Av)))/√(1 + Av) and posterior mean
π γv/(1 + Av) (π the posterior weight of the non-zero component) are averaged over the two
components of γ = q̂w* + √q̂ξ by the breakpoint-free composite Gauss–Legendre rule.
Each fixed point carries the free entropy Φ = −½ q q̂ + Ψ_w(q̂) + α Ψ_out(q),
whose larger value selects the physical branch under hysteresis.
Both the uninformed (q = 10⁻⁶) and the informed (q = 1 − 10⁻⁶) starts are
always run; different limits mean a first-order transition (hysteresis).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .erm import FixedPointError
from .quadrature import gaussian_rule, hermite_rule

_XI, _W = hermite_rule(120)


@dataclass(frozen=True)
class Prior:
    """A prior of second moment 1: q = ``overlap``(q̂), Ψ_w(q̂) = ⟨log Z_w⟩, and for AMP the
    posterior mean and variance of w under the prior tilted by exp(γw − Aw²/2), ``denoise``(γ, A)."""

    overlap: Callable[[float], float]
    psi: Callable[[float], float]
    denoise: Callable[[np.ndarray, float], tuple[np.ndarray, np.ndarray]]
    #: draws teacher rows: sample(rng, d)
    sample: Callable[[np.random.Generator, int], np.ndarray]
    #: entropy of a discrete prior (free entropy −H at perfect recovery); None: continuous (−∞)
    entropy: float | None = None


def _logcosh(x: np.ndarray) -> np.ndarray:
    a = np.abs(x)
    return a + np.log1p(np.exp(-2.0 * a)) - np.log(2.0)


PRIORS: dict[str, Prior] = {
    # Z_w = exp(b²/(2(1+Â)))/√(1+Â), ⟨b²⟩ = q̂² + q̂
    # f_w = γ/(1 + A), variance 1/(1 + A)
    "gaussian": Prior(lambda qh: qh / (1.0 + qh), lambda qh: 0.5 * qh - 0.5 * np.log1p(qh),
                      lambda g, A: (g / (1.0 + A), np.full_like(g, 1.0 / (1.0 + A))),
                      lambda rng, d: rng.standard_normal(d)),
    # Z_w = e^{−Â/2} cosh b, w* = +1 by symmetry; f_w = tanh γ, variance 1 − tanh² γ
    "rademacher": Prior(lambda qh: float(np.sum(_W * np.tanh(qh + np.sqrt(qh) * _XI))),
                        lambda qh: float(-0.5 * qh + np.sum(_W * _logcosh(qh + np.sqrt(qh) * _XI))),
                        lambda g, A: (np.tanh(g), 1.0 - np.tanh(g) ** 2),
                        lambda rng, d: np.where(rng.random(d) < 0.5, 1.0, -1.0), float(np.log(2.0))),
}


def sparse(eps: float) -> Prior:
    """The Bernoulli–Gaussian prior of density ε and second moment 1 (see the module docstring)."""
    v = 1.0 / eps
    log_off, log_on = np.log1p(-eps) if eps < 1.0 else -np.inf, np.log(eps)

    def parts(g, A):
        g = np.asarray(g, dtype=float)
        log_z1 = 0.5 * g * g * v / (1.0 + A * v) - 0.5 * np.log1p(A * v)
        log_z = np.logaddexp(log_off, log_on + log_z1)
        pi = np.exp(log_on + log_z1 - log_z)
        mean1, var1 = g * v / (1.0 + A * v), v / (1.0 + A * v)
        return log_z, pi, mean1, var1

    def denoise(g, A):
        _, pi, mean1, var1 = parts(g, A)
        mean = pi * mean1
        return mean, pi * (var1 + mean1 * mean1) - mean * mean

    def average(qh, f):
        # γ = q̂ w* + √q̂ ξ: N(0, q̂) (w* = 0, weight 1 − ε) and N(0, q̂²v + q̂) (weight ε).  The
        # posterior weight π switches at |γ| = γ_c (log-odds 0) over a width ~ (1 + q̂v)/(vγ_c):
        # graded panel edges there (a sharp step for large q̂, off by 1e-5 on plain panels)
        c2 = (1.0 + qh * v) / v * (np.log1p(qh * v) - 2.0 * (log_on - log_off))
        total = 0.0
        for wt, var in ((1.0 - eps, qh), (eps, qh * qh * v + qh)):
            if wt == 0.0:
                continue
            sd = np.sqrt(var)
            breaks = []
            if c2 > 0.0:
                gc = np.sqrt(c2)
                width = (1.0 + qh * v) / (v * gc)
                steps = width * np.concatenate([[0.0], 2.0 ** np.arange(-3, 6), -(2.0 ** np.arange(-3, 6))])
                breaks = np.concatenate([(gc + steps) / sd, (-gc - steps) / sd])
            xi, w = gaussian_rule(breaks)
            total += wt * float(np.sum(w * f(sd * xi, qh)))
        return total

    return Prior(lambda qh: average(qh, lambda g, A: denoise(g, A)[0] ** 2),
                 lambda qh: average(qh, lambda g, A: parts(g, A)[0]), denoise,
                 lambda rng, d: np.where(rng.random(d) < eps, rng.standard_normal(d) * np.sqrt(v), 0.0))


#: priors with a parameter (the teacher's density): name → factory
PRIOR_FAMILIES: dict[str, Callable[[float], Prior]] = {"sparse": sparse}


def prior_entry(name: "str | Prior", p: float = 1.0) -> Prior:
    """The prior of a name (``PRIORS``, or ``PRIOR_FAMILIES`` with its parameter p)."""
    if isinstance(name, Prior):
        return name
    if name in PRIORS:
        return PRIORS[name]
    if name in PRIOR_FAMILIES:
        return PRIOR_FAMILIES[name](float(p))
    raise KeyError(f"unknown prior {name!r}; known: {', '.join([*PRIORS, *PRIOR_FAMILIES])}")


def free_entropy(channel, prior: "str | Prior", alpha: float, q: float, qhat: float) -> float:
    """Φ(q, q̂) = −½ q q̂ + Ψ_w(q̂) + α Ψ_out(q) (per input coordinate); at q = 1
    (perfect recovery, q̂ = ∞) its limit −H(prior) is returned (log 2 for ±1,
    −∞ for a continuous prior)."""
    p = prior_entry(prior)
    if q >= 1.0 - PERFECT:
        return -p.entropy if p.entropy is not None else -np.inf
    return float(-0.5 * q * qhat + p.psi(qhat) + alpha * channel.bo_psi_out(q))


#: q this close to 1 is perfect recovery: the channel is not evaluated there (§8)
PERFECT = 1e-10


@dataclass
class BOPoint:
    q: float
    qhat: float
    test_error: float
    free_entropy: float
    iterations: int
    residual: float
    perfect: bool
    history: list[float] = field(repr=False)


def _iterate(channel, prior, alpha, q, damping, tol, max_iter) -> BOPoint:
    history: list[float] = []
    qhat = 0.0
    for it in range(1, max_iter + 1):
        if 1.0 - q < PERFECT:
            return BOPoint(1.0, np.inf, 0.0, free_entropy(channel, prior, alpha, 1.0, np.inf),
                           it, 0.0, True, history)
        qhat = alpha * channel.bo_qhat(q)
        q1 = prior.overlap(qhat)
        if not np.isfinite(q1):
            raise FixedPointError(f"NaN in the BO state evolution at α = {alpha:g}", history)
        res = abs(q1 - q)
        history.append(res)
        q = (1.0 - damping) * q1 + damping * q
        if res < tol:
            qhat = alpha * channel.bo_qhat(q)
            return BOPoint(q, qhat, channel.bo_test_error(q),
                           free_entropy(channel, prior, alpha, q, qhat), it, res, False, history)
    raise FixedPointError(f"BO state evolution did not converge at α = {alpha:g}; "
                          "try a larger damping", history)


def bayes_optimal(channel, alpha: float, prior: "str | Prior" = "gaussian", damping: float = 0.3,
                  tol: float = 1e-12, max_iter: int = 20000, prior_p: float = 1.0) -> dict[str, BOPoint]:
    """The SE fixed points from the uninformed and the informed start (``prior_p``: the
    parameter of a parametrised prior, e.g. the density of ``sparse``)."""
    prior = prior_entry(prior, prior_p)
    return {"uninformed": _iterate(channel, prior, alpha, 1e-6, damping, tol, max_iter),
            "informed": _iterate(channel, prior, alpha, 1.0 - 1e-6, damping, tol, max_iter)}


def equilibrium(points: dict[str, BOPoint]) -> str:
    """The start whose fixed point has the larger free entropy (the physical one)."""
    return max(points, key=lambda k: points[k].free_entropy)

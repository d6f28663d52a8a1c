"""Training algorithms on a fixed data set (DMFT.md §1), each a small registry entry.

Every algorithm of the gradient family reduces to four numbers: a per-sample selection
chain s_μ(k) ∈ {0, 1} (probability of being selected at step 0, per-step transition
probabilities 0→1 and 1→0), a gradient weight B = κ s and a Langevin temperature T:

* GD: s ≡ 1, κ = 1, T = 0.
* SGD with batch fraction b: s i.i.d. Bernoulli(b) at every step (p01 = b, p10 = 1 − b);
  κ = 1/b by default (unbiased gradient), κ = 1 on request (raw batch sum).
* persistent SGD (Mignacco et al. 2020) with persistence time τ: p01 = η/τ,
  p10 = (1 − b)η/(bτ), s(0) ~ Bernoulli(b); τ = η/b gives p01 = b, p10 = 1 − b, i.e. plain SGD.
* Langevin: GD plus √(2ηT) ξ per step.
* stochastic gradient flow (`sgf`, DMFT.md §1): the η → 0 limit at fixed (b, τ) of persistent SGD
  (of plain SGD when τ = 0, whose limit is gradient flow on κb × the loss). The entry is the
  discrete chain at the given step with `flow = True`; the solver and the simulator run it at η
  and η/2 (:func:`at_step`) and extrapolate (runtime/dmft/flow.py).
* heavy-ball momentum β (on any of the above, :func:`with_momentum`):
  w_{k+1} = w_k − η∇L_k(w_k) + β(w_k − w_{k−1}), w_{−1} = w_0 (DMFT.md §1, §2.1); or Nesterov:
  u_k = w_k + β(w_k − w_{k−1}), w_{k+1} = u_k − η∇L_k(u_k).

The selection chain is part of the microscopic algorithm, so the DMFT sweep and the
finite-size simulator both draw it with :func:`sample_selection`.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from statc.dsl import StatcError


@dataclass(frozen=True)
class Algorithm:
    """Selection chain (b0, p01, p10), gradient weight kappa and temperature of one algorithm."""

    name: str
    b0: float = 1.0
    p01: float = 1.0
    p10: float = 0.0
    kappa: float = 1.0
    temperature: float = 0.0
    beta: float = 0.0          # momentum
    momentum_rule: str = "heavy_ball"   # or "nesterov" (runtime/dmft/weights.py)
    persistence: float = 0.0   # τ of the persistent chain (its rates are ∝ η); 0: i.i.d. or full batch
    flow: bool = False         # stochastic gradient flow: the η → 0 limit of this chain (flow.py)

    @property
    def full_batch(self) -> bool:
        return self.b0 == 1.0 and self.p10 == 0.0


def _fraction(b: float) -> float:
    if not 0.0 < b <= 1.0:
        raise StatcError(f"the batch fraction b must be in (0, 1], got {b:g}")
    return float(b)


def _kappa(b: float, scaling: str) -> float:
    table = {"1/b": 1.0 / b, "1": 1.0}
    if scaling not in table:
        raise StatcError(f"unknown gradient scaling `{scaling}`", expected="`1/b` or `1`")
    return table[scaling]


def gd(eta: float) -> Algorithm:
    return Algorithm("gd")


def sgd(eta: float, b: float, scaling: str = "1/b") -> Algorithm:
    b = _fraction(b)
    return Algorithm("sgd", b0=b, p01=b, p10=1.0 - b, kappa=_kappa(b, scaling))


def persistent(eta: float, b: float, tau: float, scaling: str = "1/b") -> Algorithm:
    b = _fraction(b)
    p01, p10 = eta / tau, (1.0 - b) * eta / (b * tau)
    if tau <= 0 or p01 > 1.0 or p10 > 1.0:
        raise StatcError(f"persistent SGD needs η ≤ τ and (1 − b)η ≤ bτ (η = {eta:g}, b = {b:g}, τ = {tau:g})",
                         hint="increase the persistence time tau or decrease eta")
    return Algorithm("persistent", b0=b, p01=p01, p10=p10, kappa=_kappa(b, scaling), persistence=float(tau))


def langevin(eta: float, T: float) -> Algorithm:
    if T < 0:
        raise StatcError(f"the Langevin temperature T must be ≥ 0, got {T:g}")
    return Algorithm("langevin", temperature=float(T))


def sgf(eta: float, b: float = 1.0, tau: float = 0.0, T: float = 0.0, scaling: str = "1/b") -> Algorithm:
    """Stochastic gradient flow: persistent SGD (τ > 0; plain SGD for τ = 0, GD for b = 1) with
    Langevin temperature T, to be solved in the limit η → 0 (`flow`; runtime/dmft/flow.py)."""
    base = persistent(eta, b, tau, scaling) if tau > 0 else sgd(eta, b, scaling) if b < 1 else gd(eta)
    return replace(base, name="sgf", temperature=langevin(eta, T).temperature, flow=True)


def at_step(alg: Algorithm, eta: float, new_eta: float) -> Algorithm:
    """The same algorithm at step size `new_eta` (built for `eta`): a persistent chain's
    per-step rates scale with the step, an i.i.d. or full-batch selection does not."""
    if alg.persistence > 0:
        r = new_eta / eta
        if alg.p01 * r > 1.0 or alg.p10 * r > 1.0:
            raise StatcError(f"persistent SGD needs η ≤ τ and (1 − b)η ≤ bτ (η = {new_eta:g}, τ = {alg.persistence:g})",
                             hint="increase the persistence time tau or decrease eta")
        return replace(alg, p01=alg.p01 * r, p10=alg.p10 * r)
    return alg


def with_momentum(alg: Algorithm, beta: float, rule: str = "heavy_ball") -> Algorithm:
    """`alg` with momentum β ∈ [0, 1), heavy ball or Nesterov (β = 0: unchanged)."""
    if not 0.0 <= beta < 1.0:
        raise StatcError(f"the momentum beta must be in [0, 1), got {beta:g}")
    return replace(alg, beta=float(beta), momentum_rule=rule)


def nesterov(eta: float, beta: float, b: float = 1.0, scaling: str = "1/b") -> Algorithm:
    """Nesterov's accelerated gradient on GD (b = 1) or on SGD with batch fraction b."""
    return with_momentum(sgd(eta, b, scaling) if b < 1.0 else gd(eta), beta, "nesterov")


def momentum(eta: float, beta: float, b: float = 1.0, scaling: str = "1/b") -> Algorithm:
    """Heavy ball on GD (b = 1) or on SGD with batch fraction b."""
    return with_momentum(sgd(eta, b, scaling) if b < 1.0 else gd(eta), beta)


ALGORITHMS = {"gd": gd, "sgd": sgd, "persistent": persistent, "langevin": langevin, "momentum": momentum,
              "nesterov": nesterov, "sgf": sgf}


def make_algorithm(name: str, eta: float, **params) -> Algorithm:
    """The registry entry `name` for step size `eta` and its parameters (b, tau, T, scaling)."""
    try:
        build = ALGORITHMS[name]
    except KeyError:
        raise StatcError(f"unknown DMFT algorithm `{name}`", expected=", ".join(ALGORITHMS)) from None
    return build(eta, **params)


def sample_selection(alg: Algorithm, rng: np.random.Generator, n: int, steps: int) -> np.ndarray:
    """s_μ(k) for μ < n, k < steps as uint8: the two-state chain of `alg`.

    With u ~ U(0, 1): s(k+1) = 1 iff u < P(s(k+1) = 1 | s(k)) = s(1 − p10) + (1 − s)p01.
    So a chain with p01 = b, p10 = 1 − b draws exactly the i.i.d. Bernoulli(b) of SGD.
    """
    s = np.empty((n, steps), dtype=np.uint8)
    if alg.full_batch:
        s.fill(1)
        return s
    s[:, 0] = rng.random(n) < alg.b0
    for k in range(1, steps):
        prev = s[:, k - 1]
        p_on = np.where(prev == 1, 1.0 - alg.p10, alg.p01)
        s[:, k] = rng.random(n) < p_on
    return s

"""One DMFT problem: data model, loss, algorithm and the scalar parameters (DMFT.md §1)."""
from __future__ import annotations

from dataclasses import dataclass

from statc.dsl import StatcError

from .algorithms import Algorithm
from .losses import Loss
from .observe import NO_OBSERVABLES, Observables


@dataclass(frozen=True)
class DmftProblem:
    """n = alpha·N samples, sum loss Σ_μ B_μ ℓ(y_μ, h_μ) + (lam/2)|w|², step eta, `steps` steps.

    Warm start: w_0 = m0 v + w⊥_0 with |w⊥_0|²/N = Q0 − m0² (the theory needs only m0, Q0).
    Time is t = k·eta.

    `sphere` = q > 0: the spherical constraint |w|²/N = q (DMFT.md §2.2), held by a Lagrange
    multiplier: w_{k+1} = (1 − ηλ_k) w_k − η∇L_k (+ Langevin noise) with λ_k such that
    |w_{k+1}|²/N = q; needs Q0 = q, no ridge and no momentum. 0: unconstrained.
    """

    teacher: object
    loss: Loss
    algorithm: Algorithm
    alpha: float
    eta: float
    steps: int
    lam: float = 0.0
    m0: float = 0.0
    Q0: float = 1.0
    observe: Observables = NO_OBSERVABLES     # the model's `observe` statements
    sphere: float = 0.0                       # q of |w|²/N = q (0: no constraint)

    def __post_init__(self):
        checks = [
            (self.alpha > 0, f"alpha must be > 0, got {self.alpha:g}"),
            (self.eta > 0, f"the step size eta must be > 0, got {self.eta:g}"),
            (self.steps >= 0, f"the number of steps must be ≥ 0, got {self.steps}"),
            (self.lam >= 0, f"the ridge lambda must be ≥ 0, got {self.lam:g}"),
            (self.Q0 >= self.m0 ** 2, f"the warm start needs Q0 ≥ m0² (Q0 = {self.Q0:g}, m0 = {self.m0:g})"),
        ]
        if self.sphere:
            q = self.sphere
            checks += [
                (q > 0, f"the squared norm of `constrain w.w = q` must be > 0, got {q:g}"),
                (abs(self.Q0 - q) <= 1e-12 * max(1.0, q), f"on the sphere |w|²/N = {q:g} the start needs Q0 = {q:g}, "
                                                          f"got {self.Q0:g}"),
                (self.lam == 0, "a ridge has no effect on the sphere (the Lagrange multiplier absorbs it): "
                                f"use lam = 0, got {self.lam:g}"),
                (self.algorithm.beta == 0, "momentum with the spherical constraint is not supported"),
            ]
        for ok, message in checks:
            if not ok:
                raise StatcError(message)

    @property
    def delta(self) -> float:
        return float(self.teacher.delta)

r"""The replica fixed point of convex ERM with a learned bias (STATIC.md §3–4, §8).

State x = (m, q, V); one sweep computes the bias (mixture: the root of the
stationarity Σ_y ρ_y ⟨f_y⟩ = 0 in b), the hats from the channel's quadrature
nodes through the generated loss kernel, and the regulariser's (m, q, V); the
iteration is x ← (1 − η) F(x) + η x.  It stops when the relative residual
Σ |F(x) − x|/|F(x)| over x ∈ {m, q, V} is below tol: an absolute residual
stalls on rounding where V, q grow like 1/λ (λ → 0) and stops far too early
where they are O(1/λ) small (λ → ∞); m = 0 exactly (random labels) counts 0
and fails — with the residual history and a hint, never a traceback from deep
inside — on NaN, on q ≤ 0 or V ≤ 0, or after ``max_iter`` sweeps.

The zero-temperature free energy (ground-state energy density) is the minimum of the
objective per input coordinate, e = lim min_w [Σ_μ ℓ(y_μ, h_μ) + Σ_i r(w_i)]/d.  At the fixed
point the training field of a sample is its prox h* and a weight coordinate is η(b), so
e = α ⟨ℓ(y, h*)⟩ + ⟨r(η)⟩ (``free_energy``; the replica formula extr[m m̂ + ½q̂V − ½V̂q
+ α⟨M_ℓ⟩ + ⟨M_r⟩] with the Moreau envelopes M reduces to it by ⟨(h* − ω)²⟩/(2V) = Vq̂/(2α)
and ⟨bη⟩ = m̂m + q̂V).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from types import ModuleType

import numpy as np
from scipy.optimize import brentq

from .regularisers import TEACHER_PRIORS, Penalty, regulariser as regulariser_entry


class FixedPointError(RuntimeError):
    """The fixed point did not converge, or the state left its domain."""

    def __init__(self, message: str, history: list[float]):
        tail = ", ".join(f"{r:.3g}" for r in history[-8:])
        super().__init__(f"{message} (after {len(history)} sweeps; last residuals: {tail})")
        self.history = history


@dataclass
class FixedPoint:
    """A converged fixed point: order parameters, conjugates, bias, observables."""

    m: float
    q: float
    V: float
    b: float
    mhat: float
    qhat: float
    Vhat: float
    iterations: int
    residual: float
    history: list[float] = field(repr=False)
    observables: dict = field(default_factory=dict)

    def state(self) -> tuple[float, float, float, float]:
        return self.m, self.q, self.V, self.b


class ERM:
    """One ERM problem: loss module, channel, α, the penalty r(w) = λ₁|w| + λ/2 w²
    (``lam`` = λ, the ridge part; ``lam1`` = λ₁) and its regulariser registry entry."""

    def __init__(self, loss: str | ModuleType, channel, alpha: float, lam: float,
                 regulariser: str = "ridge", lam1: float = 0.0, teacher: str = "gaussian",
                 teacher_p: float = 1.0):
        if isinstance(loss, str):                 # a registry loss: built (SymPy) on first use
            from statc.compiler.static.build import load
            loss = load(loss)
        self.mod = loss                          # a model's compiled loss: no SymPy at run time
        if self.mod.LABELS == "binary" and channel.labels != "binary":
            raise ValueError("a binary-label loss needs a channel with labels ±1")
        self.ch, self.alpha, self.lam = channel, float(alpha), float(lam)
        self.penalty = Penalty(l2=float(lam), l1=float(lam1))
        self.reg = regulariser_entry(regulariser)
        #: the teacher prior as Gaussian components (weight, variance) of second moment ρ
        self.teacher = TEACHER_PRIORS[teacher](float(teacher_p), channel.teacher_norm)
        if regulariser == "ridge" and self.penalty.l1 != 0.0:
            raise ValueError("the ridge regulariser has no L1 part; use 'lasso' or 'elastic_net'")
        self._buf, self._out = np.empty(8), np.empty(7)

    def _breaks(self, Vp: float):
        def breaks(y: float) -> np.ndarray:
            n = self.mod.kinks(y, Vp, self._buf)
            extra = [Vp * self.mod.dloss(y, 0.0)] if self.ch.labels == "binary" else []
            return np.array(list(self._buf[:n]) + extra)
        return breaks

    def sums(self, m: float, q: float, V: float, b: float) -> np.ndarray:
        """The node sums (see ``channel_sums`` of the generated module)."""
        Vp = self.ch.prox_variance(V)
        n = self.ch.nodes(m, q, b, self._breaks(Vp))
        self.mod.channel_sums(n.omega, n.y, n.w, n.mw, Vp, self._out)
        return self._out.copy()

    def bias(self, m: float, q: float, V: float, b0: float) -> float:
        r"""Root in b of Σ w f, decreasing in b (∂/∂b = Σ w ∂_ω f < 0): Newton from
        b0, bracketed Brent if Newton does not settle."""
        b = b0
        for _ in range(12):
            s = self.sums(m, q, V, b)
            if abs(s[3]) < 1e-14:
                return b
            step = -s[3] / s[1]
            b += step
            if abs(step) < 1e-13 * (1.0 + abs(b)):
                return b
        r = lambda x: self.sums(m, q, V, x)[3]
        lo, hi, width = b0 - 1.0, b0 + 1.0, 1.0
        while r(lo) < 0.0 or r(hi) > 0.0:
            width *= 2.0
            lo, hi = b0 - width, b0 + width
            if width > 1e6:
                raise FixedPointError("the bias equation has no root (data separable?)", [])
        return brentq(r, lo, hi, xtol=1e-14, rtol=1e-15)

    def sweep(self, m: float, q: float, V: float, b: float):
        """F(x): the bias, the hats and the regulariser's new (m, q, V)."""
        if self.ch.learns_bias:
            b = self.bias(m, q, V, b)
        s = self.sums(m, q, V, b)
        a, sc = self.alpha, self.ch.scale
        qhat, Vhat, mhat = a * sc * s[0], -a * sc * s[1], a * s[2]
        m1, q1, V1 = self.reg.overlaps(mhat, qhat, Vhat, self.penalty, self.teacher)
        return (m1, q1, V1, b), (mhat, qhat, Vhat), s

    def solve(self, init=(0.3, 0.5, 1.0, 0.0), damping: float = 0.5, tol: float = 1e-10,
              max_iter: int = 5000) -> FixedPoint:
        """Damped Picard iteration from ``init`` = (m, q, V, b)."""
        m, q, V, b = (float(v) for v in init)
        history: list[float] = []
        for it in range(1, max_iter + 1):
            (m1, q1, V1, b), hats, s = self.sweep(m, q, V, b)
            new = np.array([m1, q1, V1])
            if not np.all(np.isfinite(new)) or not np.isfinite(b):
                raise FixedPointError(f"NaN in the fixed point at α = {self.alpha:g}, λ = {self.lam:g}; "
                                      "try a larger damping or α/λ-continuation", history)
            if q1 <= 0.0 or V1 <= 0.0:
                raise FixedPointError(f"q = {q1:.3g} or V = {V1:.3g} left (0, ∞); try a larger damping",
                                      history)
            res = float(np.sum(np.abs(new - (m, q, V)) / np.maximum(1e-300, np.abs(new))))
            history.append(res)
            m, q, V = (1.0 - damping) * new + damping * np.array([m, q, V])
            if res < tol:
                (_, _, _, b), hats, s = self.sweep(m, q, V, b)   # bias, hats, sums at the final state
                return self._result(m, q, V, b, hats, s, it, res, history)
        raise FixedPointError(f"no convergence to {tol:g} at α = {self.alpha:g}, λ = {self.lam:g}; "
                              "try a larger damping (closer to 1) or continuation in α", history)

    def _result(self, m, q, V, b, hats, s, it, res, history) -> FixedPoint:
        penalty = self.reg.value(*hats, self.penalty, self.teacher)
        obs = {"test_error": self.ch.test_error(m, q, b), "train_loss": float(s[4]),
               "free_energy": self.alpha * float(s[4]) + penalty,
               "m": m, "q": q, "V": V, "b": b, "mhat": hats[0], "qhat": hats[1], "Vhat": hats[2]}
        if self.ch.labels == "binary":
            obs["train_error"] = float(s[5])
        obs.update(self.ch.extra_observables(m, q, b))
        return FixedPoint(m, q, V, b, *hats, iterations=it, residual=res, history=history,
                          observables=obs)

"""FDT effective temperature in a stationary state (DMFT.md §4), from the DMFT kernels and from
a finite-size simulation.

Stationary window: waiting times l ∈ [l0, l1], lags τ = 1..τ_max (l + τ ≤ K). With C(k, l) =
w_k·w_l/N (per coordinate) and R(k, j) the response of w_k to a field at step j (a field h_j
added to −∇L at step j changes w_k by η R(k, j) h_j):

  ΔC(τ) = mean_l [ (C(l+τ, l+τ) + C(l, l))/2 − C(l+τ, l) ]   (= |w_{l+τ} − w_l|²/(2N)),
  χ(τ)  = mean_l η Σ_{j=l}^{l+τ−1} R(l+τ, j)                 (response to a constant field from l),

T_eff(τ) = ΔC(τ)/χ(τ), and the fitted T_eff is the inverse least-squares slope of χ against ΔC
over the lag window [τ_lo, τ_hi]: 1/T_eff = Σ χ ΔC / Σ ΔC². Equilibrium FDT (Langevin at T):
χ = ΔC/T up to O(η). In discrete time each mode of curvature a is an AR(1) with q = 1 − ηa:
ΔC = 2ηT(1 − q^τ)/(1 − q²), χ = η(1 − q^τ)/(1 − q), so ΔC/χ = T/(1 − ηa/2) (the O(η) bias).

Window: `observe T = fdt(w, window = t1 .. t2, lags = s1 .. s2)` (times; :func:`window_from_times`),
each option defaulting to :func:`default_window`.

Simulation estimator (independent of the kernels): ΔC from |w(l+τ) − w(l)|²/(2N) averaged over
l in the window; χ(τ) = (w'(l0+τ) − w(l0+τ))·f/(εN) where w' is a copy of the run (same
data, selection and Langevin noise) with the field εf (f_i = ±1) added to −∇L from step l0 on.
For a loss that is quadratic in w the response is linear and exact for any ε.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from statc.dsl import StatcError

from .algorithms import sample_selection
from .observe import elementwise
from .simulate import initial_weights, lagrange_decay


@dataclass(frozen=True)
class FdtWindow:
    """Steps: waiting times l0..l1 (inclusive), fitted lags tau_lo..tau_hi (inclusive)."""

    l0: int
    l1: int
    tau_lo: int
    tau_hi: int

    def validate(self, steps: int) -> None:
        if not (0 <= self.l0 <= self.l1 and 1 <= self.tau_lo <= self.tau_hi and self.l1 + self.tau_hi <= steps):
            raise StatcError(f"FDT window l = {self.l0}..{self.l1}, τ = {self.tau_lo}..{self.tau_hi} does not fit "
                             f"in {steps} steps", hint="need l1 + tau_hi ≤ steps and 1 ≤ tau_lo ≤ tau_hi")


@dataclass
class FdtEstimate:
    tau: np.ndarray          # lags 1..tau_hi (steps)
    delta_c: np.ndarray
    chi: np.ndarray
    t_eff_tau: np.ndarray    # ΔC/χ per lag
    t_eff: float             # fitted over [tau_lo, tau_hi]


def fit(tau: np.ndarray, delta_c: np.ndarray, chi: np.ndarray, win: FdtWindow) -> FdtEstimate:
    sel = (tau >= win.tau_lo) & (tau <= win.tau_hi)
    t_eff = float(np.sum(delta_c[sel] ** 2) / np.sum(chi[sel] * delta_c[sel]))
    return FdtEstimate(tau, delta_c, chi, delta_c / chi, t_eff)


def from_kernels(C: np.ndarray, R: np.ndarray, eta: float, win: FdtWindow) -> FdtEstimate:
    """The estimator on the DMFT kernels C (full correlation) and R."""
    win.validate(C.shape[0] - 1)
    tau = np.arange(1, win.tau_hi + 1)
    ls = np.arange(win.l0, win.l1 + 1)
    dc = np.array([np.mean([(C[l + t, l + t] + C[l, l]) / 2 - C[l + t, l] for l in ls]) for t in tau])
    chi = np.array([np.mean([eta * R[l + t, l: l + t].sum() for l in ls]) for t in tau])
    return fit(tau, dc, chi, win)


def simulate_fdt(problem, N: int, win: FdtWindow, seed=0, eps: float = 1e-3) -> FdtEstimate:
    """The estimator on one finite-size run of `problem` (plain GD/SGD/Langevin rule)."""
    p, alg = problem, problem.algorithm
    if alg.beta:
        raise StatcError("the FDT simulation estimator does not support momentum yet")
    win.validate(p.steps)
    rng = np.random.default_rng(seed)
    n = int(round(p.alpha * N))
    v = rng.standard_normal(N)
    v *= math.sqrt(N) / np.linalg.norm(v)
    X, y = p.teacher.draw(rng, v, n)
    w = initial_weights(rng, v, p.m0, p.Q0)
    sel = sample_selection(alg, rng, n, p.steps + 1)
    f = rng.choice([-1.0, 1.0], N)
    d1, buf = elementwise(p.loss.d1), np.empty(n)
    noise, sqN = math.sqrt(2.0 * p.eta * alg.temperature), math.sqrt(N)
    last = win.l1 + win.tau_hi
    traj = np.empty((last + 1, N))
    w_f, resp = None, np.zeros(win.tau_hi + 1)

    def step(u, k, xi, field):
        g = alg.kappa * sel[:, k] * d1(y, X @ u / sqN, buf)
        if p.sphere:            # Lagrange rule (simulate.lagrange_decay); each copy has its own λ_k
            du = -p.eta * (X.T @ g / sqN - field) + xi
            return lagrange_decay(u, du, p.sphere, k, p.eta) * u + du
        return u - p.eta * (p.lam * u + X.T @ g / sqN - field) + xi

    for k in range(last + 1):
        traj[k] = w
        if w_f is not None and k - win.l0 <= win.tau_hi:
            resp[k - win.l0] = (w_f - w) @ f / (eps * N)
        if k == last:
            break
        if k == win.l0:
            w_f = w.copy()
        xi = noise * rng.standard_normal(N) if noise else 0.0
        w_next = step(w, k, xi, 0.0)
        if w_f is not None:
            w_f = step(w_f, k, xi, eps * f)
        w = w_next
    tau = np.arange(1, win.tau_hi + 1)
    ls = np.arange(win.l0, win.l1 + 1)
    dc = np.array([np.mean(np.sum((traj[ls + t] - traj[ls]) ** 2, axis=1)) / (2 * N) for t in tau])
    return fit(tau, dc, resp[1:], win)


def default_window(steps: int) -> FdtWindow:
    """`observe T = fdt(w)`: waiting times in [K/2, K/2 + K/8], lags from max(1, τ_hi/10) to
    τ_hi = K − l1 (the run's second half is taken as stationary; lengthen t_end if it is not)."""
    if steps < 16:
        raise StatcError(f"fdt(...) needs at least 16 steps in the run, got {steps}",
                         hint="increase the run time (t_end) or decrease eta")
    l0 = steps // 2
    l1 = l0 + steps // 8
    hi = steps - l1
    return FdtWindow(l0, l1, max(1, hi // 10), hi)


def window_from_times(spec, eta: float, steps: int) -> FdtWindow:
    """The window of `fdt(w, window = t1 .. t2, lags = s1 .. s2)` in steps (t = k·eta), rounded to
    the nearest step (lags at least one step); an absent option takes the default of
    :func:`default_window` (waiting times [K/2, K/2 + K/8]; lags from max(1, s_hi/10) to K − l1)."""
    t1, t2, s1, s2 = spec if spec is not None else (None,) * 4
    if t1 is None and s1 is None:
        return default_window(steps)
    step = lambda t: int(round(t / eta))                       # noqa: E731
    if t1 is None:
        l0 = steps // 2
        l1 = l0 + steps // 8
    else:
        l0, l1 = step(t1), step(t2)
    if s1 is None:
        hi = steps - l1
        lo = max(1, hi // 10)
    else:
        lo, hi = max(1, step(s1)), max(1, step(s2))
    win = FdtWindow(l0, l1, lo, hi)
    if hi < 1 or l1 + hi > steps:
        raise StatcError(f"the FDT window (waiting times {l0 * eta:g} .. {l1 * eta:g}, lags {lo * eta:g} .. "
                         f"{hi * eta:g}) does not fit in the run (t = 0 .. {steps * eta:g})",
                         hint="lengthen the run (`run { time ... }` or --t-end) or set "
                              "`fdt(w, window = t1 .. t2, lags = s1 .. s2)` inside it")
    return win


def windows(problem) -> dict[str, FdtWindow]:
    """Each `observe T = fdt(w, ...)` name → its window in steps."""
    obs = problem.observe
    specs = obs.fdt_windows or (None,) * len(obs.fdt)
    return {name: window_from_times(spec, problem.eta, problem.steps) for name, spec in zip(obs.fdt, specs)}


def over_repeats(runs, eta: float, win: FdtWindow) -> dict:
    """The estimator on each repeat's kernels: mean T_eff, its standard error over repeats, the
    window (steps and times) and the mean curves ΔC(τ), χ(τ), T_eff(τ)."""
    ests = [from_kernels(np.outer(r.kernels.m, r.kernels.m) + r.kernels.C_perp, r.kernels.R, eta, win)
            for r in runs]
    t = np.array([e.t_eff for e in ests])
    se = float(t.std(ddof=1) / math.sqrt(len(t))) if len(t) > 1 else float("nan")
    mean = lambda f: np.mean([getattr(e, f) for e in ests], axis=0)      # noqa: E731
    return {"T_eff": float(t.mean()), "stderr": se,
            "window": {"t_wait": [round(win.l0 * eta, 12), round(win.l1 * eta, 12)],
                       "lag": [round(win.tau_lo * eta, 12), round(win.tau_hi * eta, 12)],
                       "steps_wait": [win.l0, win.l1], "steps_lag": [win.tau_lo, win.tau_hi]},
            "curves": {"lag": ests[0].tau * eta, "delta_C": mean("delta_c"), "chi": mean("chi"),
                       "T_eff_lag": mean("t_eff_tau")}}

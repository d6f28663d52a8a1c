"""Minimise the action over positive-definite U's (ATTENTION.md §9).

L-BFGS (scipy) on the Cholesky parameters θ with the exact gradient, from the GP point
U_ℓ = σ_ℓ² (I ⊗ U_{ℓ+1}) and from ``restarts`` random positive-definite starts
(U_ℓ^GP scaled by Wishart-like factors); the lowest minimum is kept and the spread of the
minima is reported.  At the minimum: the gradient norm (in θ, and the largest entry of
∂(S/N)/∂U_ℓ, the saddle-point residual) and the eigenvalues of the Hessian in θ, by central
differences of the exact gradient.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize
from threadpoolctl import threadpool_limits

from .action import Action, NotPositiveDefinite


@dataclass
class Solution:
    """The minimiser and its diagnostics."""

    theta: np.ndarray
    Us: list[np.ndarray]
    Ua: float
    action: float
    grad_norm: float            # |∂(S/N)/∂θ|_∞
    residual: float             # max_ℓ |∂(S/N)/∂U_ℓ|_∞
    iterations: int
    evaluations: int
    converged: bool
    message: str
    starts: list[dict] = field(default_factory=list)
    hessian_eigs: np.ndarray | None = None

    @property
    def U(self) -> np.ndarray:
        return self.Us[0]

    @property
    def hessian_pd(self) -> bool | None:
        return None if self.hessian_eigs is None else bool(self.hessian_eigs.min() > 0)


def _safe(action: Action):
    """f, g for scipy: a lost Cholesky is +inf (the line search backs off)."""
    def fg(theta):
        try:
            f, g = action(theta)
        except NotPositiveDefinite:
            return np.inf, np.zeros_like(theta)
        if not np.isfinite(f) or not np.all(np.isfinite(g)):
            return np.inf, np.zeros_like(theta)
        return f, g
    return fg


def local_minimum(action: Action, theta0: np.ndarray, gtol: float = 1e-10,
                  maxiter: int = 5000) -> tuple[np.ndarray, object]:
    res = minimize(_safe(action), theta0, jac=True, method="L-BFGS-B",
                   options={"maxiter": maxiter, "gtol": gtol, "ftol": 1e-300, "maxcor": 30})
    return res.x, res


def random_start(action: Action, rng: np.random.Generator, spread: float = 0.5) -> np.ndarray:
    """θ of U_ℓ = S_ℓ U_ℓ^GP S_ℓᵀ-like random PD matrices around the GP point."""
    arch = action.arch
    Us = []
    for l, U in enumerate(arch.gp_point()[:-1]):
        m = U.shape[0]
        X = np.eye(m) + spread * rng.standard_normal((m, m)) / np.sqrt(m)
        Us.append(np.linalg.cholesky(U) @ X @ X.T @ np.linalg.cholesky(U).T + 1e-3 * U)
    return action.chol.pack(Us)


def hessian(action: Action, theta: np.ndarray, step: float = 1e-5) -> np.ndarray:
    """Central differences of the exact gradient (symmetrised)."""
    n = theta.size
    Hm = np.empty((n, n))
    for i in range(n):
        e = np.zeros(n)
        e[i] = step
        Hm[:, i] = (action(theta + e)[1] - action(theta - e)[1]) / (2 * step)
    return 0.5 * (Hm + Hm.T)


def newton_polish(action: Action, theta: np.ndarray, steps: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """A few Newton steps with the finite-difference Hessian of the exact gradient, kept
    while they lower the gradient without raising the action: L-BFGS stalls near
    |grad| ~ 1e-8 in double precision, Newton reaches the rounding floor.  Returns θ and the
    last Hessian (at the returned θ when a step was taken and verified)."""
    f, g = action(theta)
    Hm = hessian(action, theta)
    for _ in range(steps):
        try:
            step = np.linalg.solve(Hm, g)
        except np.linalg.LinAlgError:
            break
        try:
            f2, g2 = action(theta - step)
        except NotPositiveDefinite:
            break
        if not (f2 <= f + 1e-13 * max(1.0, abs(f)) and np.max(np.abs(g2)) < np.max(np.abs(g))):
            break
        theta, f, g = theta - step, f2, g2
        Hm = hessian(action, theta)
    return theta, Hm


def solve(action: Action, restarts: int = 2, seed: int = 0, gtol: float = 1e-10,
          check_hessian: bool = True, maxiter: int = 5000) -> Solution:
    """The minimum of S/N: GP start plus ``restarts`` random starts, best kept; then Newton
    polish and the Hessian (when ``check_hessian``).  Small problems run on one BLAS thread
    (thread start-up dominates their cost)."""
    small = action.P * action.M * action.N0 < 2_000_000
    with threadpool_limits(limits=1 if small else None):
        return _solve(action, restarts, seed, gtol, check_hessian, maxiter)


def _solve(action: Action, restarts: int, seed: int, gtol: float, check_hessian: bool,
           maxiter: int) -> Solution:
    rng = np.random.default_rng(seed)
    gp = action.chol.pack(action.arch.gp_point()[:-1])
    starts = [("gp", gp)] + [(f"random {k + 1}", random_start(action, rng)) for k in range(restarts)]
    best, runs, trouble = None, [], ""
    for label, th0 in starts:
        try:
            action(th0)
        except NotPositiveDefinite as err:
            trouble = f"{err} at the {label} start"
            continue
        theta, res = local_minimum(action, th0, gtol, maxiter)
        f, g = _safe(action)(theta)
        runs.append({"start": label, "action": float(f), "grad_norm": float(np.max(np.abs(g))),
                     "iterations": int(res.nit), "evaluations": int(res.nfev),
                     "message": str(res.message)})
        if np.isfinite(f) and (best is None or f < best[0]):
            best = (f, theta, res)
    if best is None:
        raise NotPositiveDefinite(f"no start reached a finite action ({trouble or 'NaN'})")
    f, theta, res = best
    Hm = None
    if check_hessian:
        theta, Hm = newton_polish(action, theta)
    lams = action.chol.unpack(theta)
    Us = [lam @ lam.T for lam in lams]
    ev = action.evaluate_U(Us, lams)
    g = action.chol.grad(lams, ev.grads)
    residual = max(float(np.max(np.abs(G))) for G in ev.grads)
    sol = Solution(theta, Us, ev.Ua, ev.action, float(np.max(np.abs(g))), residual, int(res.nit),
                   int(res.nfev), bool(residual < 1e-6), str(res.message), runs)
    if Hm is not None:
        sol.hessian_eigs = np.linalg.eigvalsh(Hm)
    return sol

#!/usr/bin/env python
"""The kernel kind: action + gradient evaluations per second and time to solve.

* statc's :class:`~statc.runtime.kernel.action.Action` (one Cholesky of A, A⁻¹F, E as
  Frobenius products of path blocks; memory O(P M N0)) against a NumPy reference of the same
  formulas written here the direct way: every P×P path-pair block C_ππ′ materialised,
  A⁻¹ by ``numpy.linalg.inv``, E_ππ′ = Tr(A⁻¹C_ππ′) − bᵀC_ππ′b (memory O(M² P²)); the
  two agree to ~1e-10 (checked here);
* solving: statc's L-BFGS (+ Newton polish) to |grad|_∞ ≤ 1e-8 against Adam on the same
  action and gradient (lr 0.01 on the Cholesky parameters, as the paper's code uses Adam,
  stopped at |grad|_∞ < 1e-5 or 20 000 steps);
* cost growth in P (expected P³ once the Cholesky dominates) and in M = H^L.

    python benchmarks/bench_kernel.py         # writes benchmarks/results/kernel.json
"""
from __future__ import annotations

import datetime
import json
import platform
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from _common import cpu_name
from statc.runtime.kernel.action import Action, readout_overlap
from statc.runtime.kernel.levels import Architecture, kron_eye, partial_trace
from statc.runtime.kernel.solve import solve

RESULTS = Path(__file__).resolve().parent / "results" / "kernel.json"


def problem(P, heads, N0=50, N=None, seed=0):
    rng = np.random.default_rng(seed)
    M = int(np.prod(heads))
    F = rng.standard_normal((P, M, N0)) / np.sqrt(N0 * M)
    y = np.sign(F[:, 0, :3].sum(axis=1) + 0.3 * rng.standard_normal(P))
    N = N or P
    L = len(heads)
    return Action(Architecture(tuple(heads), (float(N),) * (L + 1), (1.0,) * (L + 1)), F, y, 0.05)


def reference(action: Action, Us: list[np.ndarray]):
    """S/N and ∂(S/N)/∂U_ℓ, the direct way (all C_ππ′ blocks, an explicit inverse)."""
    arch, F, y, T = action.arch, action.F, action.y, action.T
    P, M, _ = F.shape
    C = np.einsum("pmn,qkn->mkpq", F, F)                       # M × M × P × P
    K = np.einsum("mk,mkpq->pq", Us[0], C)
    Ai = np.linalg.inv(K + T * np.eye(P))
    b = Ai @ y
    energy = np.linalg.slogdet(K + T * np.eye(P))[1] + y @ b
    E = np.einsum("pq,mkqp->mk", Ai, C) - np.einsum("p,mkpq,q->mk", b, C, b)
    L = arch.L
    Ua = readout_overlap(arch, Us[-1])
    lev = list(Us) + [np.array([[Ua]]), np.array([[1.0]])]
    heads = tuple(arch.heads) + (1,)
    inv = [np.linalg.inv(u) for u in lev]
    S = energy
    for l in range(L + 1):
        S += arch.widths[l] * (np.trace(inv[l + 1] @ partial_trace(lev[l], heads[l])) / arch.variances[l]
                               - np.linalg.slogdet(lev[l])[1] + heads[l] * np.linalg.slogdet(lev[l + 1])[1])
    G = []
    for l in range(L):
        g = arch.widths[l] * (kron_eye(heads[l], inv[l + 1]) / arch.variances[l] - inv[l])
        if l:
            g += arch.widths[l - 1] * (heads[l - 1] * inv[l] - inv[l] @ partial_trace(lev[l - 1], heads[l - 1])
                                       @ inv[l] / arch.variances[l - 1])
        if l == 0:
            g = g + E
        G.append(g / action.scale)
    return S / action.scale, G


def rate(fn, min_time=1.0):
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < min_time or n < 3:
        fn()
        n += 1
    return n / (time.perf_counter() - t0)


def adam(action: Action, lr=0.01, tol=1e-5, max_steps=20_000):
    theta = action.chol.pack(action.arch.gp_point()[:-1])
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    t0 = time.perf_counter()
    for k in range(1, max_steps + 1):
        f, g = action(theta)
        if np.max(np.abs(g)) < tol:
            break
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        theta -= lr * (m / (1 - 0.9 ** k)) / (np.sqrt(v / (1 - 0.999 ** k)) + 1e-12)
    return {"steps": k, "seconds": time.perf_counter() - t0, "grad_norm": float(np.max(np.abs(g))),
            "action": float(f)}


def main() -> None:
    out = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
           "machine": {"cpu": cpu_name(), "python": platform.python_version()}, "evaluations": [],
           "solve": [], "growth_P": [], "growth_M": []}
    with threadpool_limits(limits=1):
        for P, heads in ((100, (2, 2)), (300, (2, 2)), (100, (3, 3))):
            A = problem(P, heads)
            Us = [U * 1.1 for U in A.arch.gp_point()[:-1]]
            ev = A.evaluate_U(Us)
            S_ref, G_ref = reference(A, Us)
            err = max(abs(ev.action - S_ref), *(float(np.max(np.abs(a - b))) for a, b in zip(ev.grads, G_ref)))
            r_statc = rate(lambda: A.evaluate_U(Us))
            r_ref = rate(lambda: reference(A, Us))
            out["evaluations"].append({"P": P, "heads": heads, "statc_per_s": r_statc, "reference_per_s": r_ref,
                                       "ratio": r_statc / r_ref, "max_abs_difference": err})
            print(f"P = {P}, heads {heads}: statc {r_statc:.0f}/s, reference {r_ref:.1f}/s "
                  f"({r_statc / r_ref:.1f}x), max |difference| {err:.1e}")
        for P, heads in ((100, (2, 2)), (200, (2, 2))):
            A = problem(P, heads, N=P / 2)
            t0 = time.perf_counter()
            sol = solve(A, restarts=0, check_hessian=True)
            t_statc = time.perf_counter() - t0
            ad = adam(A)
            out["solve"].append({"P": P, "heads": heads, "lbfgs_iterations": sol.iterations,
                                 "lbfgs_evaluations": sol.evaluations, "statc_seconds": t_statc,
                                 "statc_grad_norm": sol.grad_norm, "adam": ad,
                                 "action_difference": ad["action"] - sol.action})
            print(f"solve P = {P}: L-BFGS {sol.iterations} it + Newton, {t_statc:.2f} s to |grad| "
                  f"{sol.grad_norm:.1e}; Adam {ad['steps']} steps, {ad['seconds']:.2f} s to {ad['grad_norm']:.1e}")
        for P in (200, 400, 800, 1600):
            A = problem(P, (2, 2))
            Us = A.arch.gp_point()[:-1]
            t = 1 / rate(lambda: A.evaluate_U(Us), 0.5)
            out["growth_P"].append({"P": P, "seconds": t})
            print(f"P = {P}: {t * 1e3:.1f} ms per action + gradient")
        for heads in ((1,), (2,), (2, 2), (2, 2, 2), (2, 2, 2, 2)):
            A = problem(200, heads)
            Us = A.arch.gp_point()[:-1]
            t = 1 / rate(lambda: A.evaluate_U(Us), 0.5)
            out["growth_M"].append({"M": int(np.prod(heads)), "heads": heads, "seconds": t})
            print(f"M = {int(np.prod(heads))}: {t * 1e3:.1f} ms per action + gradient (P = 200)")
    p = [g["P"] for g in out["growth_P"]]
    s = [g["seconds"] for g in out["growth_P"]]
    out["growth_P_exponent"] = float(np.polyfit(np.log(p[-2:]), np.log(s[-2:]), 1)[0])
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=2) + "\n")
    print(f"P exponent (last two points): {out['growth_P_exponent']:.2f}; wrote {RESULTS}")


if __name__ == "__main__":
    main()

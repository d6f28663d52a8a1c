#!/usr/bin/env python
"""RHS speed and time-to-solution: statc's generated kernel vs a hand-written NumPy baseline.

Model: the soft committee machine of ``models/saad_solla.model`` (Saad & Solla 1995;
Goldt et al. 2019), g(x) = erf(x/sqrt 2), online SGD, K = M = 2, 4, 10.

The baseline is the Saad-Solla/Goldt ODE system written by hand the way a careful
researcher would in a notebook: the I2, I3, I4, J2 closed forms as NumPy ufunc
expressions broadcast over whole index tuples (no Python loop over indices), with
teacher and student fields stacked into one covariance matrix so that

    y - yhat = sum_a c_a g(f_a),   f = (lambda_1..lambda_K, nu_1..nu_M),  c = (-v, vt),

turns each bracket of the equations into one signed sum:
    dR_km = eta v_k  sum_a c_a I3(k, m, a)
    dQ_kl = eta v_k  sum_a c_a I3(k, l, a) + (k <-> l)
          + eta^2 v_k v_l [ sum_ab c_a c_b I4(k, l, a, b) + sigma^2 J2(k, l) ]
    dv_k  = eta_v    sum_a c_a I2(k, a)
(the same equations as the separate teacher/student sums of the papers).

Measured, for each K:
* RHS evaluations per second on one fixed state (each `rhs` called from Python; also,
  for statc, RHS evaluations / wall time of a whole `Model.run`);
* wall time to integrate t = 0 -> 1000 (rtol 1e-8, atol 1e-10): statc via `Model.run`
  (its own jitted DOPRI5), the NumPy baseline via `scipy.integrate.solve_ivp(RK45)`,
  and -- like for like -- statc's `rhs` under the same `solve_ivp(RK45)`.

Before any timing the script asserts that (1) the baseline's closed forms match a
Monte Carlo estimate, (2) both RHS agree on random valid states (overlaps of random
vectors at N = 200) to 1e-10 relative, (3) both trajectories agree on eps_g at t = 1000.

    python benchmarks/bench_rhs.py            # writes benchmarks/results/rhs.json
    python benchmarks/bench_rhs.py --quick    # K = 2, 4 only, shorter timing loops
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from _common import cpu_name
from scipy.integrate import solve_ivp

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "saad_solla.model"
RESULTS = Path(__file__).resolve().parent / "results" / "rhs.json"

T_END = 1000.0
RTOL, ATOL = 1e-8, 1e-10
ETA, ETA_V, SIGMA = 0.5, 0.0, 0.0      # timed runs (the model's defaults)
INIT_N, SEED = 1000, 0                  # random initial weights at N = 1000 (statc's default)

_2PI = 2.0 / np.pi
_4PI2 = 4.0 / np.pi ** 2


# ============================================================================ NumPy baseline
# Closed forms for g = erf(x/sqrt 2), arguments = covariance entries (broadcastable arrays).

def I2(c00, c01, c11):
    """E[g(u) g(v)]."""
    return _2PI * np.arcsin(c01 / np.sqrt((1 + c00) * (1 + c11)))


def J2(c00, c01, c11):
    """E[g'(u) g'(v)]."""
    return _2PI / np.sqrt((1 + c00) * (1 + c11) - c01 ** 2)


def I3(c00, c01, c02, c12, c22):
    """E[g'(u) v g(w)]."""
    s = 1 + c00
    return _2PI * (c12 * s - c01 * c02) / (s * np.sqrt(s * (1 + c22) - c02 ** 2))


def I4(c00, c01, c02, c03, c11, c12, c13, c22, c23, c33):
    """E[g'(u) g'(v) g(w) g(z)] (Saad & Solla 1995)."""
    a, b = 1 + c00, 1 + c11
    L4 = a * b - c01 ** 2
    L0 = L4 * c23 - c02 * c03 * b - c12 * c13 * a + c01 * c02 * c13 + c01 * c03 * c12
    L1 = L4 * (1 + c22) - c12 ** 2 * a - c02 ** 2 * b + 2 * c01 * c02 * c12
    L2 = L4 * (1 + c33) - c13 ** 2 * a - c03 ** 2 * b + 2 * c01 * c03 * c13
    return _4PI2 / np.sqrt(L4) * np.arcsin(L0 / np.sqrt(L1 * L2))


def unpack(y, K, M):
    """Flat state -> Q (K,K), R (K,M), T (M,M), vt (M), v (K) (views)."""
    o = 0
    Q = y[o:o + K * K].reshape(K, K); o += K * K
    R = y[o:o + K * M].reshape(K, M); o += K * M
    T = y[o:o + M * M].reshape(M, M); o += M * M
    vt = y[o:o + M]; o += M
    v = y[o:o + K]
    return Q, R, T, vt, v


def numpy_rhs(y, K, M, eta, eta_v, sigma):
    """d/dt of the flat state (same order as statc's layout: Q, R, T, vt, v)."""
    Q, R, T, vt, v = unpack(y, K, M)
    C = np.block([[Q, R], [R.T, T]])              # covariance of f = (lambda, nu), L x L
    d = np.diag(C)
    c = np.concatenate((-v, vt))                  # y - yhat = sum_a c_a g(f_a)
    Ck = C[:K]                                    # (K, L): rows of the student fields
    dk = d[:K]

    # I3(k, b, a) = E[g'(lambda_k) f_b g(f_a)], shape (K, L, L); contract over a
    i3 = I3(dk[:, None, None], Ck[:, :, None], Ck[:, None, :], C[None, :, :], d[None, None, :])
    A = (i3.reshape(-1, i3.shape[2]) @ c).reshape(K, -1)      # (K, L)
    lin = eta * v[:, None] * A
    dR = lin[:, K:]
    dQ = lin[:, :K] + lin[:, :K].T

    # I4(k, l, a, b) = E[g'(lambda_k) g'(lambda_l) g(f_a) g(f_b)], shape (K, K, L, L)
    i4 = I4(dk[:, None, None, None], Q[:, :, None, None], Ck[:, None, :, None], Ck[:, None, None, :],
            dk[None, :, None, None], Ck[None, :, :, None], Ck[None, :, None, :],
            d[None, None, :, None], C[None, None, :, :], d[None, None, None, :])
    quad = ((i4.reshape(-1, i4.shape[3]) @ c).reshape(K * K, -1) @ c).reshape(K, K)
    bracket = quad
    if sigma != 0.0:
        bracket = bracket + sigma ** 2 * J2(dk[:, None], Q, dk[None, :])
    dQ += eta ** 2 * np.outer(v, v) * bracket

    dv = eta_v * (I2(dk[:, None], Ck, d[None, :]) @ c)
    return np.concatenate((dQ.ravel(), dR.ravel(), np.zeros(M * M + M), dv))


def numpy_eps_g(y, K, M):
    """eps_g = E[(yhat - y)^2] / 2 at sigma = 0."""
    Q, R, T, vt, v = unpack(y, K, M)
    C = np.block([[Q, R], [R.T, T]])
    d = np.diag(C)
    c = np.concatenate((-v, vt))
    return 0.5 * c @ I2(d[:, None], C, d[None, :]) @ c


# ============================================================================ helpers

def mc_check_closed_forms(n: int = 1_000_000, seed: int = 7) -> dict:
    """The baseline's I2, I3, I4, J2 against Monte Carlo on a random covariance (5 sigma)."""
    from scipy.special import erf
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((4, 4))
    C = A @ A.T / 2 + 0.2 * np.eye(4)
    z = np.linalg.cholesky(C) @ rng.standard_normal((4, n))
    g = erf(z / np.sqrt(2))
    dg = np.sqrt(2 / np.pi) * np.exp(-z * z / 2)
    cases = {
        "I2": (g[0] * g[1], I2(C[0, 0], C[0, 1], C[1, 1])),
        "J2": (dg[0] * dg[1], J2(C[0, 0], C[0, 1], C[1, 1])),
        "I3": (dg[0] * z[1] * g[2], I3(C[0, 0], C[0, 1], C[0, 2], C[1, 2], C[2, 2])),
        "I4": (dg[0] * dg[1] * g[2] * g[3],
               I4(C[0, 0], C[0, 1], C[0, 2], C[0, 3], C[1, 1], C[1, 2], C[1, 3], C[2, 2], C[2, 3], C[3, 3])),
    }
    out = {}
    for name, (samples, closed) in cases.items():
        mean, se = samples.mean(), samples.std() / np.sqrt(n)
        z_score = abs(mean - closed) / se
        assert z_score < 5, f"baseline closed form {name} = {closed} disagrees with MC {mean} ± {se}"
        out[name] = {"closed_form": float(closed), "monte_carlo": float(mean), "stderr": float(se)}
    return out


def random_state(K, M, rng, N=200):
    """A valid state: overlaps of random vectors at N, random readouts."""
    w = rng.standard_normal((K, N))
    wt = rng.standard_normal((M, N))
    v = rng.uniform(0.5, 1.5, K)
    vt = rng.uniform(0.5, 1.5, M)
    return np.concatenate(((w @ w.T / N).ravel(), (w @ wt.T / N).ravel(), (wt @ wt.T / N).ravel(), vt, v))


def per_second(fn, budget: float, windows: int = 3) -> float:
    """Calls per second of ``fn()``: best of ``windows`` windows of ``budget / windows`` seconds
    (the best window is the least disturbed by other load on the machine)."""
    fn()
    best = 0.0
    for _ in range(windows):
        batch, n = 1, 0
        t0 = time.perf_counter()
        while True:
            for _ in range(batch):
                fn()
            n += batch
            el = time.perf_counter() - t0
            if el >= budget / windows:
                break
            batch = min(batch * 2, max(1, int(n / el * 0.05)))
        best = max(best, n / el)
    return best


def timed(fn, budget: float, max_reps: int = 5):
    """(best wall seconds, all wall seconds, last result) of ``fn()`` repeated while the
    total stays under ~``budget`` seconds (at least twice, at most ``max_reps`` times)."""
    times, res = [], None
    while len(times) < max_reps and (len(times) < 2 or sum(times) < budget):
        t0 = time.perf_counter()
        res = fn()
        times.append(time.perf_counter() - t0)
    return min(times), times, res


# ============================================================================ main

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="2,4,10", help="comma-separated K (= M) values")
    ap.add_argument("--quick", action="store_true", help="K = 2, 4 and short timing loops")
    ap.add_argument("--cache-dir", default=os.path.join(tempfile.gettempdir(), "statc-bench-cache"),
                    help="statc kernel cache (compile time is not measured here)")
    ap.add_argument("--out", default=str(RESULTS))
    args = ap.parse_args(argv)
    sizes = [2, 4] if args.quick else [int(s) for s in args.sizes.split(",")]
    rate_budget = 0.3 if args.quick else 1.0
    run_budget = 1.0 if args.quick else 3.0

    import statc
    from statc.runtime import params as pm
    from statc.runtime.online.initial import initial_state
    from statc.runtime.online.layout import make_layout

    t0 = time.perf_counter()
    m = statc.load(MODEL, cache_dir=args.cache_dir)
    meta, module = m.compiled.meta, m.compiled.module
    rhs = module.rhs
    print(f"statc model loaded in {time.perf_counter() - t0:.2f} s "
          f"({'cache hit' if m.compiled.cache_hit else 'derived'}; cache {args.cache_dir})")

    # ---------------------------------------------------------------- checks
    mc = mc_check_closed_forms()
    print("closed forms vs Monte Carlo (1e6 samples): " +
          ", ".join(f"{k} {v['closed_form']:+.5f}/{v['monte_carlo']:+.5f}" for k, v in mc.items()))

    rng = np.random.default_rng(12345)
    rhs_checks = {}
    for K in sorted(set(sizes) | {3}):
        M = K if K != 3 else 2             # also one K != M case
        values = pm.resolve(m.compiled.model, meta, {"K": K, "M": M, "eta": 0.7, "eta_v": 0.3,
                                                     "sigma": 0.4})
        P = pm.vector(meta, values)
        layout = make_layout(meta, values)
        assert [(b.name, b.shape) for b in layout.blocks] == \
               [("Q", (K, K)), ("R", (K, M)), ("T", (M, M)), ("vt", (M,)), ("v", (K,))], layout
        worst = 0.0
        for _ in range(3):
            y = random_state(K, M, rng)
            a = np.zeros_like(y)
            rhs(0.0, y, P, a)
            b = numpy_rhs(y, K, M, 0.7, 0.3, 0.4)
            err = np.max(np.abs(a - b)) / np.max(np.abs(b))
            worst = max(worst, err)
            assert err < 1e-10, f"RHS mismatch at K={K}, M={M}: rel. error {err:.3g}"
            e_statc = np.zeros(1)
            module.observables(0.0, y, P, e_statc)
            e_np = numpy_eps_g(y, K, M)
            assert abs(e_statc[0] - e_np) <= 1e-12 * abs(e_np) + 1e-15, (e_statc[0], e_np)
        rhs_checks[f"K={K},M={M}"] = worst
    print("RHS agreement on random states (N = 200 overlaps, eta_v, sigma != 0), max rel. error: " +
          ", ".join(f"{k}: {v:.1e}" for k, v in rhs_checks.items()))

    # ---------------------------------------------------------------- benchmarks
    rows = []
    for K in sizes:
        M = K
        over = {"K": K, "M": M, "eta": ETA, "eta_v": ETA_V, "sigma": SIGMA}
        values = pm.resolve(m.compiled.model, meta, over)
        P = pm.vector(meta, values)
        layout = make_layout(meta, values)
        y0 = initial_state(m.compiled, layout, values, P, init_N=INIT_N, seed=SEED)

        # RHS evaluations per second, on the initial state
        dy = np.zeros_like(y0)
        statc_rate = per_second(lambda: rhs(0.0, y0, P, dy), rate_budget)
        numpy_rate = per_second(lambda: numpy_rhs(y0, K, M, ETA, ETA_V, SIGMA), rate_budget)

        # statc: own integrator through the public API (record only t = 0 and t = T_END,
        # so that neither integrator is forced to land on intermediate times)
        def run_statc():
            return m.run(t_end=T_END, record="linear 1", rtol=RTOL, atol=ATOL,
                         init_N=INIT_N, seed=SEED, **over)
        run_statc()                                     # JIT warm-up / Numba cache load
        statc_s, statc_times, traj = timed(run_statc, run_budget)
        assert traj.info["params"]["K"] == K and traj.info["params"]["M"] == M
        for name, flat in layout.columns():             # same initial state as the baseline
            assert traj[name][0] == y0[flat], name

        # NumPy baseline under solve_ivp(RK45)
        def run_numpy():
            return solve_ivp(lambda t, y: numpy_rhs(y, K, M, ETA, ETA_V, SIGMA), (0.0, T_END), y0,
                             method="RK45", rtol=RTOL, atol=ATOL)
        numpy_s, numpy_times, sol_np = timed(run_numpy, run_budget)
        assert sol_np.success, sol_np.message

        # statc's RHS under the same solve_ivp(RK45): like-for-like RHS comparison
        def f_statc(t, y):
            out = np.empty_like(y)
            rhs(t, y, P, out)
            return out
        hybrid_s, hybrid_times, sol_hy = timed(lambda: solve_ivp(f_statc, (0.0, T_END), y0, method="RK45",
                                                      rtol=RTOL, atol=ATOL), run_budget)

        # the trajectories must agree before any number is reported
        eps_statc = float(traj["eps_g"][-1])
        eps_numpy = float(numpy_eps_g(sol_np.y[:, -1], K, M))
        eps_hybrid = float(numpy_eps_g(sol_hy.y[:, -1], K, M))
        # eps_g can decay to ~1e-10 (perfect learning, at the atol level), so the tolerance is
        # absolute, relative to the initial error; the final states must agree as well
        eps_0 = float(numpy_eps_g(y0, K, M))
        diff = abs(eps_statc - eps_numpy)
        assert diff <= 1e-6 * eps_0, f"K={K}: eps_g(t={T_END:g}) statc {eps_statc} vs NumPy {eps_numpy}"
        y_statc = np.array(y0)
        for name, flat in layout.columns():
            y_statc[flat] = traj[name][-1]
        Q_s = y_statc[:K * K].reshape(K, K)
        y_statc[:K * K] = np.triu(Q_s).ravel() + np.triu(Q_s, 1).T.ravel()   # mirror Q
        state_diff = float(np.max(np.abs(y_statc - sol_np.y[:, -1])) / np.max(np.abs(sol_np.y[:, -1])))
        assert state_diff < 1e-5, f"K={K}: final states differ by {state_diff:.3g} (relative to max)"
        assert abs(eps_hybrid - eps_numpy) <= 1e-6 * eps_0, (eps_hybrid, eps_numpy)
        rel = diff / eps_0

        nfev_statc = int(traj.info["rhs_evaluations"])
        rows.append({
            "K": K, "M": M,
            "statc_rhs_per_s": statc_rate,
            "numpy_rhs_per_s": numpy_rate,
            "rhs_ratio": statc_rate / numpy_rate,
            "statc_in_loop_rhs_per_s": nfev_statc / statc_s,
            "statc_t1000_s": statc_s,
            "numpy_t1000_s": numpy_s,
            "t1000_ratio": numpy_s / statc_s,
            "statc_rhs_solve_ivp_s": hybrid_s,
            "statc_nfev": nfev_statc, "statc_steps": int(traj.info["steps"]),
            "numpy_nfev": int(sol_np.nfev), "statc_rhs_solve_ivp_nfev": int(sol_hy.nfev),
            "eps_g_t0": eps_0, "eps_g_t1000_statc": eps_statc, "eps_g_t1000_numpy": eps_numpy,
            "eps_g_abs_diff_over_eps_g_t0": rel, "final_state_rel_diff": state_diff, "all_times_s": {"statc": statc_times, "numpy": numpy_times, "statc_rhs_solve_ivp": hybrid_times},
        })
        print(f"  K = M = {K}: eps_g {eps_0:.4g} -> {eps_statc:.6g} at t = {T_END:g} (NumPy {eps_numpy:.6g}; "
              f"|diff|/eps_g(0) {rel:.1e}, final state rel. diff {state_diff:.1e})",
              flush=True)

    # ---------------------------------------------------------------- report
    hdr = (f"{'K':>3} | {'statc RHS/s':>12} {'NumPy RHS/s':>12} {'ratio':>7} | "
           f"{'statc t→1000':>12} {'NumPy t→1000':>12} {'ratio':>7} | {'statc-RHS+solve_ivp':>19} "
           f"| {'nfev statc/NumPy':>16}")
    print()
    print(hdr)
    print("-" * len(hdr))
    for r in rows:
        print(f"{r['K']:>3} | {r['statc_rhs_per_s']:>12.4g} {r['numpy_rhs_per_s']:>12.4g} "
              f"{r['rhs_ratio']:>6.1f}x | {r['statc_t1000_s']:>11.4g}s {r['numpy_t1000_s']:>11.4g}s "
              f"{r['t1000_ratio']:>6.1f}x | {r['statc_rhs_solve_ivp_s']:>18.4g}s "
              f"| {r['statc_nfev']:>7}/{r['numpy_nfev']:<8}")
    print("(RHS/s: calls from Python on the t = 0 state; inside statc's own integrator, nfev / run time: " +
          ", ".join(f"K={r['K']}: {r['statc_in_loop_rhs_per_s']:.3g}/s" for r in rows) + ")")

    import numba
    import scipy
    result = {
        "benchmark": "bench_rhs", "model": str(MODEL.relative_to(ROOT)),
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "machine": {"cpu": cpu_name(), "cores": os.cpu_count(), "python": platform.python_version(),
                    "numpy": np.__version__, "scipy": scipy.__version__, "numba": numba.__version__},
        "settings": {"t_end": T_END, "rtol": RTOL, "atol": ATOL, "eta": ETA, "eta_v": ETA_V,
                     "sigma": SIGMA, "init_N": INIT_N, "seed": SEED,
                     "statc_integrator": "statc dopri5 (Model.run, record 'linear 1')",
                     "baseline_integrator": "scipy.integrate.solve_ivp RK45"},
        "checks": {"closed_forms_vs_mc": mc, "rhs_max_rel_error": rhs_checks},
        "rows": rows,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

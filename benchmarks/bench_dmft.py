#!/usr/bin/env python
"""DMFT solver speed: statc's parallel Numba sweep vs a NumPy reference of the same sweep.

Case: the rigorous-DMFT paper's default (DMFT.md §6 V1): square loss, noiseless linear
teacher, ridge λ = 0.5, α = 3, GD η = 0.1, m0 = 0.2, Q0 = 1.04, T steps. Its exact m(T) (the
Marchenko–Pastur solution, Gauss–Chebyshev quadrature here) measures the Monte-Carlo error.

The baseline is `statc.runtime.dmft.reference.solve_numpy`: the same causal sweep vectorised
over samples in NumPy (loss and derivatives as NumPy expressions), run in the same process on
the same random numbers. Before timing, both are run on a small case and their kernels must
agree to 1e-5 relative (statc computes the memory's response in reverse mode with float32
adjoints, NumPy streams a stored float32 forward tangent: the same sums in another order).

Measured:
* one solve at (T, n_s), statc and NumPy (best of --reps), after a warm-up that compiles;
* the Monte-Carlo error of m(T): seed-to-seed standard deviation over --repeats statc solves,
  and the deviation of their mean from the exact value;
* cost growth: statc time vs T at fixed n_s, and vs n_s at fixed T (log-log slopes);
* a profile: the sample step's share of a sweep and its rate of adjoint multiply-adds
  (k(k−1)/2 per sample) at the last step.

    python benchmarks/bench_dmft.py                       # T = 100, n_s = 1e5 (a few minutes on 2 cores)
    python benchmarks/bench_dmft.py --quick               # T = 50, n_s = 1e4
    python benchmarks/bench_dmft.py --numpy-samples 20000 # NumPy at a smaller n_s (time scaled, marked)
    python benchmarks/bench_dmft.py --spectral-only --steps 100 --samples 10000   # structured vs identity
"""
from __future__ import annotations

import argparse
import datetime
import json
import platform
import sys
import time
from pathlib import Path

import numba
import numpy as np
import scipy

from _common import cpu_name
from statc.runtime.dmft import DmftProblem, draw_inputs, get_loss, make_algorithm, make_teacher, solve
from statc.runtime.dmft.reference import solve_numpy

RESULTS = Path(__file__).resolve().parent / "results" / "dmft.json"
ALPHA, LAM, M0, Q0, ETA = 3.0, 0.5, 0.2, 1.04, 0.1
SQUARE_NUMPY = (lambda y, h: 0.5 * (h - y) ** 2, lambda y, h: h - y, lambda y, h: np.ones_like(h))


def problem(steps: int) -> DmftProblem:
    return DmftProblem(make_teacher("linear"), get_loss("square"), make_algorithm("gd", ETA),
                       alpha=ALPHA, eta=ETA, steps=steps, lam=LAM, m0=M0, Q0=Q0)


def exact_m(steps: int, nodes: int = 4000) -> float:
    """m_T = ∫ρ_MP [p_T (m0 − s) + s], p = (1 − η(λ + a))^T, s = a/(λ + a)."""
    lo, hi = (np.sqrt(ALPHA) - 1) ** 2, (np.sqrt(ALPHA) + 1) ** 2
    c, r = (hi + lo) / 2, (hi - lo) / 2
    i = np.arange(1, nodes + 1)
    a = c + r * np.cos(i * np.pi / (nodes + 1))
    w = np.pi / (nodes + 1) * np.sin(i * np.pi / (nodes + 1)) ** 2 * r * r / (2 * np.pi * a)
    s = a / (LAM + a)
    return float(((1 - ETA * (LAM + a)) ** steps * (M0 - s) + s) @ w)


def timed(fn, reps: int) -> float:
    best = np.inf
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def check_agreement() -> float:
    p = problem(12)
    inp = draw_inputs(p, 500, 1)
    a, b = solve(p, 500, inputs=inp), solve_numpy(p, 500, inputs=inp, losses=SQUARE_NUMPY)
    worst = 0.0
    for name in ("gamma", "egg", "R", "C_perp", "m", "A"):
        x, y = getattr(a.kernels, name), getattr(b.kernels, name)
        worst = max(worst, float(np.max(np.abs(x - y)) / max(np.max(np.abs(y)), 1e-300)))
    assert worst < 1e-5, f"statc and NumPy sweeps disagree ({worst:.2e})"
    return worst


def profile(steps: int, n: int) -> dict:
    """Where one sweep's time goes: the share of the parallel sample step (the rest: Cholesky
    row, weight recursions, reductions), and the sample step at its last step k = steps as a
    rate of the reverse-mode adjoint multiply-adds, k(k−1)/2 per sample (the O(K³ n_s) part)."""
    from statc.runtime.dmft import sweep as S
    inner, last = [], {}
    kernel = S.sample_step_kernel

    def timed_kernel(loss):
        f = kernel(loss)

        def g(*a):
            t0 = time.perf_counter()
            f(*a)
            inner.append(time.perf_counter() - t0)
            if a[0] == steps:
                last["args"] = a
        return g
    S.sample_step_kernel = timed_kernel
    try:
        t0 = time.perf_counter()
        solve(problem(steps), n, 0)
        total = time.perf_counter() - t0
    finally:
        S.sample_step_kernel = kernel
    f = kernel(problem(steps).loss)
    t_last = timed(lambda: f(*last["args"]), 5)
    fmas = n * steps * (steps - 1) // 2                # adjoint multiply-adds at step k = steps
    return {"steps": steps, "samples": n, "sweep_s": total, "sample_step_s": float(sum(inner)),
            "sample_step_share": float(sum(inner) / total), "last_step_s": t_last,
            "last_step_adjoint_fma_per_s": fmas / t_last,
            "adjoint_fma_per_sweep": n * sum(k * (k - 1) // 2 for k in range(steps + 1))}


def slope(xs, ys) -> float:
    return float(np.polyfit(np.log(xs), np.log(ys), 1)[0])


def spectral_cost(steps: int, n: int, reps: int) -> dict:
    """Spectral DMFT (structured covariance, DMFT.md §2.3) against the identity one at the same
    steps and n_s: the sample side is the same kernel; the weight side carries S levels of
    (A, a, R), so the extra cost is O(S K³) NumPy work per sweep, independent of n_s."""
    from statc.runtime.dmft.spectral import Structured, power_law, two_level

    def structured(spec):
        base = problem(steps)
        return DmftProblem(Structured(base.teacher, spec), base.loss, base.algorithm, alpha=ALPHA, eta=ETA,
                           steps=steps, lam=LAM, m0=M0, Q0=Q0)

    solve(structured(two_level(0.5, 2.0, 0.3)), 100, 0)        # warm
    t_id = timed(lambda: solve(problem(steps), n, 0), reps)
    out = {"steps": steps, "samples": n, "identity_s": t_id}
    for name, spec in (("two_level", two_level(0.5, 2.0, 0.3)), ("power_law_16", power_law(0.3, 16)),
                       ("power_law_64", power_law(0.3, 64))):
        t = timed(lambda spec=spec: solve(structured(spec), n, 0), reps)
        out[name] = {"levels": len(spec.sigma), "seconds": t, "ratio": t / t_id}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--samples", type=int, default=100_000)
    ap.add_argument("--numpy-samples", type=int, default=None, help="n_s for the NumPy baseline (default: --samples)")
    ap.add_argument("--repeats", type=int, default=3, help="independent statc solves for the MC error")
    ap.add_argument("--reps", type=int, default=1, help="timing repetitions (best kept)")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out", default=str(RESULTS))
    ap.add_argument("--spectral-only", action="store_true",
                    help="only the structured-covariance cost (results/dmft_spectral.json)")
    args = ap.parse_args()
    if args.quick:
        args.steps, args.samples = 50, 10_000
    if args.spectral_only:
        res = spectral_cost(args.steps, args.samples, max(args.reps, 3))
        res["machine"] = {"cpu": cpu_name(), "threads": numba.get_num_threads()}
        print(json.dumps(res, indent=2))
        (RESULTS.parent / "dmft_spectral.json").write_text(json.dumps(res, indent=2) + "\n")
        return
    ns_np = args.numpy_samples or args.samples
    T, ns = args.steps, args.samples

    agree = check_agreement()
    solve(problem(3), 100, 0)                                   # compile
    p = problem(T)
    t_statc = timed(lambda: solve(p, ns, 0), args.reps)
    inp = draw_inputs(p, ns_np, 0)
    t_numpy = timed(lambda: solve_numpy(p, ns_np, inputs=inp, losses=SQUARE_NUMPY), args.reps)
    del inp
    t_numpy_scaled = t_numpy * ns / ns_np                       # the sweep is linear in n_s (measured below)
    finals = np.array([solve(p, ns, s).columns["m"][-1] for s in range(1, args.repeats + 1)])
    m_exact = exact_m(T)

    grow_T = [max(T // 4, 5), max(T // 2, 10), T]
    n_grow = max(ns // 10, 2000)
    times_T = [timed(lambda k=k: solve(problem(k), n_grow, 0), 1) for k in grow_T]
    grow_n = [n_grow // 4, n_grow // 2, n_grow]
    times_n = [timed(lambda n=n: solve(problem(grow_T[1]), n, 0), 1) for n in grow_n]

    prof = profile(T, n_grow)
    out = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpu": cpu_name(), "threads": numba.get_num_threads(), "python": platform.python_version(),
                    "numpy": np.__version__, "scipy": scipy.__version__, "numba": numba.__version__},
        "case": {"alpha": ALPHA, "lambda": LAM, "m0": M0, "Q0": Q0, "eta": ETA, "steps": T, "samples": ns},
        "agreement_rel": agree,
        "statc_s": t_statc, "numpy_s": t_numpy, "numpy_samples": ns_np, "numpy_s_at_samples": t_numpy_scaled,
        "speedup": t_numpy_scaled / t_statc,
        "m_T": {"exact": m_exact, "statc_repeats": finals.tolist(), "seed_std": float(finals.std(ddof=1)),
                "mean_minus_exact": float(finals.mean() - m_exact)},
        "profile": prof,
        "growth_T": {"samples": n_grow, "steps": grow_T, "seconds": times_T, "loglog_slope": slope(grow_T, times_T)},
        "growth_samples": {"steps": grow_T[1], "samples": grow_n, "seconds": times_n,
                           "loglog_slope": slope(grow_n, times_n)},
        "spectral": spectral_cost(T, n_grow, args.reps),
    }
    print(json.dumps(out, indent=2))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python
"""Finite-N simulator speed: statc's generated `sim_steps` kernel vs a hand-written NumPy loop.

Model: the soft committee machine of ``models/saad_solla.model`` (Saad & Solla 1995;
Goldt et al. 2019), g(x) = erf(x/sqrt 2), online SGD, K = M = 4, eta = 0.5, eta_v = 0,
sigma = 0.1, at N = 10 000 (one step = one fresh sample, t = steps / N).

The baseline is the same microscopic rule written the way a careful researcher would in
a notebook, vectorised over N, one NumPy Generator for all random numbers:

    x = rng.standard_normal(N)
    lam = W @ x / sqrt N ;  nu = WT @ x / sqrt N
    yhat = v . erf(lam / sqrt 2) ;  y = vt . erf(nu / sqrt 2) + sigma * rng.standard_normal()
    phi = -eta (yhat - y) v sqrt(2/pi) exp(-lam^2 / 2)
    W += outer(phi / sqrt N, x)

Before any timing the script asserts that both implementations produce the same
dynamics: from the same initial W, WT (statc's, seed by seed), 8 seeds each at N = 2000
run to t = 1, the seed-paired differences of every entry of Q = W W^T/N and R = W WT^T/N
must be within 4 standard errors of zero. It also asserts that the generated kernel's
field and update loops are, verbatim, the loops this script copies to time them.

Measured (best of 3 windows of 20 000 steps = t 2.0, after a JIT/cache warm-up):
* simulation steps per second, statc (`Simulation.advance_to`) and NumPy;
* where the time goes: the RNG alone (the module's `fill_normal`), the field dot products
  and the weight update (copies of the generated loops), the NumPy pieces likewise;
* bytes touched per step / time per step, against a STREAM-like NumPy triad
  a = b + s*c on 2e7 doubles (best of 5) and on an L2-resident size.

    python benchmarks/bench_sim.py            # ~30 s on 2 cores -> benchmarks/results/sim.json
    python benchmarks/bench_sim.py --quick    # 5 000-step windows, 2 of them
"""
from __future__ import annotations

import argparse
import datetime
import inspect
import json
import math
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from _common import cpu_name
from numba import njit
from scipy.special import erf

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "saad_solla.model"
RESULTS = Path(__file__).resolve().parent / "results" / "sim.json"

K = M = 4
ETA, ETA_V, SIGMA = 0.5, 0.0, 0.1
N = 10_000
SEED = 0
CHECK_N, CHECK_T, CHECK_SEEDS, CHECK_Z = 2000, 1.0, 8, 4.0

_SQRT2 = math.sqrt(2.0)
_C = math.sqrt(2.0 / math.pi)           # g'(x) = sqrt(2/pi) exp(-x^2/2) for g = erf(x/sqrt 2)


# ============================================================================ NumPy baseline

def numpy_steps(W, WT, v, vt, n_steps, rng, eta=ETA, sigma=SIGMA):
    """n_steps online-SGD steps of the committee machine; W is updated in place."""
    n = W.shape[1]
    inv_sqrt_n = 1.0 / math.sqrt(n)
    for _ in range(n_steps):
        x = rng.standard_normal(n)
        lam = W @ x * inv_sqrt_n
        nu = WT @ x * inv_sqrt_n
        yhat = v @ erf(lam / _SQRT2)
        y = vt @ erf(nu / _SQRT2) + sigma * rng.standard_normal()
        phi = -eta * (yhat - y) * v * _C * np.exp(-0.5 * lam * lam)
        W += np.outer(phi * inv_sqrt_n, x)       # 1/sqrt N folded into the K-vector phi


# ============================================================================ copies of the generated loops
# The lines inside the `for a` loops are those that compiler/codegen_sim.py emits for this
# model (`_draw_body` and `steps_function`); main() asserts they occur verbatim in the
# kernel's `sim_steps`.  `reps` repeats the work inside the jitted function so that the
# Python dispatch is not timed.

GENERATED_LINES = [
    "field_dots(U_wt, X_x, F_wt_x, inv_sqrt_n)",
    "field_dots(U_w, X_x, F_w_x, inv_sqrt_n)",
    "U_w[a, i] = keep_w * U_w[a, i] + G_w_x[a] * inv_sqrt_n * X_x[i]",
]


@njit
def gen_update(reps, U_w, X_x, G_w_x, keep_w):
    n = X_x.shape[0]
    inv_sqrt_n = 1.0 / math.sqrt(n)
    for _ in range(reps):
        for a in range(U_w.shape[0]):
            for i in range(n):
                U_w[a, i] = keep_w * U_w[a, i] + G_w_x[a] * inv_sqrt_n * X_x[i]


# ---- what-if variants of the field loop (not generated; for the README's suggestions)

@njit(fastmath=True)
def fastmath_fields(reps, U_wt, U_w, X_x, F_wt_x, F_w_x):
    """The generated loop with fastmath (reassociation allowed, so LLVM vectorises the sum)."""
    n = X_x.shape[0]
    inv_sqrt_n = 1.0 / math.sqrt(n)
    for _ in range(reps):
        for a in range(U_wt.shape[0]):
            s = 0.0
            for i in range(n):
                s += U_wt[a, i] * X_x[i]
            F_wt_x[a] = s * inv_sqrt_n
        for a in range(U_w.shape[0]):
            s = 0.0
            for i in range(n):
                s += U_w[a, i] * X_x[i]
            F_w_x[a] = s * inv_sqrt_n


# ============================================================================ helpers

def per_call_us(fn, reps: int, windows: int = 3) -> float:
    """Best-of-windows microseconds per call of ``fn()`` (called ``reps`` times per window)."""
    fn()
    best = float("inf")
    for _ in range(windows):
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        best = min(best, (time.perf_counter() - t0) / reps)
    return best * 1e6


def jit_us(fn, args, reps: int, windows: int = 3) -> float:
    """Best-of-windows microseconds per repetition of a jitted ``fn(reps, *args)``."""
    fn(1, *args)
    best = float("inf")
    for _ in range(windows):
        t0 = time.perf_counter()
        fn(reps, *args)
        best = min(best, (time.perf_counter() - t0) / reps)
    return best * 1e6


def triad_gbs(n: int, inner: int, reps: int = 5) -> dict:
    """STREAM-like triad a = b + s*c in NumPy (two ufunc passes, no temporaries), best of reps.
    Returns GB/s with STREAM's count (24 bytes/element) and with the traffic of the two
    passes (c -> a, then a, b -> a: 40 bytes/element; write-allocate not counted)."""
    b = np.random.default_rng(1).standard_normal(n)
    c = np.random.default_rng(2).standard_normal(n)
    a = np.empty(n)
    s = 3.0

    def triad():
        np.multiply(c, s, out=a)
        np.add(a, b, out=a)
    triad()
    assert np.allclose(a[:5], b[:5] + s * c[:5])
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(inner):
            triad()
        best = min(best, (time.perf_counter() - t0) / inner)
    return {"n_doubles": n, "array_MB": n * 8 / 1e6, "best_s": best,
            "GBps_stream_count": 24 * n / best / 1e9, "GBps_two_pass_traffic": 40 * n / best / 1e9}


def _overlaps(W, WT, n):
    return W @ W.T / n, W @ WT.T / n


# ============================================================================ main

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=20_000, help="steps per timing window")
    ap.add_argument("--windows", type=int, default=3, help="timing windows (best kept)")
    ap.add_argument("--quick", action="store_true", help="5 000-step windows, 2 of them")
    ap.add_argument("--cache-dir", default=os.path.join(tempfile.gettempdir(), "statc-bench-cache"),
                    help="statc kernel cache (compile time is not measured here)")
    ap.add_argument("--out", default=str(RESULTS))
    args = ap.parse_args(argv)
    steps, windows = (5000, 2) if args.quick else (args.steps, args.windows)
    wall0 = time.perf_counter()

    import statc
    from statc.runtime import params as pm
    from statc.runtime.online.simulate import Simulation

    t0 = time.perf_counter()
    m = statc.load(MODEL, cache_dir=args.cache_dir)
    module, meta = m.compiled.module, m.compiled.meta
    print(f"statc model loaded in {time.perf_counter() - t0:.2f} s "
          f"({'cache hit' if m.compiled.cache_hit else 'derived'}; cache {args.cache_dir})")
    values = pm.resolve(m.compiled.model, meta, {"K": K, "M": M, "eta": ETA, "eta_v": ETA_V,
                                                 "sigma": SIGMA})
    assert values["eta_v"] == 0.0, "the baseline does not train v"
    sim_meta = meta["sim"]
    assert [v["name"] for v in sim_meta["vectors"]] == ["wt", "w"], sim_meta["vectors"]
    assert sim_meta["trained_vectors"] == ["w"] and sim_meta["inputs"] == ["x"], sim_meta

    # the copied loops are the generated ones
    src = inspect.getsource(module.sim_steps.py_func)
    for line in GENERATED_LINES:
        assert line in src, f"generated sim_steps no longer contains {line!r}; update the copies"

    # ---------------------------------------------------------------- check: same dynamics
    t0 = time.perf_counter()
    iu = np.triu_indices(K)
    d_Q, d_R, Qs, Rs, Qn, Rn, Qc, Rc = [], [], [], [], [], [], [], []
    for seed in range(CHECK_SEEDS):
        sim = Simulation(m.compiled, values, N=CHECK_N, seed=seed)
        W0, WT0 = sim.U["w"].copy(), sim.U["wt"].copy()
        v, vt = sim.S["v"].copy(), sim.S["vt"].copy()
        sim.advance_to(CHECK_T)
        assert sim.steps == int(round(CHECK_T * CHECK_N))
        q_s, r_s = _overlaps(sim.U["w"], sim.U["wt"], CHECK_N)
        W = W0.copy()
        numpy_steps(W, WT0, v, vt, sim.steps, np.random.default_rng([seed, 0xBA5E]))
        q_n, r_n = _overlaps(W, WT0, CHECK_N)
        # power control: the baseline with eta 10 % lower, on other random numbers
        W = W0.copy()
        numpy_steps(W, WT0, v, vt, sim.steps, np.random.default_rng([seed, 0xC0DE]), eta=0.9 * ETA)
        q_c, r_c = _overlaps(W, WT0, CHECK_N)
        Qs.append(q_s[iu]); Rs.append(r_s.ravel())
        Qn.append(q_n[iu]); Rn.append(r_n.ravel())
        Qc.append(q_c[iu]); Rc.append(r_c.ravel())

    def zscores(a, b):
        d = np.asarray(a) - np.asarray(b)                  # seed-paired differences
        return d.mean(0) / (d.std(0, ddof=1) / math.sqrt(d.shape[0]))
    z_Q, z_R = zscores(Qs, Qn), zscores(Rs, Rn)
    zc_Q, zc_R = zscores(Qs, Qc), zscores(Rs, Rc)
    zmax = float(max(np.abs(z_Q).max(), np.abs(z_R).max()))
    zmax_control = float(max(np.abs(zc_Q).max(), np.abs(zc_R).max()))
    check_s = time.perf_counter() - t0
    print(f"agreement at N = {CHECK_N}, t = {CHECK_T:g}, {CHECK_SEEDS} seeds: "
          f"max |z| over Q (10) and R (16) entries = {zmax:.2f} (limit {CHECK_Z:g}); "
          f"control with eta x 0.9: max |z| = {zmax_control:.1f}  [{check_s:.1f} s]", flush=True)
    print(f"  mean Q_11 statc {np.mean(Qs, 0)[0]:.4f} NumPy {np.mean(Qn, 0)[0]:.4f}; "
          f"mean R_11 statc {np.mean(Rs, 0)[0]:.4f} NumPy {np.mean(Rn, 0)[0]:.4f}")
    assert zmax < CHECK_Z, f"statc and NumPy simulations disagree: max |z| = {zmax:.2f}"
    assert np.isfinite(np.asarray(Qs)).all() and np.isfinite(np.asarray(Qn)).all()
    check = {
        "N": CHECK_N, "t": CHECK_T, "seeds": CHECK_SEEDS, "limit_abs_z": CHECK_Z,
        "test": "seed-paired differences statc - NumPy from the same initial W, WT; z = mean / (sd / sqrt(seeds))",
        "max_abs_z": zmax, "z_Q_upper": z_Q.tolist(), "z_R": z_R.tolist(),
        "mean_Q_upper_statc": np.mean(Qs, 0).tolist(), "mean_Q_upper_numpy": np.mean(Qn, 0).tolist(),
        "mean_R_statc": np.mean(Rs, 0).tolist(), "mean_R_numpy": np.mean(Rn, 0).tolist(),
        "control_eta_factor": 0.9, "control_max_abs_z": zmax_control,
    }

    # ---------------------------------------------------------------- timing: statc
    sim = Simulation(m.compiled, values, N=N, seed=SEED)
    W0, WT0 = sim.U["w"].copy(), sim.U["wt"].copy()
    v, vt = sim.S["v"].copy(), sim.S["vt"].copy()
    t0 = time.perf_counter()
    sim.advance_to(100 / N)                                  # JIT / cache load + 100 steps
    warm_s = time.perf_counter() - t0
    statc_times = []
    for _ in range(windows):
        target = (sim.steps + steps) / N
        t0 = time.perf_counter()
        sim.advance_to(target)
        statc_times.append(time.perf_counter() - t0)
    statc_rate = steps / min(statc_times)
    sim.state()                                              # raises if the weights diverged
    print(f"statc:  {statc_rate:8.0f} steps/s  ({1e6 / statc_rate:.1f} µs/step; windows "
          + ", ".join(f"{t:.2f}" for t in statc_times) + f" s; warm-up {warm_s:.2f} s)", flush=True)

    # ---------------------------------------------------------------- timing: NumPy
    W = W0.copy()
    rng = np.random.default_rng([SEED, 0xBA5E])
    numpy_steps(W, WT0, v, vt, 100, rng)
    numpy_times = []
    for _ in range(windows):
        t0 = time.perf_counter()
        numpy_steps(W, WT0, v, vt, steps, rng)
        numpy_times.append(time.perf_counter() - t0)
    numpy_rate = steps / min(numpy_times)
    assert np.isfinite(W).all()
    print(f"NumPy:  {numpy_rate:8.0f} steps/s  ({1e6 / numpy_rate:.1f} µs/step; windows "
          + ", ".join(f"{t:.2f}" for t in numpy_times) + " s)")
    print(f"ratio statc / NumPy: {statc_rate / numpy_rate:.2f}x", flush=True)

    # ---------------------------------------------------------------- where the time goes
    rng_b = np.random.default_rng(3)
    X = rng_b.standard_normal(N)
    Uw, Uwt = sim.U["w"].copy(), sim.U["wt"].copy()
    F1, F2 = np.empty(M), np.empty(K)
    G = rng_b.standard_normal(K) * 1e-12                     # tiny: the copy of W barely moves
    rs = module.rng_state(0)
    out = np.empty(N)
    reps = 2000
    inv_n = 1.0 / math.sqrt(N)
    statc_parts = {
        "rng_fill_normal_N": per_call_us(lambda: module.fill_normal(rs, out, 1.0), reps),
        "fields_generated_loop": per_call_us(
            lambda: (module.field_dots(Uwt, X, F1, inv_n), module.field_dots(Uw, X, F2, inv_n)), reps),
        "update_generated_loop": jit_us(gen_update, (Uw.copy(), X, G, 1.0), reps),
    }
    # the whole step again, next to its parts (the machine's load drifts)
    statc_step = jit_us(lambda r: sim.advance_to((sim.steps + r) / N), (), reps)
    statc_parts["rest"] = statc_step - sum(statc_parts.values())
    whatif = {"fields_fastmath": jit_us(fastmath_fields, (Uwt, Uw, X, F1, F2), reps)}
    whatif["fields_blas_np_dot"] = per_call_us(lambda: (Uwt @ X, Uw @ X), reps)
    phi = rng_b.standard_normal(K)
    Wb = W.copy()
    inv = 1.0 / math.sqrt(N)
    numpy_parts = {
        "rng_standard_normal_N": per_call_us(lambda: rng_b.standard_normal(N), reps),
        "fields_two_matvecs": per_call_us(lambda: (Wb @ X * inv, WT0 @ X * inv), reps),
        "update_outer_add": per_call_us(lambda: Wb.__iadd__(np.outer(phi * 1e-12, X)), reps),
    }
    rng_n = np.random.default_rng(4)
    numpy_step = jit_us(lambda r: numpy_steps(W, WT0, v, vt, r, rng_n), (), reps // 4)
    numpy_parts["rest"] = numpy_step - sum(numpy_parts.values())

    for name, parts in (("statc", statc_parts), ("NumPy", numpy_parts)):
        total = sum(parts.values())
        print(f"{name} µs/step: " + ", ".join(f"{k} {x:.1f} ({100 * x / total:.0f} %)" for k, x in parts.items()))
    print("what-if, field dot products (µs/step): " +
          f"generated (four rows at a time) {statc_parts['fields_generated_loop']:.1f}, "
          f"fastmath {whatif['fields_fastmath']:.1f}, NumPy/BLAS {whatif['fields_blas_np_dot']:.1f}")
    rng_floor_ratio = numpy_step / statc_parts["rng_fill_normal_N"]
    print(f"ceiling with statc's RNG unchanged (NumPy µs/step / fill_normal µs): {rng_floor_ratio:.1f}x")

    # ---------------------------------------------------------------- bandwidth
    bytes_step = 8 * N * (3 * K + M + 2)      # W read twice + written once, WT read, x written + read
    kernel_gbs = bytes_step * statc_rate / 1e9
    dram = triad_gbs(20_000_000, inner=1)
    l2 = triad_gbs(K * N, inner=2000)         # three 320 KB arrays: the size of W, in L2
    bandwidth = {
        "bytes_per_step": bytes_step,
        "bytes_per_step_formula": "8 N (3K + M + 2): W read twice (fields, update) and written once, "
                                  "WT read once, x written once and read once",
        "working_set_bytes": 8 * N * (K + M + 1),
        "statc_GBps": kernel_gbs,
        "triad_2e7": dram, "triad_L2": l2,
        "fraction_of_triad_2e7_stream_count": kernel_gbs / dram["GBps_stream_count"],
        "fraction_of_triad_2e7_two_pass": kernel_gbs / dram["GBps_two_pass_traffic"],
        "fraction_of_triad_L2_stream_count": kernel_gbs / l2["GBps_stream_count"],
    }
    print(f"bytes/step {bytes_step / 1e6:.2f} MB (working set {bandwidth['working_set_bytes'] / 1e3:.0f} KB) "
          f"-> statc {kernel_gbs:.1f} GB/s")
    print(f"NumPy triad, 2e7 doubles (3 x 160 MB): {dram['GBps_stream_count']:.1f} GB/s STREAM count "
          f"({dram['GBps_two_pass_traffic']:.1f} GB/s two-pass traffic); statc reaches "
          f"{100 * bandwidth['fraction_of_triad_2e7_stream_count']:.0f} % "
          f"({100 * bandwidth['fraction_of_triad_2e7_two_pass']:.0f} %)")
    print(f"NumPy triad, 4e4 doubles (3 x 320 KB, L2): {l2['GBps_stream_count']:.1f} GB/s STREAM count; "
          f"statc reaches {100 * bandwidth['fraction_of_triad_L2_stream_count']:.0f} %")

    # ---------------------------------------------------------------- report
    import numba
    import scipy
    result = {
        "benchmark": "bench_sim", "model": str(MODEL.relative_to(ROOT)),
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "machine": {"cpu": cpu_name(), "cores": os.cpu_count(), "python": platform.python_version(),
                    "numpy": np.__version__, "scipy": scipy.__version__, "numba": numba.__version__,
                    "load_average": list(os.getloadavg())},
        "settings": {"N": N, "K": K, "M": M, "eta": ETA, "eta_v": ETA_V, "sigma": SIGMA, "seed": SEED,
                     "steps_per_window": steps, "windows": windows,
                     "statc": "Simulation(m.compiled, values, N, seed).advance_to(t), after 100 warm-up steps",
                     "baseline": "numpy_steps() in this script: numpy Generator (PCG64), W @ x, scipy.special.erf, "
                                 "W += np.outer(phi / sqrt N, x)"},
        "check": check,
        "statc_steps_per_s": statc_rate, "numpy_steps_per_s": numpy_rate,
        "ratio": statc_rate / numpy_rate,
        "statc_window_s": statc_times, "numpy_window_s": numpy_times, "statc_warmup_s": warm_s,
        "breakdown_us_per_step": {"statc": statc_parts, "numpy": numpy_parts, "whatif_statc_fields": whatif,
                                  "statc_step_next_to_parts": statc_step, "numpy_step_next_to_parts": numpy_step,
                                  "note": "parts timed in isolation (2000 calls, best of 3); rest = whole step "
                                          "timed next to them minus the parts"},
        "ratio_ceiling_with_current_rng": rng_floor_ratio,
        "bandwidth": bandwidth,
        "script_wall_s": time.perf_counter() - wall0,
    }
    out_path = Path(args.out)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {out_path}  (script {result['script_wall_s']:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

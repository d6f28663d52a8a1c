#!/usr/bin/env python
"""Cost of one ODE step inside compiled code, and what skipping zero-coefficient terms saves.

Model: ``models/saad_solla.model`` at η = 0.5, η_v = 0, σ = 0 (the hand-written C++
reference's setting: a fixed readout, no output noise), K = M = 2 and 10.

One *step* is what the committee-ODE reference code of Goldt et al. does per time step:
one evaluation of the right-hand side and an Euler update ``y += dt * dy``.  It is timed
inside a jitted loop (no Python dispatch), best of 5 windows, on the N = 1000 random
initial state, dt = 0.01, over 20 000 steps (K = 2) / 400 steps (K = 10).

Two kernel modules are compiled in the same process from the same model:

* **statc** — the generator as shipped: a term whose coefficient carries a parameter
  factor (η_v, σ²) is guarded by ``if p_x != 0.0`` and skipped when it vanishes;
* **no-skip** — the same generator with that guard switched off (the stop-12 kernels).

Before timing, the script asserts that both give the same trajectory (20 000 Euler steps at
K = 2, 400 at K = 10) to 1e-13 relative: skipping adds exact zeros only.

The C++/Armadillo reference (built -O3 -march=native, same initial overlaps, measured
on this machine when issue 19 was filed) took **2.9 µs per step at K = M = 2**; that figure
is the stated reference here, since Armadillo is not installed on this machine.

    python benchmarks/bench_step.py          # -> benchmarks/results/step.json
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
from numba import njit

from _common import cpu_name

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "saad_solla.model"
RESULTS = Path(__file__).resolve().parent / "results" / "step.json"
CPP_US_PER_STEP_K2 = 2.9          # issue 19's measurement of the C++ reference, K = M = 2
DT = 0.01


@njit
def euler(rhs, y0, P, dt, steps):
    y = y0.copy()
    dy = np.zeros_like(y)
    for s in range(steps):
        rhs(s * dt, y, P, dy)
        for i in range(y.size):
            y[i] += dt * dy[i]
    return y


def compile_variant(skip: bool, cache_dir: str):
    """The compiled saad_solla model with (``skip``) or without the zero-coefficient guard."""
    import statc
    from statc.compiler.codegen import kernels
    original = kernels._Writer.zero_factors
    if not skip:
        kernels._Writer.zero_factors = lambda self, t: []
    try:
        return statc.load(MODEL, cache_dir=cache_dir)
    finally:
        kernels._Writer.zero_factors = original


def us_per_step(rhs, y0, P, steps: int, windows: int = 5) -> float:
    euler(rhs, y0, P, DT, 2)                           # JIT
    best = np.inf
    for _ in range(windows):
        t0 = time.perf_counter()
        euler(rhs, y0, P, DT, steps)
        best = min(best, time.perf_counter() - t0)
    return best / steps * 1e6


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=str(RESULTS))
    args = ap.parse_args(argv)

    from statc.runtime import params as pm
    from statc.runtime.online.initial import initial_state
    from statc.runtime.online.layout import make_layout

    base = tempfile.mkdtemp(prefix="statc-bench-step-")
    t0 = time.perf_counter()
    variants = {"statc": compile_variant(True, os.path.join(base, "skip")),
                "no-skip": compile_variant(False, os.path.join(base, "noskip"))}
    print(f"two cold compiles in {time.perf_counter() - t0:.1f} s")
    src = {k: m.compiled.module.__file__ for k, m in variants.items()}
    assert "p_eta_v != 0.0" in Path(src["statc"]).read_text()
    assert "p_eta_v != 0.0" not in Path(src["no-skip"]).read_text()

    rows = []
    for K, steps in ((2, 20_000), (10, 400)):
        over = {"K": K, "M": K, "eta": 0.5, "eta_v": 0.0, "sigma": 0.0}
        states = {}
        for name, m in variants.items():
            meta = m.compiled.meta
            values = pm.resolve(m.compiled.model, meta, over)
            P = pm.vector(meta, values)
            layout = make_layout(meta, values)
            y0 = initial_state(m.compiled, layout, values, P, init_N=1000, seed=0)
            states[name] = (m.compiled.module.rhs, y0, P)
        (ra, ya, Pa), (rb, yb, Pb) = states["statc"], states["no-skip"]
        assert np.array_equal(ya, yb) and np.array_equal(Pa, Pb)
        ea, eb = euler(ra, ya, Pa, DT, steps), euler(rb, yb, Pb, DT, steps)
        rel = float(np.max(np.abs(ea - eb)) / np.max(np.abs(eb)))
        assert rel <= 1e-13, f"K={K}: skipping changed the trajectory by {rel:.2e}"
        us = {name: us_per_step(*states[name], steps) for name in states}
        row = {"K": K, "M": K, "steps": steps, "trajectory_rel_diff": rel,
               "us_per_step": us, "skip_speedup": us["no-skip"] / us["statc"]}
        if K == 2:
            row["cpp_reference_us"] = CPP_US_PER_STEP_K2
            row["vs_cpp"] = CPP_US_PER_STEP_K2 / us["statc"]
        rows.append(row)
        extra = f", C++ reference {CPP_US_PER_STEP_K2} µs -> {row['vs_cpp']:.2f}x" if K == 2 else ""
        print(f"K = M = {K:2d}: statc {us['statc']:.2f} µs/step, no-skip {us['no-skip']:.2f} µs/step "
              f"(skip saves {row['skip_speedup']:.2f}x; trajectories differ by {rel:.1e}){extra}")

    out = {"date": datetime.date.today().isoformat(), "machine": cpu_name(),
           "load_average": os.getloadavg(), "python": platform.python_version(),
           "settings": {"model": "saad_solla", "eta": 0.5, "eta_v": 0.0, "sigma": 0.0, "dt": DT,
                        "init_N": 1000, "seed": 0}, "rows": rows}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(args.out).with_suffix(".tmp")
    tmp.write_text(json.dumps(out, indent=2))
    tmp.replace(args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

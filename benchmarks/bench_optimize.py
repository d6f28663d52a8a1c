#!/usr/bin/env python
"""Cost of exact adjoint gradients vs finite differences, on the dropout schedule.

In one process, on ``models/dropout.model`` (keep(t) on n intervals of [0, 5]
plus the final p_test, σ = 0.3, η = 1; RK4 step 0.05):

* time of one forward solve (objective only) and of one adjoint gradient
  (forward solve with stored states + backward sweep), for n = 10, 50, 200;
  the ratio gradient / forward is the cost of a gradient in forward solves
  (target ≤ 5, whatever n);
* a one-sided finite-difference gradient with the same kernels costs n + 2
  forward solves (one per decision variable + the base point): measured at n = 50;
* wall time of the whole `optimize` run (best constant + L-BFGS-B) at n = 50.

    python benchmarks/bench_optimize.py        # writes benchmarks/results/optimize.json
"""
from __future__ import annotations

import datetime
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

from _common import cpu_name

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results" / "optimize.json"


def best_of(fn, reps: int) -> float:
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    import statc
    from statc.runtime.control import optimize as opt
    from statc.runtime.control.problem import build_problem
    cache = os.environ.get("STATC_CACHE_DIR") or tempfile.mkdtemp(prefix="statc-bench-")
    model = statc.load(ROOT / "models" / "dropout.model", cache_dir=cache)
    rows = []
    for n in (10, 50, 200):
        p = build_problem(model.compiled, intervals=n, dt=0.05)
        z = p.constant({"keep": 0.7})
        p.value_and_grad(z)                       # JIT / cache load
        t_fwd = best_of(lambda: p.objective(z), 5)
        t_grad = best_of(lambda: p.value_and_grad(z), 5)
        row = {"intervals": n, "rk4_steps": n * p.nsub, "forward_s": t_fwd, "gradient_s": t_grad,
               "gradient_over_forward": t_grad / t_fwd}
        if n == 50:
            def fd():
                base = p.objective(z)
                for i in range(z.size):
                    zz = z.copy()
                    zz[i] += 1e-7
                    p.objective(zz)
                return base
            row["finite_difference_gradient_s"] = best_of(fd, 2)
            row["fd_over_adjoint"] = row["finite_difference_gradient_s"] / t_grad
        rows.append(row)
        print(json.dumps(row))
    p = build_problem(model.compiled, intervals=50)
    t = time.perf_counter()
    res = opt.optimize(p)
    wall = time.perf_counter() - t
    out = {"date": datetime.date.today().isoformat(), "machine": {"cpu": cpu_name(), "cores": os.cpu_count(),
                                                                  "python": platform.python_version()},
           "per_intervals": rows,
           "optimize_dropout_50": {"wall_s": wall, "objective": res.objective,
                                   "best_constant": res.constant_objective,
                                   "gradients": p.gradients, "evaluations": p.evaluations}}
    print(json.dumps(out["optimize_dropout_50"]))
    RESULTS.write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()

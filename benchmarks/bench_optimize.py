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
    python benchmarks/bench_optimize.py --dae  # writes benchmarks/results/optimize_dae.json
    python benchmarks/bench_optimize.py --atoms  # writes benchmarks/results/quadrature_partials.json

``--atoms`` times the DAE's three quadrature atoms and their exact ``grad_``
kernels standalone (no model compile, seconds), against the 2 × (arguments)
atom calls of the central differences they replace.

``--dae`` (issue 19, requirement 4) times, on ``models/dae.model`` (kernels
compiled beforehand, e.g. by ``statc compile`` — the compile is not timed
here), one ``rhs`` and one ``rhs_vjp`` call at the model's initial state and at
overlaps of random vectors (goal: ``rhs_vjp`` ≤ 3 × ``rhs``), one call of each
Gauss–Hermite atom and of its ``grad_`` kernel, and the whole ``optimize``
(the control block's 40 intervals, default options; goal ≤ 30 s warm).
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


def dae() -> None:
    """Issue 19 req. 4 on the DAE: rhs_vjp / rhs, atom / grad cost, optimize wall time."""
    import statc
    from statc.runtime import params as pm
    from statc.runtime.control import optimize as opt
    from statc.runtime.control.problem import build_problem
    from statc.runtime.online.rhs_check import random_state
    cache = os.environ.get("STATC_CACHE_DIR") or tempfile.mkdtemp(prefix="statc-bench-")
    model = statc.load(ROOT / "models" / "dae.model", cache_dir=cache)
    m = model.compiled
    mod = m.module
    values = pm.resolve(m.model, m.meta, {})
    P = pm.vector(m.meta, values)
    p0 = build_problem(m)
    points = {"initial": np.array(p0.y0, dtype=float),
              "random": random_state(m, values, seed=0)}
    out = {"date": datetime.date.today().isoformat(),
           "machine": {"cpu": cpu_name(), "cores": os.cpu_count(), "python": platform.python_version()},
           "finite_difference_atoms": list(mod.FD_ATOMS), "points": {}}
    for name, y in points.items():
        dy, lam = np.empty(y.size), np.random.default_rng(1).normal(size=y.size)
        gy, gP = np.zeros(y.size), np.zeros(P.size)
        mod.rhs(0.0, y, P, dy)
        mod.rhs_vjp(0.0, y, P, lam, gy, gP)
        reps = 200
        t_rhs = best_of(lambda: [mod.rhs(0.0, y, P, dy) for _ in range(reps)], 5) / reps
        t_vjp = best_of(lambda: [mod.rhs_vjp(0.0, y, P, lam, gy, gP) for _ in range(reps)], 5) / reps
        row = {"rhs_us": t_rhs * 1e6, "rhs_vjp_us": t_vjp * 1e6, "vjp_over_rhs": t_vjp / t_rhs}
        out["points"][name] = row
        print(f"DAE rhs_vjp / rhs at the {name} state: {t_vjp * 1e6:.1f} / {t_rhs * 1e6:.1f} us "
              f"= {t_vjp / t_rhs:.2f} (goal <= 3)")
    atoms = {}
    for q in sorted(n for n in dir(mod) if n.startswith("grad_gq")):
        atom = q[len("grad_"):].split("__")[0]
        f, g = getattr(mod, atom), getattr(mod, q)
        nargs = g.py_func.__code__.co_argcount
        if nargs != f.py_func.__code__.co_argcount:
            continue
        p = {5: 2, 2: 1}.get(nargs)
        args = (0.8, 0.3, 0.7, 0.2, -0.4) if p == 2 else (0.8, 0.2) if p == 1 else None
        if args is None:
            continue
        f(*args), g(*args)
        t_f = best_of(lambda: [f(*args) for _ in range(1000)], 5) / 1000
        t_g = best_of(lambda: [g(*args) for _ in range(1000)], 5) / 1000
        atoms[atom] = {"atom_us": t_f * 1e6, "grad_us": t_g * 1e6, "grad_over_atom": t_g / t_f}
        print(f"  {atom}: atom {t_f * 1e6:.2f} us, grad {t_g * 1e6:.2f} us ({t_g / t_f:.2f}x)")
    out["atoms"] = atoms
    t = time.perf_counter()
    p = build_problem(m)
    res = opt.optimize(p)
    wall = time.perf_counter() - t
    out["optimize"] = {"wall_s": wall, "objective": res.objective, "gradients": p.gradients,
                       "evaluations": p.evaluations, "intervals": p.n}
    print(f"DAE optimize (in process, kernels loaded): {wall:.1f} s (goal <= 30 s warm), "
          f"{p.gradients} gradients, objective {res.objective:.6g}")
    (RESULTS.parent / "optimize_dae.json").write_text(json.dumps(out, indent=2) + "\n")


def atoms() -> None:
    """The DAE's quadrature atoms: one call of the atom, of its exact partials, and the
    2n atom calls of central differences (the partials before issue 19 req. 4)."""
    from statc.compiler.codegen.quadrature_partials import load_standalone_partials
    from statc.compiler.ir.equation_ir import ArgQuadrature
    cases = [(ArgQuadrature("gq2_g_g", (("g",), ("g",))), (0.8, 0.3, 0.7, 0.2, -0.4)),
             (ArgQuadrature("gq1_g_l1", (("g",),), 1), (0.8, 0.3, 0.7, 0.2, -0.4)),
             (ArgQuadrature("gq1_gxg", (("g", "g"),)), (0.8, 0.2))]
    mod = load_standalone_partials([q for q, _ in cases], tempfile.mkdtemp(prefix="statc-bench-"))
    rows = {}
    for q, args in cases:
        f, g = getattr(mod, q.name), getattr(mod, f"grad_{q.name}")
        f(*args), g(*args)
        t_f = best_of(lambda: [f(*args) for _ in range(2000)], 7) / 2000
        t_g = best_of(lambda: [g(*args) for _ in range(2000)], 7) / 2000
        fd = 2 * len(args)
        rows[q.name] = {"atom_us": t_f * 1e6, "exact_grad_us": t_g * 1e6, "exact_in_atom_calls": t_g / t_f,
                        "central_differences_atom_calls": fd}
        print(f"{q.name}: atom {t_f * 1e6:.2f} us; exact partials {t_g * 1e6:.2f} us = {t_g / t_f:.2f} atom "
              f"calls (central differences: {fd}); adjoint call site atom + grad: {1 + fd} -> "
              f"{1 + t_g / t_f:.2f} atom calls")
    out = {"date": datetime.date.today().isoformat(),
           "machine": {"cpu": cpu_name(), "cores": os.cpu_count(), "python": platform.python_version()},
           "atoms": rows}
    (RESULTS.parent / "quadrature_partials.json").write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    import sys
    {"--dae": dae, "--atoms": atoms}.get(next(iter(sys.argv[1:]), ""), main)()

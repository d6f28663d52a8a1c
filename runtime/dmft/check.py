"""`statc check` for dmft models: the DMFT against finite-size simulations of the same model.

The simulator (`simulate.py`) draws a teacher, a training set of n = αN samples and a warm
start from the model, runs the algorithm's microscopic rule for every step, and measures
m, Q, the training loss and error, and the test metric on fresh samples; it never uses a
DMFT kernel. The theory is the mean of independent DMFT repeats. Theory and simulation are
independent, so the standard error of their difference is SE = √(SE_theory² + SE_sim²).

**Pass rule** (as for online models): for every compared quantity, checked step and N,

    |theory − sim_mean|  ≤  z* · SE  +  κ · scale / √N,

z* the two-sided normal quantile at level 0.01 with a Bonferroni correction over all
comparisons, scale the largest |theory| of that quantity over time, κ = ``--tolerance``
(finite-size allowance). Fewer than 3 seeds: inconclusive.
"""
from __future__ import annotations

import math
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from scipy.stats import norm

from statc.dsl import StatcError
from statc.runtime.results import write_csv, write_json

from .from_model import problem_from_model
from .repeats import solve_repeats
from .simulate import simulate_seeds

ALPHA, MIN_SEEDS, CHECK_TIMES = 0.01, 3, 5


def compare(theory, sims: dict[int, object], steps: np.ndarray, tolerance: float) -> dict:
    """Comparisons at `steps` for each N; the verdict of the pass rule."""
    names = [n for n in theory.mean if n != "t"]
    n_comp = len(names) * len(steps) * len(sims)
    z_crit = float(norm.ppf(1 - ALPHA / (2 * n_comp)))
    rows, passed, worst = [], True, None
    for N, sim in sims.items():
        for name in names:
            scale = float(np.max(np.abs(theory.mean[name])))
            for k in steps:
                th, sm = theory.mean[name][k], sim.mean[name][k]
                se = math.hypot(theory.stderr[name][k], sim.stderr[name][k])
                bound = z_crit * se + tolerance * scale / math.sqrt(N)
                ok = abs(th - sm) <= bound
                passed &= ok
                row = {"N": N, "t": float(sim.mean["t"][k]), "name": name, "theory": float(th),
                       "sim_mean": float(sm), "se": se, "bound": bound, "ok": bool(ok)}
                rows.append(row)
                if worst is None or abs(th - sm) / bound > abs(worst["theory"] - worst["sim_mean"]) / worst["bound"]:
                    worst = row
    return {"rows": rows, "passed": bool(passed), "z_crit": z_crit, "worst": worst}


def check_from_args(compiled, overrides: dict[str, float], args, sizes: list[int]) -> int:
    """`statc check` on a dmft model; returns the exit status (0 pass, 1 fail/inconclusive)."""
    from statc.runtime import params as params_mod
    theory_overrides = params_mod.parse_set(args.theory_set, compiled.meta["params"])
    if getattr(args, "rhs", False):
        raise StatcError("--rhs (the per-step check) applies to online models only")
    if args.seeds < 1:
        raise StatcError("--seeds must be at least 1")
    t0 = time.perf_counter()
    problem, values = problem_from_model(compiled, overrides, args.t_end)
    theory_problem, _ = problem_from_model(compiled, {**overrides, **theory_overrides}, args.t_end)
    # both sides take the same number of steps (a theory-side eta changes the time, not the count)
    theory_problem = replace(theory_problem, steps=problem.steps)
    samples, repeats = args.samples or 20_000, args.repeats or 4
    theory = solve_repeats(theory_problem, samples, repeats, seed=args.seed)
    sims = {N: simulate_seeds(problem, N, args.seeds, seed=args.seed + 1 + N, n_test=args.test_samples)
            for N in sizes}
    steps = np.unique(np.linspace(problem.steps / CHECK_TIMES, problem.steps, CHECK_TIMES).round().astype(int))
    result = compare(theory, sims, steps, args.tolerance)
    conclusive = args.seeds >= MIN_SEEDS
    print(f"{compiled.meta['model']}: DMFT (n_s = {samples} × {repeats}) vs simulation, N = {sizes}, "
          f"{args.seeds} seeds, t = {', '.join(f'{s * problem.eta:g}' for s in steps)} "
          f"({time.perf_counter() - t0:.1f} s)")
    for r in result["rows"]:
        flag = "" if r["ok"] else "   <-- outside"
        print(f"  N = {r['N']:>6}  t = {r['t']:<6g} {r['name']:<12} theory {r['theory']:.5g}  "
              f"sim {r['sim_mean']:.5g} ± {r['se']:.2g}  (bound {r['bound']:.2g}){flag}")
    print(f"pass rule: |theory - sim| <= {result['z_crit']:.2f} SE + {args.tolerance:g} scale/sqrt(N)")
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        cols = {k: np.array([r[k] for r in result["rows"]]) for k in ("N", "t", "theory", "sim_mean", "se", "bound")}
        write_csv(out / "check.csv", cols)
        write_json(out / "check.json", {"model": compiled.meta["model"], "params": values, "N": sizes,
                                        "seeds": args.seeds, "samples": samples, "repeats": repeats,
                                        "passed": result["passed"], "conclusive": conclusive,
                                        "worst": result["worst"], "rows": result["rows"]})
    if not conclusive:
        print(f"INCONCLUSIVE: use --seeds {MIN_SEEDS} or more")
        return 1
    print("PASS: theory and simulation agree" if result["passed"] else "FAIL: theory and simulation disagree")
    return 0 if result["passed"] else 1

"""`statc check` for dmft models: the DMFT against finite-size simulations of the same model.

The simulator (`simulate.py`) draws a teacher, a training set of n = αN samples and a warm
start from the model, runs the algorithm's microscopic rule for every step, and measures
m, Q, the training loss and error, and the test metric on fresh samples; it never uses a
DMFT kernel. The theory is the mean of independent DMFT repeats. Theory and simulation are
independent, so the standard error of their difference is SE = √(SE_theory² + SE_sim²).

**Pass rule** (the online kind's per-time family, runtime/check.py): for every compared
quantity, checked step and N,

    |theory − sim_mean|  ≤  t* · SE  +  κ · scale / N,

t* the two-sided Student-t quantile at level 0.01 with a Bonferroni correction over all
comparisons, with the Welch–Satterthwaite degrees of freedom of SE (two independent variance
estimates: repeats − 1 and seeds − 1 degrees of freedom); scale the largest |theory| of that quantity over time;
κ = ``--tolerance`` (default 10) for the O(1/N) finite-size bias of the seed mean. (The online
kind's second, time-averaged family is not applied here yet.) Fewer than 3 seeds: inconclusive.

`observe T = fdt(w)`: one more comparison per N, the DMFT T_eff (kernel estimator per repeat,
fdt.py) against the simulation estimator (fdt.simulate_fdt: ΔC from the trajectory, χ from a
perturbed copy of the run) on the same default window, same rule with scale |T_eff|; its row's
t is the end of the run (the estimate uses the whole window).
"""
from __future__ import annotations

import math
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from statc.dsl import StatcError
from statc.runtime.judge import critical_value
from statc.runtime.results import write_csv, write_json

from .from_model import problem_from_model
from .flow import estimate, simulate_estimate

ALPHA, MIN_SEEDS, CHECK_TIMES = 0.01, 3, 5


def welch_dof(se_a: float, n_a: int, se_b: float, n_b: int) -> float:
    """Welch–Satterthwaite degrees of freedom of √(se_a² + se_b²)."""
    a, b = se_a ** 2, se_b ** 2
    den = (a * a / (n_a - 1) if n_a > 1 else 0.0) + (b * b / (n_b - 1) if n_b > 1 else 0.0)
    return (a + b) ** 2 / den if den > 0 else max(n_a + n_b - 2, 1)


def compare(theory, sims: dict[int, object], steps: np.ndarray, tolerance: float, repeats: int,
            seeds: int) -> dict:
    """Comparisons at `steps` for each N; the verdict of the pass rule."""
    names = [n for n in theory.mean if n != "t"]
    n_comp = len(names) * len(steps) * len(sims)
    rows, passed, worst = [], True, None
    for N, sim in sims.items():
        for name in names:
            scale = float(np.max(np.abs(theory.mean[name])))
            for k in steps:
                th, sm = theory.mean[name][k], sim.mean[name][k]
                se = math.hypot(theory.stderr[name][k], sim.stderr[name][k])
                dof = welch_dof(theory.stderr[name][k], repeats, sim.stderr[name][k], seeds)
                t_crit = critical_value(n_comp, dof + 1, ALPHA) if se > 0 else 0.0
                bound = t_crit * se + tolerance * scale / N
                ok = abs(th - sm) <= bound
                passed &= ok
                z = abs(th - sm) / se if se > 0 else (0.0 if th == sm else math.inf)
                row = {"N": N, "t": float(sim.mean["t"][k]), "name": name, "theory": float(th),
                       "sim_mean": float(sm), "se": se, "z": float(z), "t_crit": t_crit, "bound": bound,
                       "ok": bool(ok)}
                rows.append(row)
                if worst is None or abs(th - sm) / bound > abs(worst["theory"] - worst["sim_mean"]) / worst["bound"]:
                    worst = row
    return {"rows": rows, "passed": bool(passed), "n_comparisons": n_comp, "worst": worst}


def compare_fdt(problem, theory, sizes: list[int], seeds: int, seed: int, tolerance: float, repeats: int,
                n_prior: int) -> dict:
    """`observe T = fdt(w)`: the theory's T_eff (mean over repeats of the kernel estimator) against
    the simulation estimator (fdt.simulate_fdt, `seeds` runs per N) on the same window (the model's
    `fdt(w, window = …, lags = …)` or the default),
    with the same pass rule; the Bonferroni count includes the n_prior trajectory comparisons."""
    from .fdt import over_repeats, simulate_fdt, windows
    n_comp = n_prior + len(sizes) * len(problem.observe.fdt)
    rows, passed = [], True
    for (name, win), N in ((nw, N) for nw in windows(problem).items() for N in sizes):
        th = over_repeats(theory.runs, problem.eta, win)
        vals = np.array([simulate_fdt(problem, N, win, seed=s).t_eff
                         for s in np.random.SeedSequence(seed + 7 * N).spawn(seeds)])
        sim_se = float(vals.std(ddof=1) / math.sqrt(seeds)) if seeds > 1 else 0.0
        se = math.hypot(th["stderr"], sim_se)
        dof = welch_dof(th["stderr"], repeats, sim_se, seeds)
        t_crit = critical_value(n_comp, dof + 1, ALPHA) if se > 0 else 0.0
        bound = t_crit * se + tolerance * abs(th["T_eff"]) / N
        ok = abs(th["T_eff"] - vals.mean()) <= bound
        passed &= ok
        z = abs(th["T_eff"] - vals.mean()) / se if se > 0 else 0.0
        rows.append({"N": N, "t": problem.steps * problem.eta, "name": name, "theory": th["T_eff"],
                     "sim_mean": float(vals.mean()), "se": se, "z": float(z), "t_crit": t_crit, "bound": bound,
                     "ok": bool(ok),
                     "window": th["window"]})
    return {"rows": rows, "passed": bool(passed)}


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
    theory = estimate(theory_problem, samples, repeats, seed=args.seed)
    sims = {N: simulate_estimate(problem, N, args.seeds, seed=args.seed + 1 + N, n_test=args.test_samples)
            for N in sizes}
    steps = np.unique(np.linspace(problem.steps / CHECK_TIMES, problem.steps, CHECK_TIMES).round().astype(int))
    result = compare(theory, sims, steps, args.tolerance, repeats, args.seeds)
    if problem.observe.fdt:
        fdt = compare_fdt(problem, theory, sizes, args.seeds, args.seed, args.tolerance, repeats,
                          result["n_comparisons"])
        result["rows"] += fdt["rows"]
        result["passed"] &= fdt["passed"]
        result["n_comparisons"] += len(fdt["rows"])
    conclusive = args.seeds >= MIN_SEEDS
    print(f"{compiled.meta['model']}: DMFT (n_s = {samples} × {repeats}) vs simulation, N = {sizes}, "
          f"{args.seeds} seeds, t = {', '.join(f'{s * problem.eta:g}' for s in steps)} "
          f"({time.perf_counter() - t0:.1f} s)")
    for r in result["rows"]:
        flag = "" if r["ok"] else "   <-- outside"
        when = f"t = {r['t']:<6g}" if "window" not in r else f"FDT lags {r['window']['lag']}"
        print(f"  N = {r['N']:>6}  {when} {r['name']:<12} theory {r['theory']:.5g}  "
              f"sim {r['sim_mean']:.5g} ± {r['se']:.2g}  (bound {r['bound']:.2g}){flag}")
    max_z = max((r["z"] for r in result["rows"]), default=0.0)
    print(f"max |theory - sim| / SE = {max_z:.2f} over {len(result['rows'])} comparisons")
    print(f"pass rule: |theory - sim| <= t* SE + {args.tolerance:g} scale/N, t* Student-t (Welch dof) at "
          f"0.01/{result['n_comparisons']} two-sided")
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        cols = {k: np.array([r[k] for r in result["rows"]]) for k in ("N", "t", "theory", "sim_mean", "se", "bound")}
        write_csv(out / "check.csv", cols)
        write_json(out / "check.json", {"model": compiled.meta["model"], "params": values, "N": sizes,
                                        "seeds": args.seeds, "samples": samples, "repeats": repeats,
                                        "passed": result["passed"], "conclusive": conclusive, "max_z": max_z,
                                        "worst": result["worst"], "rows": result["rows"]})
    if not conclusive:
        print(f"INCONCLUSIVE: use --seeds {MIN_SEEDS} or more")
        return 1
    print("PASS: theory and simulation agree" if result["passed"] else "FAIL: theory and simulation disagree")
    return 0 if result["passed"] else 1

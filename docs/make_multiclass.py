"""docs/multiclass.png: the K-class teacher–student perceptron, K = 3 (static kind).

    python docs/make_multiclass.py [--points 8] [--jobs 8]
    python docs/make_multiclass.py --optimal-only [--opt-points 4] [--jobs 2]   # λ*(α) only, rest from the JSON
    python docs/make_multiclass.py --replot      # redraw; λ*(α) from docs/multiclass_lambda.jsonl

Left: test error vs α for a Gaussian teacher — Bayes-optimal (models/multiclass_bo.model),
cross-entropy + ridge at the optimal λ*(α) (runtime/static/optimal_lambda.py: Brent over log λ of the
fixed point's test error, bracket checked) and with a small λ
(models/multiclass_ce.model), square loss to the one-hot label + ridge (models/multiclass_square.model).
Right: the Bayes-optimal error for the Rademacher (±1) teacher (models/multiclass_rademacher_bo.model):
every fixed point of the symmetric state evolution by the branch trick (α(q̄) = F⁻¹(q̄)/c(q̄)): the
low-error branch up to the spinodal α_sp, the unstable branch back, perfect recovery (ε = 0), the
transition α_IT where the free entropies of the low and the perfect branch cross; the Gaussian
teacher's curve for comparison.  The numbers go to docs/multiclass.json.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

import statc
from statc.runtime.results import write_figure
from statc.runtime.static import multiclass as mc
from statc.runtime.static import runner
from statc.runtime.static.multiclass_prior import row_prior
from statc.runtime.static.optimal_lambda import optimal_lambda

HERE = Path(__file__).resolve().parent
MODELS = HERE.parent / "models"
LAMBDAS = (0.03, 0.1, 0.3, 1.0)
SMALL = 0.01


def _curve(name: str, alphas: np.ndarray, **sets: float) -> dict:
    compiled = statc.load(MODELS / f"{name}.model").compiled
    return runner.run(compiled, sets, alphas=alphas).columns


def _rademacher(_=None) -> dict:
    qb = np.concatenate([np.linspace(0.02, 0.9, 12), np.linspace(0.91, 0.995, 10)])
    br = mc.branch_curve_k(3, "rademacher", qb)
    H = row_prior("rademacher", 3).entropy
    return {k: np.asarray(v).tolist() for k, v in br.items()} | mc.transition_from_branch(br, H) | {"entropy": H}


def _ce_optimal(alphas: list[float], guesses: list[float], out_file: str) -> list[dict]:
    """λ*(α) of cross-entropy + ridge (K = 3) along ``alphas`` in one process: Brent over log λ
    (runtime/static/optimal_lambda.py) started at ``guesses`` (a start only: the bracket is found
    and checked); every fixed point warm-started from the nearest λ solved, the first at each α from
    the previous α's optimum (continuation); no training-error QMC.  Each α's result is appended to
    ``out_file`` (JSON lines) as soon as it is known."""
    from statc.compiler.static.multiclass_loss import load
    from statc.runtime.static.from_model import spec_from_model
    from statc.runtime.static.multiclass_erm import MulticlassERM
    spec, _, _ = spec_from_model(statc.load(MODELS / "multiclass_ce.model").compiled)
    mod = load(spec.loss_k, 3)
    results, prev = [], None
    for alpha, guess in zip(alphas, guesses):
        def solve(lam, init, alpha=alpha):
            pr = MulticlassERM(mod, 3, alpha, lam)
            init = init if init is not None else prev
            p = pr.solve(init=None if init is None else (init.m, init.q, init.V), observe=False)
            err = pr.channel.test_error(p.m, p.q)
            print(f"  α = {alpha:.4g}, λ = {lam:.5g}: test error {err:.8f} ({p.iterations} sweeps)", flush=True)
            return err, p
        r = optimal_lambda(solve, start=guess, step=np.log(2.0), xtol=0.1)
        prev = min(r.states.values(), key=lambda st: abs(np.log(st[0] / r.lam)))[1] if r.states else None
        res = {"alpha": alpha, "lambda": r.lam, "test_error": r.test_error, "bracketed": r.bracketed,
               "bracket": list(r.bracket), "evaluations": {f"{k:.6g}": v for k, v in r.evaluations.items()}}
        with open(out_file, "a") as fh:
            fh.write(json.dumps(res) + "\n")
        results.append(res)
    return results


def _task(job: tuple) -> list:
    name, alphas, sets = job
    if name == "rademacher":
        return _rademacher()
    if name == "ce_opt":
        return _ce_optimal(*alphas)
    return _curve(name, np.asarray(alphas), **sets)["test_error"].tolist()


def _compute(args):
    from concurrent.futures import ProcessPoolExecutor
    alphas = np.linspace(0.5, 5.0, args.points)
    jobs = {"bo": ("multiclass_bo", alphas, {}), "square": ("multiclass_square", alphas, {"lambda": 0.1}),
            "ce_small": ("multiclass_ce", alphas, {"lambda": SMALL}), "rademacher": ("rademacher", None, {})}
    jobs |= {f"ce_{lam:g}": ("multiclass_ce", alphas, {"lambda": lam}) for lam in LAMBDAS}
    with ProcessPoolExecutor(args.jobs) as pool:
        res = dict(zip(jobs, pool.map(_task, jobs.values())))
    out: dict = {"alpha": alphas.tolist(), "bo": res["bo"], "ce_small": res["ce_small"], "square": res["square"]}
    grid = np.array([res[f"ce_{lam:g}"] for lam in LAMBDAS])
    out["ce_grid"] = {f"{lam:g}": res[f"ce_{lam:g}"] for lam in LAMBDAS}
    out["ce_best"] = np.nanmin(grid, axis=0).tolist()
    out["ce_best_lambda"] = [LAMBDAS[i] for i in np.nanargmin(grid, axis=0)]
    out["rademacher"] = res["rademacher"]
    out["ce_opt"] = _optimal(alphas[:: max(1, len(alphas) // args.opt_points)], args.jobs)
    br = {k: np.asarray(v) for k, v in res["rademacher"].items() if isinstance(v, list)}
    tr = {k: res["rademacher"][k] for k in ("alpha_IT", "alpha_sp")}

    return out, br, tr


#: starting guesses of λ* (only where Brent starts; the bracket is found and checked)
GUESS = {0.5: 0.09, 1.7857142857142858: 0.045, 3.0714285714285716: 0.025, 5.0: 0.012}


def _optimal(alphas, jobs: int) -> list[dict]:
    """λ*(α) at ``alphas``, split into ``jobs`` contiguous chains (continuation in α within each)."""
    from concurrent.futures import ProcessPoolExecutor
    alphas = [float(a) for a in alphas]
    guesses = [GUESS.get(a, 0.03) for a in alphas]
    out_file = str(HERE / "multiclass_lambda.jsonl")
    chains = [list(c) for c in np.array_split(np.arange(len(alphas)), jobs) if len(c)]
    tasks = [("ce_opt", ([alphas[i] for i in c], [guesses[i] for i in c], out_file), {}) for c in chains]
    with ProcessPoolExecutor(jobs) as pool:
        res = [r for chain in pool.map(_task, tasks) for r in chain]
    return sorted(res, key=lambda r: r["alpha"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--points", type=int, default=8)
    ap.add_argument("--jobs", type=int, default=1, help="curves computed in parallel processes")
    ap.add_argument("--replot", action="store_true", help="redraw from docs/multiclass.json")
    ap.add_argument("--optimal-only", action="store_true",
                    help="recompute only the cross-entropy curve at λ*(α); the rest from docs/multiclass.json")
    ap.add_argument("--opt-points", type=int, default=4, help="α points of the λ*(α) curve")
    ap.add_argument("--opt-alphas", type=str, default="", help="comma-separated α for λ*(α) (overrides)")
    args = ap.parse_args()
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from concurrent.futures import ProcessPoolExecutor
    if args.replot or args.optimal_only:
        out = json.loads((HERE / "multiclass.json").read_text())
        if args.optimal_only:
            opt_alphas = ([float(a) for a in args.opt_alphas.split(",")] if args.opt_alphas else
                          np.asarray(out["alpha"])[:: max(1, len(out["alpha"]) // args.opt_points)])
            out["ce_opt"] = _optimal(opt_alphas, args.jobs)
        alphas = np.asarray(out["alpha"])
        br = {k: np.asarray(v) for k, v in out["rademacher"].items() if isinstance(v, list)}
        tr = {k: out["rademacher"][k] for k in ("alpha_IT", "alpha_sp")}
    else:
        out, br, tr = _compute(args)
        alphas = np.asarray(out["alpha"])
    jsonl = HERE / "multiclass_lambda.jsonl"
    if jsonl.exists():                                  # every λ*(α) computed so far (last per α)
        by_alpha = {round(r["alpha"], 10): r for r in map(json.loads, jsonl.read_text().splitlines())}
        out["ce_opt"] = [by_alpha[a] for a in sorted(by_alpha)]
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(10.5, 3.8))
    ax.plot(alphas, out["bo"], "k--", label="Bayes-optimal")
    if "ce_opt" in out:
        opt = out["ce_opt"]
        ax.plot([o["alpha"] for o in opt], [o["test_error"] for o in opt], "o", ms=6, mfc="none", zorder=5,
                label="cross-entropy, optimal λ*(α)")
    else:
        ax.plot(alphas, out["ce_best"], "o-", ms=3, label=f"cross-entropy, best λ in {LAMBDAS}")
    ax.plot(alphas, out["ce_small"], "s-", ms=3, label=f"cross-entropy, λ = {SMALL:g}")
    ax.plot(alphas, out["square"], "^-", ms=3, label="square loss, λ = 0.1")
    ax.set(xlabel="α = n/N", ylabel="test error", title="K = 3, Gaussian teacher")
    ax.legend(fontsize=8)
    i = int(np.argmax(br["alpha"]))
    bx.plot(br["alpha"][:i + 1], br["test_error"][:i + 1], "C0-", label="low-error branch (uninformed)")
    bx.plot(br["alpha"][i:], br["test_error"][i:], "C0:", label="unstable branch")
    a_max = max(alphas[-1], tr["alpha_sp"] * 1.3)
    bx.plot([tr["alpha_IT"], a_max], [0, 0], "C3-", lw=2, label="perfect recovery (equilibrium above α_IT)")
    bx.axvline(tr["alpha_IT"], color="k", ls="--", lw=0.8, label=f"α_IT = {tr['alpha_IT']:.3f}")
    bx.axvline(tr["alpha_sp"], color="gray", ls="-.", lw=0.8, label=f"α_sp = {tr['alpha_sp']:.3f}")
    bx.plot(alphas, out["bo"], "k--", lw=0.8, alpha=0.5, label="Gaussian teacher")
    bx.set(xlabel="α = n/N", ylabel="Bayes-optimal test error", title="K = 3, Rademacher teacher", xlim=(0, a_max))
    bx.legend(fontsize=7)
    write_figure(HERE / "multiclass.png", fig)
    (HERE / "multiclass.json").write_text(json.dumps(out, indent=1) + "\n")
    print(json.dumps({k: out[k] for k in ("bo", "ce_best", "ce_best_lambda", "ce_small", "square")}))
    for o in out.get("ce_opt", []):
        print(f"alpha {o['alpha']:.4g}: lambda* {o['lambda']:.4g} (bracketed {o['bracketed']}), "
              f"test error {o['test_error']:.6f}")
    print("rademacher:", tr)


if __name__ == "__main__":
    main()

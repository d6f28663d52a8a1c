"""docs/effective_noise.png: the effective noise of SGD (Mignacco & Urbani 2022), DMFT vs simulation.

    python docs/make_effective_noise.py [--samples 3000] [--repeats 3] [--N 1000] [--seeds 4]

models/effective_noise.model (quadratic hinge on the two-cluster mixture, η = 0.2, t ≤ 20):
(a) under-parametrised (α = 4, λ = 0.1): FDT effective temperature of SGD against the batch
    fraction b (window: waiting times 10..12, lags 0.4..8, the model's `fdt(w, ...)`);
(b) the same for persistent SGD at b = 0.3 against the persistence time τ (τ = η/b is plain SGD);
(c) over-parametrised (α = 1, λ = 0: zero training loss): the replica distance D = |w_a − w_b|²/N
    at t = 20 against b, SGD and persistent SGD (τ = 2).
DMFT: mean over `repeats` (n_s samples each) ± 1 standard error; simulation: N, `seeds` data sets
(`fdt.simulate_fdt`, the two-copy `simulate`), ± 1 standard error. Numbers in docs/effective_noise.json.
"""
from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np

import statc
from statc.runtime.dmft import runner
from statc.runtime.dmft.fdt import simulate_fdt, windows
from statc.runtime.dmft.from_model import problem_from_model
from statc.runtime.dmft.simulate import simulate_seeds
from statc.runtime.results import write_figure

HERE = Path(__file__).resolve().parent
ETA = 0.2
B_SGD = (0.2, 0.3, 0.4, 0.5, 0.7, 1.0)
B_P, TAUS = 0.3, (ETA / 0.3, 1.0, 2.0, 3.0, 4.0)
OVER = {"alpha": 1.0, "lambda": 0.0}
B_OVER, TAU_OVER = (0.2, 0.3, 0.5, 0.7, 1.0), 2.0


def _mean_se(vals) -> tuple[float, float]:
    vals = np.asarray(vals, dtype=float)
    return float(vals.mean()), float(vals.std(ddof=1) / math.sqrt(len(vals)))


def t_eff(compiled, sets: dict, args) -> dict:
    """DMFT and simulated T_eff at these parameters."""
    tr = runner.run(compiled, sets, samples=args.samples, repeats=args.repeats, seed=1)
    f = tr.info["fdt"]["T"]
    problem, _ = problem_from_model(compiled, sets)
    win = windows(problem)["T"]
    sim = _mean_se([simulate_fdt(problem, args.N, win, seed=s).t_eff
                    for s in np.random.SeedSequence(11).spawn(args.seeds)])
    return {"params": sets, "dmft": [f["T_eff"], f["stderr"]], "sim": list(sim),
            "train_loss": float(tr["train_loss"][-1])}


def distance(compiled, sets: dict, args) -> dict:
    """DMFT and simulated replica distance D at the end of the run."""
    tr = runner.run(compiled, sets, samples=args.samples, repeats=args.repeats, seed=1)
    problem, _ = problem_from_model(compiled, sets)
    sim = simulate_seeds(problem, args.N, args.seeds, seed=12)
    return {"params": sets, "dmft": [float(tr["D"][-1]), float(tr.stderr["D"][-1])],
            "sim": _mean_se(sim.per_seed["D"][:, -1]), "train_loss": float(tr["train_loss"][-1]),
            "sim_train_loss": float(sim.mean["train_loss"][-1])}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--samples", type=int, default=3000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--N", type=int, default=1000)
    ap.add_argument("--seeds", type=int, default=4)
    args = ap.parse_args()
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    compiled = statc.load(HERE.parent / "models" / "effective_noise.model").compiled
    res = {"settings": vars(args), "sgd_b": [], "persistent_tau": [], "over_sgd_b": [], "over_persistent_b": []}
    for b in B_SGD:
        res["sgd_b"].append(t_eff(compiled, {"b": b}, args))
        print("SGD", res["sgd_b"][-1], flush=True)
    for tau in TAUS:
        res["persistent_tau"].append(t_eff(compiled, {"b": B_P, "tau": tau}, args))
        print("persistent", res["persistent_tau"][-1], flush=True)
    for b in B_OVER:
        res["over_sgd_b"].append(distance(compiled, {**OVER, "b": b}, args))
        print("over SGD", res["over_sgd_b"][-1], flush=True)
        if b < 1:
            res["over_persistent_b"].append(distance(compiled, {**OVER, "b": b, "tau": TAU_OVER}, args))
            print("over persistent", res["over_persistent_b"][-1], flush=True)
    (HERE / "effective_noise.json").write_text(json.dumps(res, indent=1) + "\n")

    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))

    def draw(ax, rows, key, label, color):
        x = [r["params"][key] for r in rows]
        d, s = np.array([r["dmft"] for r in rows]).T, np.array([r["sim"] for r in rows]).T
        ax.errorbar(x, d[0], d[1], marker="o", color=color, label=f"{label} DMFT", capsize=2)
        ax.errorbar(x, s[0], s[1], marker="x", ls="none", color=color, label=f"{label} simulation N = {args.N}",
                    capsize=2, mec="k")

    draw(axes[0], res["sgd_b"], "b", "SGD", "C0")
    axes[0].set(xlabel="batch fraction b", ylabel="FDT effective temperature $T_{eff}$",
                title="(a) SGD, α = 4, λ = 0.1 (stationary)")
    draw(axes[1], res["persistent_tau"], "tau", f"persistent SGD b = {B_P}", "C1")
    axes[1].axvline(ETA / B_P, color="grey", ls=":", lw=1)
    axes[1].set(xlabel="persistence time τ (τ = η/b: plain SGD)", ylabel="$T_{eff}$",
                title="(b) persistent SGD, α = 4, λ = 0.1")
    draw(axes[2], res["over_sgd_b"], "b", "SGD", "C0")
    draw(axes[2], res["over_persistent_b"], "b", f"persistent τ = {TAU_OVER:g}", "C1")
    axes[2].set(xlabel="batch fraction b", ylabel="replica distance D(t = 20)",
                title="(c) α = 1, λ = 0 (zero training loss)")
    for ax in axes:
        ax.legend(fontsize=7)
    fig.suptitle("effective_noise.model: quadratic hinge on the two-cluster mixture, η = 0.2 (DMFT n_s = "
                 f"{args.samples} × {args.repeats})", fontsize=9)
    fig.tight_layout()
    write_figure(HERE / "effective_noise.png", fig)


if __name__ == "__main__":
    main()

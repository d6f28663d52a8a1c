"""docs/static_ridge.png: the interpolation peak of ridge regression (static kind).

    python docs/make_static_ridge.py [--points 60] [--N 200] [--seeds 6]

models/linear_ridge.model (y = wt.x + σ noise, σ = 0.5): the clean test error |w − w*|²/N
against α = n/N for λ = 10⁻⁴, 10⁻², 0.1, 1 — lines: the replica fixed point by α-continuation
(`statc run models/linear_ridge.model --set lambda=… --alpha 0.1:3:60`); points: ridge trained
on finite data sets (normal equations, N = 200, mean ± s.e. over seeds; runtime/static/finite.py,
no theory).  Dashed: the λ → 0 limit (least squares / minimum norm), 1 − α + σ²α/(1 − α) below
α = 1 and σ²/(α − 1) above — the peak at α = 1.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import statc
from statc.runtime.results import write_figure
from statc.runtime.static import runner
from statc.runtime.static.channels import channel
from statc.runtime.static.finite import finite_size

HERE = Path(__file__).resolve().parent
MODEL = HERE.parent / "models" / "linear_ridge.model"
LAMBDAS = (1e-4, 1e-2, 1e-1, 1.0)
SIGMA2 = 0.25


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--points", type=int, default=60)
    ap.add_argument("--N", type=int, default=200)
    ap.add_argument("--seeds", type=int, default=6)
    args = ap.parse_args()
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    compiled = statc.load(MODEL).compiled
    alphas = np.linspace(0.1, 3.0, args.points)
    sim_alphas = np.array([0.3, 0.6, 0.9, 1.0, 1.1, 1.5, 2.0, 3.0])
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for lam in LAMBDAS:
        c = runner.run(compiled, {"lambda": lam, "sigma": SIGMA2 ** 0.5}, alphas=alphas).columns
        line, = ax.plot(c["alpha"], c["test_error"], label=f"λ = {lam:g}")
        i = int(np.nanargmax(c["test_error"]))
        print(f"lambda = {lam:g}: peak test error {c['test_error'][i]:.4f} at alpha = {c['alpha'][i]:.3g}")
        ch = channel("linear", noise=SIGMA2)
        sims = [finite_size("square", ch, a, lam, args.N, seeds=args.seeds, n_test=10) for a in sim_alphas]
        ax.errorbar(sim_alphas, [s.mean("test_error") for s in sims],
                    yerr=[s.stderr("test_error") for s in sims], fmt="o", ms=3.5, color=line.get_color())
    lo, hi = alphas[alphas < 1], alphas[alphas > 1]
    ax.plot(lo, 1 - lo + SIGMA2 * lo / (1 - lo), "k--", lw=0.8, label="λ → 0")
    ax.plot(hi, SIGMA2 / (hi - 1), "k--", lw=0.8)
    ax.set(xlabel="α = n/N", ylabel="test error |w − w*|²/N", ylim=(0, 2.5),
           title=f"ridge regression, σ² = {SIGMA2:g}: theory (lines), N = {args.N} (points)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    write_figure(HERE / "static_ridge.png", fig)


if __name__ == "__main__":
    main()

"""docs/static_sparse.png: compressed sensing with a sparse teacher (static kind).

    python docs/make_static_sparse.py [--points 40] [--N 400] [--seeds 4]

models/lasso_sparse.model and models/sparse_bayes.model: y = wt.x + σ noise, wt Bernoulli–Gaussian
with density ε = 0.1, σ = 0.05.  Test error |w − w*|²/N against α = n/N: the LASSO at λ₁ = 0.003,
0.03, 0.3 (lines: the soft-threshold fixed point by α-continuation; points: scikit-learn `Lasso`
at N = 400, mean ± s.e.) and the Bayes-optimal error (state evolution, the branch of larger free
entropy; dashed), with the
Donoho–Tanner line α_c(ε) of noiseless L1 recovery (minimax MSE of soft thresholding) and the
information-theoretic α = ε of noiseless Bayes-optimal recovery (dotted).
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.stats import norm

import statc
from statc.runtime.results import write_figure
from statc.runtime.static import runner
from statc.runtime.static.channels import channel
from statc.runtime.static.finite import finite_size

HERE = Path(__file__).resolve().parent
MODELS = HERE.parent / "models"
EPS, SIGMA = 0.1, 0.05


def donoho_tanner(eps: float) -> float:
    f = lambda t: eps * (1 + t * t) + 2 * (1 - eps) * ((1 + t * t) * norm.sf(t) - t * norm.pdf(t))
    return float(minimize_scalar(f, bounds=(0.0, 10.0), method="bounded", options={"xatol": 1e-12}).fun)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--points", type=int, default=40)
    ap.add_argument("--N", type=int, default=400)
    ap.add_argument("--seeds", type=int, default=4)
    args = ap.parse_args()
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    alphas = np.linspace(0.1, 1.0, args.points)
    lasso = statc.load(MODELS / "lasso_sparse.model").compiled
    bayes = statc.load(MODELS / "sparse_bayes.model").compiled
    sets = {"eps": EPS, "sigma": SIGMA}
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    sim_alphas = np.array([0.2, 0.35, 0.5, 0.7, 0.9])
    ch = channel("linear", noise=SIGMA**2)
    for lam1 in (0.003, 0.03, 0.3):
        c = runner.run(lasso, {**sets, "lambda1": lam1}, alphas=alphas).columns
        line, = ax.semilogy(c["alpha"], c["test_error"], label=f"LASSO λ₁ = {lam1:g}")
        sims = [finite_size("square", ch, a, 0.0, args.N, seeds=args.seeds, n_test=10, lam1=lam1,
                            teacher_prior="sparse", teacher_p=EPS) for a in sim_alphas]
        ax.errorbar(sim_alphas, [s.mean("test_error") for s in sims], yerr=[s.stderr("test_error") for s in sims],
                    fmt="o", ms=3.5, color=line.get_color())
        print(f"lambda1 = {lam1:g}: test error at alpha = 0.5: {np.interp(0.5, c['alpha'], c['test_error']):.4g}")
    b = runner.run(bayes, sets, alphas=alphas).columns
    ax.semilogy(b["alpha"], b["test_error"], "k--", label="Bayes-optimal")
    print(f"Bayes-optimal: test error at alpha = 0.5: {np.interp(0.5, b['alpha'], b['test_error']):.4g}")
    ac = donoho_tanner(EPS)
    ax.axvline(ac, color="grey", ls=":", lw=1)
    ax.axvline(EPS, color="grey", ls=":", lw=1)
    ax.text(ac, 1.2, f" α_DT = {ac:.3f}", fontsize=8)
    ax.text(EPS, 1.2, " α = ε", fontsize=8)
    ax.set(xlabel="α = n/N", ylabel="test error |w − w*|²/N",
           title=f"sparse teacher ε = {EPS:g}, σ = {SIGMA:g}: theory (lines), N = {args.N} (points)")
    ax.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    write_figure(HERE / "static_sparse.png", fig)


if __name__ == "__main__":
    main()

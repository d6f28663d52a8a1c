"""docs/static_imbalance.png: class imbalance on the two-cluster mixture (static kind).

    python docs/make_static_imbalance.py [--points 19] [--N 400] [--seeds 6]

models/gmm_logistic.model (logistic loss, λ = 0.1, learned bias) and models/gmm_bayes.model at
α = 2, Δ = 1, against the fraction ρ of the y = +1 cluster.  Left: the overall test error, the
error on each cluster (y = +1: `error_plus`, the minority for ρ < ½; y = −1: `error_minus`) and
the balanced error ½(error_plus + error_minus); the Bayes-optimal test error (dashed).  Right: the
decision threshold b/m (the field is y m + b + √(Δq) ξ, so sign(h) depends on b/m) of the learned
bias against the Bayes-optimal one, b*/m_BO = (Δ/2) log(ρ/(1 − ρ)) (α + Δ)/α.  Lines: `statc run MODEL --set
rho=…` (the runner); points: logistic regression trained on finite data sets (scikit-learn,
C = 1/λ, unpenalised intercept; N = 400, mean ± s.e. over seeds; per-cluster errors exact given
each trained (w, b)).
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
MODELS = HERE.parent / "models"
KEYS = ("test_error", "error_plus", "error_minus", "balanced_error")
LABELS = {"test_error": "test error", "error_plus": "error on y = +1 (fraction ρ)",
          "error_minus": "error on y = −1", "balanced_error": "balanced error"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--points", type=int, default=19)
    ap.add_argument("--N", type=int, default=400)
    ap.add_argument("--seeds", type=int, default=6)
    args = ap.parse_args()
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    erm = statc.load(MODELS / "gmm_logistic.model").compiled
    bo = statc.load(MODELS / "gmm_bayes.model").compiled
    rhos = np.linspace(0.05, 0.5, args.points)
    theory = {k: [] for k in KEYS + ("b", "bo", "bo_b")}
    for rho in rhos:
        f = runner.run(erm, {"rho": rho}).summary["final"]
        for k in KEYS:
            theory[k].append(f[k])
        theory["b"].append(f["b"] / f["m"])
        fb = runner.run(bo, {"rho": rho}).summary["final"]
        theory["bo"].append(fb["test_error"])
        theory["bo_b"].append(0.5 * np.log(rho / (1 - rho)) / fb["q"])
    sim_rhos = np.array([0.1, 0.2, 0.3, 0.4, 0.5])
    sims = {k: [] for k in KEYS + ("b",)}
    for rho in sim_rhos:
        ch = channel("mixture", rho=rho, Delta=1.0)
        fs = finite_size("logistic", ch, 2.0, 0.1, args.N, seeds=args.seeds, n_test=10)
        per = np.array([ch.cluster_errors(m, q, b) for m, q, b in
                        zip(fs.samples["m"], fs.samples["q"], fs.samples["b"])])
        vals = {"test_error": fs.samples["test_error"], "error_plus": per[:, 0], "error_minus": per[:, 1],
                "balanced_error": per.mean(axis=1), "b": fs.samples["b"] / fs.samples["m"]}
        for k, v in vals.items():
            sims[k].append((v.mean(), v.std(ddof=1) / np.sqrt(len(v))))
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 4))
    for k in KEYS:
        line, = ax.plot(rhos, theory[k], label=LABELS[k])
        mean, se = np.array(sims[k]).T
        ax.errorbar(sim_rhos, mean, yerr=se, fmt="o", ms=3.5, color=line.get_color())
    ax.plot(rhos, theory["bo"], "k--", lw=1, label="Bayes-optimal test error")
    ax.set(xlabel="ρ (fraction of the y = +1 cluster)", ylabel="error",
           title=f"logistic, λ = 0.1, α = 2, Δ = 1: theory (lines), N = {args.N} (points)")
    ax.legend(fontsize=8)
    line, = bx.plot(rhos, theory["b"], label="logistic: b/m")
    mean, se = np.array(sims["b"]).T
    bx.errorbar(sim_rhos, mean, yerr=se, fmt="o", ms=3.5, color=line.get_color())
    bx.plot(rhos, theory["bo_b"], "k--", lw=1, label="Bayes-optimal: (Δ/2) log(ρ/(1−ρ)) / m_BO")
    bx.set(xlabel="ρ", ylabel="decision threshold b/m", title="the learned bias follows the imbalance")
    bx.legend(fontsize=8)
    fig.tight_layout()
    write_figure(HERE / "static_imbalance.png", fig)
    for i in (0, len(rhos) - 1):
        print(f"rho = {rhos[i]:.3g}: " + ", ".join(f"{k} {theory[k][i]:.4f}" for k in KEYS + ("b", "bo", "bo_b")))


if __name__ == "__main__":
    main()

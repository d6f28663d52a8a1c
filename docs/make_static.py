"""docs/static_gmm.png: test error vs α on the two-cluster mixture (static kind).

    python docs/make_static.py [--points 40]

Left: square, logistic and hinge losses (λ = 0.1, learned bias) and the Bayes-optimal error,
ρ = ½, Δ = 1 (models/gmm_*.model). Middle: the square loss at small λ — the interpolation
peak at α = 1. Right: imbalance ρ = 0.5, 0.3, 0.1 with the logistic loss: test error
(solid) and balanced error (dashed). Every curve is `statc run MODEL --alpha a:b:n`'s
α-continuation (the runner's ``run(..., alphas=...)``).
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import statc
from statc.runtime.results import write_figure
from statc.runtime.static import runner

HERE = Path(__file__).resolve().parent
MODELS = HERE.parent / "models"


def _curve(name: str, alphas: np.ndarray, **sets: float) -> dict:
    compiled = statc.load(MODELS / f"{name}.model").compiled
    return runner.run(compiled, sets, alphas=alphas).columns


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--points", type=int, default=40)
    args = ap.parse_args()
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    alphas = np.linspace(0.2, 5.0, args.points)
    fig, (ax, bx, cx) = plt.subplots(1, 3, figsize=(13, 3.6))
    for name, label in (("gmm_square", "square"), ("gmm_logistic", "logistic"), ("gmm_hinge", "hinge"),
                        ("gmm_bayes", "Bayes-optimal")):
        c = _curve(name, alphas)
        ax.plot(c["alpha"], c["test_error"], label=label, ls="--" if name == "gmm_bayes" else "-")
        print(f"{label}: test error at alpha = {alphas[-1]:g}: {c['test_error'][-1]:.4f}")
    ax.set(xlabel="α = n/N", ylabel="test error", title="ρ = ½, Δ = 1, λ = 0.1")
    ax.legend(fontsize=8)
    for lam in (1e-3, 1e-2, 1e-1):
        c = _curve("gmm_square", alphas, **{"lambda": lam})
        bx.plot(c["alpha"], c["test_error"], label=f"λ = {lam:g}")
        i = int(np.nanargmax(c["test_error"]))
        print(f"square, lambda = {lam:g}: peak test error {c['test_error'][i]:.4f} at alpha = {c['alpha'][i]:.3g}")
    bx.set(xlabel="α = n/N", ylabel="test error", title="square loss: interpolation peak")
    bx.legend(fontsize=8)
    for rho in (0.5, 0.3, 0.1):
        c = _curve("gmm_logistic", alphas, rho=rho)
        line, = cx.plot(c["alpha"], c["test_error"], label=f"ρ = {rho:g}")
        cx.plot(c["alpha"], c["balanced_error"], ls="--", color=line.get_color())
    cx.set(xlabel="α = n/N", ylabel="error", title="logistic, imbalance: test (—), balanced (--)")
    cx.legend(fontsize=8)
    fig.tight_layout()
    write_figure(HERE / "static_gmm.png", fig)


if __name__ == "__main__":
    main()

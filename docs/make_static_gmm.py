"""docs/static_gmm.png: test error vs α on the two-cluster mixture (Δ = 1, ρ = ½,
λ = 0.01 with a learned bias) for the square, logistic and hinge losses, and the
Bayes-optimal error; right panel: the interpolation peak of the square loss at
small λ (V diverges at α = 1 as λ → 0).

    python docs/make_static_gmm.py

Uses the static kind's runtime directly (the DSL models come later).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from statc.runtime.results import write_figure
from statc.runtime.static.solve import StaticSpec, curve

HERE = Path(__file__).resolve().parent
GMM = dict(channel="mixture", channel_params={"rho": 0.5, "Delta": 1.0})


def main() -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    alphas = np.linspace(0.2, 5.0, 40)
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(10, 3.8))
    for loss in ("square", "logistic", "hinge"):
        c = curve(StaticSpec("erm", loss=loss, lam=0.01, **GMM), alphas)
        ax.plot(alphas, c["test_error"], lw=1.6, label=f"{loss}, λ = 0.01")
    bo = curve(StaticSpec("bayes_optimal", **GMM), alphas)
    ax.plot(alphas, bo["test_error"], "k--", lw=1.4, label="Bayes-optimal")
    ax.set_xlabel("α = n/d")
    ax.set_ylabel("test error")
    ax.set_title("two-cluster mixture, Δ = 1, ρ = ½")
    ax.legend(frameon=False)
    peak = np.linspace(0.2, 3.0, 57)
    for lam in (1e-1, 1e-2, 1e-3):
        c = curve(StaticSpec("erm", loss="square", lam=lam, **GMM), peak)
        bx.plot(peak, c["test_error"], lw=1.6, label=f"square, λ = {lam:g}")
    bx.axvline(1.0, color="grey", lw=0.8, ls=":")
    bx.set_xlabel("α = n/d")
    bx.set_title("interpolation peak (square loss)")
    bx.legend(frameon=False)
    for a in (ax, bx):
        a.grid(alpha=0.3)
    write_figure(HERE / "static_gmm.png", fig)
    plt.close(fig)


if __name__ == "__main__":
    main()

"""docs/dropout_keep.png: ε_g(t = 5) against the constant keep probability.

    python docs/make_dropout_keep.py

Mori & Mignacco (2025) setting: K = 2, M = 1, η = 1, zero initial weights,
T = 1, p_test = keep; one curve per label-noise level σ.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

import statc
from statc.runtime.results import write_figure

HERE = Path(__file__).resolve().parent


def main() -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    m = statc.load(HERE.parent / "models" / "dropout.model")
    keeps = np.linspace(0.3, 1.0, 36)
    fig, ax = plt.subplots(figsize=(5.2, 3.8))
    lines = []
    for sigma in (0.0, 0.1, 0.2, 0.3, 0.5):
        eps = np.array([m.run(t_end=5, init_N=0, keep=k, sigma=sigma, record="linear 1")["eps_g"][-1]
                        for k in keeps])
        i = int(np.argmin(eps))
        ax.plot(keeps, eps, label=f"σ = {sigma:g}")
        ax.plot(keeps[i], eps[i], "k.", ms=6)
        lines.append(f"sigma={sigma:g}: best keep {keeps[i]:.2f}, eps_g {eps[i]:.5f} (keep=1: {eps[-1]:.5f})")
    ax.set_xlabel("keep probability (constant; p_test = keep)")
    ax.set_ylabel("ε_g at t = 5")
    ax.set_title("Dropout: K = 2, M = 1, η = 1")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    write_figure(HERE / "dropout_keep.png", fig)
    print("\n".join(lines))


if __name__ == "__main__":
    main()

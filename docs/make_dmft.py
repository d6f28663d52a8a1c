"""docs/dmft_gmm.png: test error vs time for GD, SGD and persistent SGD (dmft kind).

    python docs/make_dmft.py [--samples 5000] [--repeats 3]

models/dmft_gmm.model (logistic + ridge on the two-cluster mixture, α = 2, λ = 0.1, η = 0.25):
the DMFT mean over independent repeats with ±1 Monte-Carlo standard error bands, for
b = 1 (GD), b = 0.3 (SGD, κ = 1/b) and b = 0.3 with persistence time τ = 2.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import statc
from statc.runtime.dmft import runner
from statc.runtime.results import write_figure

HERE = Path(__file__).resolve().parent
CASES = (("GD (b = 1)", {}), ("SGD, b = 0.3", {"b": 0.3}), ("persistent SGD, b = 0.3, τ = 2", {"b": 0.3, "tau": 2.0}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--samples", type=int, default=5000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    compiled = statc.load(HERE.parent / "models" / "dmft_gmm.model").compiled
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(9.5, 3.6))
    for label, sets in CASES:
        tr = runner.run(compiled, sets, samples=args.samples, repeats=args.repeats, seed=1)
        t, e, se = tr["t"], tr["test_error"], tr.stderr["test_error"]
        ax.plot(t, e, label=label)
        ax.fill_between(t, e - se, e + se, alpha=0.3)
        bx.plot(t, tr["train_loss"], label=label)
        print(f"{label}: test error at t = {t[-1]:g}: {e[-1]:.4f} ± {se[-1]:.4f}; m = {tr['m'][-1]:.4f}")
    ax.set(xlabel="t = steps × η", ylabel="test error", title="dmft_gmm: test error")
    bx.set(xlabel="t = steps × η", ylabel="training loss (per sample)", title="training loss", yscale="log")
    ax.legend(fontsize=8)
    fig.tight_layout()
    write_figure(HERE / "dmft_gmm.png", fig)


if __name__ == "__main__":
    main()

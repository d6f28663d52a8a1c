"""docs/pepita_afa.png: PEPITA against adaptive feedback alignment and backprop.

    python docs/make_pepita_afa.py

Same task and start for all (K = 2, M = 1, erf, η = η_v = 0.5, Q = I/4,
S = w·f/N = 0.3).  To first order in the strength c of the error projection,
PEPITA is AFA; the curves show where the expansion departs as c grows.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

import statc
from statc.runtime.results import write_figure

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def curves(t_end: float = 50.0, cs=(0.1, 0.5, 1.0, 2.0)):
    rec = "log 40"
    afa = statc.load(ROOT / "models" / "afa.model").run(t_end=t_end, init_N=0, record=rec)
    bp = statc.load(ROOT / "tests" / "fixtures" / "good" / "two_layer_backprop.model").run(
        t_end=t_end, init_N=0, record=rec)
    pep = statc.load(ROOT / "models" / "pepita.model")
    peps = {c: pep.run(t_end=t_end, init_N=0, record=rec, c=c) for c in cs}
    return afa, bp, peps


def main() -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    afa, bp, peps = curves()
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(9.5, 3.8))
    m = afa["t"] > 0
    ax.loglog(afa["t"][m], afa["eps_g"][m], "k-", lw=2, label="AFA")
    ax.loglog(bp["t"][m], bp["eps_g"][m], "k--", lw=1.5, label="backprop (SGD)")
    for c, tr in peps.items():
        ax.loglog(tr["t"][m], tr["eps_g"][m], lw=1.2, label=f"PEPITA c = {c:g}")
        bx.semilogx(tr["t"][m], np.abs(tr["eps_g"][m] - afa["eps_g"][m]) / afa["eps_g"][m],
                    label=f"c = {c:g}")
    ax.set_xlabel("t = steps / N")
    ax.set_ylabel("ε_g")
    ax.legend(fontsize=7)
    ax.grid(True, which="both", alpha=0.3)
    bx.set_xlabel("t = steps / N")
    bx.set_ylabel("|ε_PEPITA − ε_AFA| / ε_AFA")
    bx.set_yscale("log")
    bx.legend(fontsize=7)
    bx.grid(True, which="both", alpha=0.3)
    write_figure(HERE / "pepita_afa.png", fig)
    print(f"t = {afa['t'][-1]:g}: AFA {afa['eps_g'][-1]:.5f}, backprop {bp['eps_g'][-1]:.5f}, " +
          ", ".join(f"PEPITA(c={c:g}) {tr['eps_g'][-1]:.5f}" for c, tr in peps.items()))


if __name__ == "__main__":
    main()

"""docs/continual.png: errors on both tasks around a task switch at t_s = 20.

    python docs/make_continual.py

models/continual.model (K = 2, η = η_h = 1): task 1 until t_s, then task 2;
one curve per task similarity ρ (the overlap of the two teachers).
Forgetting = ε1(t_end) − ε1(t_s).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

import statc
from statc.runtime.results import write_figure

HERE = Path(__file__).resolve().parent


def forgetting(m, rho: float, t_s: float = 20.0, t_end: float = 40.0):
    tr = m.run(t_end=t_end, init_N=0, rho=rho, record="linear 200")
    i_s = int(np.argmin(np.abs(tr["t"] - t_s)))
    return tr, tr["eps1"][-1] - tr["eps1"][i_s]


def main() -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    m = statc.load(HERE.parent / "models" / "continual.model")
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(9.5, 3.6), sharey=True)
    lines = []
    for rho in (0.0, 0.3, 0.6, 0.9):
        tr, f = forgetting(m, rho)
        ax.plot(tr["t"], tr["eps1"], label=f"ρ = {rho:g}")
        bx.plot(tr["t"], tr["eps2"], label=f"ρ = {rho:g}")
        lines.append(f"rho={rho:g}: forgetting of task 1 = {f:.4f}, final eps2 = {tr['eps2'][-1]:.5f}")
    for a, title in ((ax, "task 1 error ε1"), (bx, "task 2 error ε2")):
        a.axvline(20, color="k", lw=0.8, ls=":")
        a.set_yscale("log")
        a.set_xlabel("t = steps / N")
        a.set_title(title)
        a.grid(alpha=0.3)
    ax.legend(fontsize=8)
    write_figure(HERE / "continual.png", fig)
    print("\n".join(lines))


if __name__ == "__main__":
    main()

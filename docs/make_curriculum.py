"""docs/curriculum.png: test error under three fixed curricula.

    python docs/make_curriculum.py

models/curriculum.model with η = 3, t_F = 12, Δ ∈ {0, 2}, half of the
samples easy, start Q11 = Q22 = 1, R = 0.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

import statc
from statc.runtime.results import write_figure

HERE = Path(__file__).resolve().parent

SCHEDULES = {
    "easy then hard": {"Delta": [(0, 6, 0.0), (6, 12, 2.0)]},
    "hard then easy": {"Delta": [(0, 6, 2.0), (6, 12, 0.0)]},
    "alternating (period 2)": {"Delta": [(t, t + 1, float(2 * (t % 2))) for t in range(12)]},
}


def runs():
    m = statc.load(HERE.parent / "models" / "curriculum.model")
    return {name: m.run(init_N=0, schedule=s, record="linear 96") for name, s in SCHEDULES.items()}


def main() -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    for name, tr in runs().items():
        ax.plot(tr["t"], tr["err"], label=f"{name}: {tr['err'][-1]:.4f}")
        print(f"{name}: final test error {tr['err'][-1]:.4f}")
    ax.set_xlabel("t = steps / N")
    ax.set_ylabel("test error (easy and hard, half each)")
    ax.set_title("Curriculum: η = 3, Δ ∈ {0, 2}")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    write_figure(HERE / "curriculum.png", fig)


if __name__ == "__main__":
    main()

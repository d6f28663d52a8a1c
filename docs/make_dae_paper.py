"""docs/opt_dae_paper.png: the optimal-learning paper's DAE noise schedules.

    python docs/make_dae_paper.py

For Delta_F = Delta_test in {0.1, 0.3}, `statc optimize models/dae_paper.model
--set Delta_test=...` (the notebook's objective `mse_nb`, 399 intervals on
alpha in [0, 0.8], i.e. t = eta alpha in [0, 4]); the optimal schedule and the
objective along training for the optimum, the constant Delta = Delta_F (the
paper's comparison) and the best constant.  The numbers go to
docs/opt_dae_paper.json (quoted in the README).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

import statc
from statc.runtime.control import optimize as opt
from statc.runtime.control.problem import build_problem

HERE = Path(__file__).resolve().parent
# the notebook's printed IPOPT optima (DAE/DAE.ipynb, "Objective" lines)
NOTEBOOK = {0.1: 8.7938712659483542, 0.3: 9.4269004806309020}


def main() -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    model = statc.load(HERE.parent / "models" / "dae_paper.model")
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.8))
    rows = []
    for i, dF in enumerate(sorted(NOTEBOOK)):
        p = build_problem(model.compiled, {"Delta_test": dF})
        res = opt.optimize(p)
        zc = p.constant({"Delta": dF})
        row = {"Delta_test": dF, "optimum": res.objective, "notebook_optimum": NOTEBOOK[dF],
               "constant_test": p.objective(zc), "constant_0.01": p.objective(p.constant({"Delta": 0.01})),
               "best_constant": res.constant_objective, "best_constant_Delta": float(res.constant_z[0]),
               "schedule": [float(v) for v in res.z]}
        t, _, obs_opt = p.trajectory(res.z)
        _, _, obs_c = p.trajectory(zc)
        row["mse_total_optimum"] = float(obs_opt["mse_total"][-1])
        row["mse_total_constant_test"] = float(obs_c["mse_total"][-1])
        rows.append(row)
        axes[0].stairs(res.z, p.edges, label=rf"optimal, $\Delta_F$ = {dF}", baseline=None)
        axes[i + 1].plot(t, obs_opt["mse_nb"], label=f"optimal ({res.objective:.5f})")
        axes[i + 1].plot(t, obs_c["mse_nb"], "--", label=rf"constant $\Delta$ = {dF} ({row['constant_test']:.5f})")
        _, _, obs_b = p.trajectory(res.constant_z)
        axes[i + 1].plot(t, obs_b["mse_nb"], ":", label=rf"best constant $\Delta$ = {row['best_constant_Delta']:.3f} "
                         f"({res.constant_objective:.5f})")
        axes[i + 1].set_title(rf"$\Delta_F$ = {dF}: notebook optimum {NOTEBOOK[dF]:.5f}", fontsize=10)
        axes[i + 1].set_xlabel(r"$\alpha$ (the notebook's t = 5$\alpha$)")
        axes[i + 1].set_ylabel("test MSE (notebook's objective, N = 1000)")
        axes[i + 1].set_ylim(min(obs_opt["mse_nb"]) - 0.05, max(obs_c["mse_nb"][len(t) // 4:]) + 0.1)
        axes[i + 1].legend(fontsize=8)
        print(json.dumps({k: v for k, v in row.items() if k != "schedule"}))
    axes[0].set_xlabel(r"$\alpha$")
    axes[0].set_ylabel(r"training noise $\Delta(\alpha)$")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(HERE / "opt_dae_paper.png", dpi=120)
    (HERE / "opt_dae_paper.json").write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()

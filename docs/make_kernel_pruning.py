"""docs/kernel_pruning.png: head-pruning curves of the attention-paths theory.

    python docs/make_kernel_pruning.py [--digits-N 100]

Test accuracy (top) and test MSE of the mean predictor (bottom) against the number of pruned
heads, heads pruned in ascending order of the theory's head scores (`pruning.csv` of
`statc run`, runtime/kernel/pruning.py), for the renormalised theory at finite width and the
GP limit with the same heads pruned; dashed: the control order, highest score first; dotted:
the per-layer curves (`pruning_layers.csv`: one layer's heads pruned, lowest score first, the
other layers intact).
Left: models/attention_paths.model at N = 30 (P = 100); right: models/digits_attention.model
at N = 100 (P = 600, 2 layers x 4 heads with query-key matrices from gradient descent).
Writes docs/kernel_pruning.json with the numbers.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import statc
from statc.runtime.kernel import runner
from statc.runtime.kernel.from_model import solve_inputs
from statc.runtime.kernel.paths import kernel_factor, path_features
from statc.runtime.kernel.pruning import pruning_curve, pruning_order
from statc.runtime.results import write_figure, write_json

HERE = Path(__file__).resolve().parent
MODELS = HERE.parent / "models"


def curves(model: Path, overrides: dict[str, float]) -> dict:
    compiled = statc.load(model).compiled
    res = runner.run(compiled, overrides, restarts=0)
    s = res.summary
    _, v, d, layers, arch = solve_inputs(compiled, overrides, None)
    readout, token = compiled.meta["readout"], int(v.get("token", 0))
    F = kernel_factor(path_features(d.x_train, layers, d.matrices, readout, token), arch.sigma0)
    Ft = kernel_factor(path_features(d.x_test, layers, d.matrices, readout, token), arch.sigma0)
    U = np.array(s["U"])
    names = [[h.name for h in layer] for layer in layers]
    worst = pruning_curve(F, d.y_train, v["temperature"], U, arch.gp_point()[0], Ft, d.y_test, arch.heads,
                          pruning_order([list(row.values()) for row in s["observables"]["theory"]["head_scores"]],
                                        names, descending=True))
    return {"model": compiled.meta["model"], "N": s["N"], "P": s["P"], "T": s["T"],
            "by_score": s["pruning"], "highest_first": worst, "by_layer": s["pruning_by_layer"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--digits-N", type=float, default=100.0)
    args = ap.parse_args()
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    runs = [curves(MODELS / "attention_paths.model", {"N": 30}),
            curves(MODELS / "digits_attention.model", {"N": args.digits_N})]
    fig, axes = plt.subplots(2, 2, figsize=(10, 6.5), sharex="col")
    for col, r in enumerate(runs):
        k = [row["pruned"] for row in r["by_score"]]
        labels = ["none"] + [f"L{row['layer']} {row['head']}" for row in r["by_score"][1:]]
        for row_ax, (key, what) in enumerate((("accuracy", "test accuracy"), ("test_mse", "test MSE"))):
            ax = axes[row_ax, col]
            ax.plot(k, [row[key] for row in r["by_score"]], "o-", color="C0", label="theory, lowest score first")
            ax.plot(k, [row[f"{key}_gp"] for row in r["by_score"]], "s-", color="k",
                    label="GP limit, same heads")
            ax.plot(k, [row[key] for row in r["highest_first"]], "o--", color="C3", alpha=0.7,
                    label="theory, highest score first")
            ax.plot(k, [row[f"{key}_gp"] for row in r["highest_first"]], "s--", color="gray", alpha=0.7,
                    label="GP limit, highest first")
            for i, (name, rows) in enumerate(r["by_layer"].items()):
                ax.plot([row["pruned"] for row in rows], [row[key] for row in rows], "^:", color=("C2", "C1", "C4", "C5")[i % 4],
                        alpha=0.8, label=f"theory, {name.replace('layer', 'layer ')} only")
            ax.set_ylabel(what)
            if row_ax == 0:
                ax.set_title(f"{r['model']}: N = {r['N']:g}, P = {r['P']}, T = {r['T']:g}", fontsize=9)
            if row_ax == 1:
                ax.set_xticks(k, labels, rotation=30, fontsize=7)
                ax.set_xlabel("number of pruned heads (labels: the lowest-score-first order)")
        axes[0, col].legend(fontsize=7)
    fig.tight_layout()
    write_figure(HERE / "kernel_pruning.png", fig)
    write_json(HERE / "kernel_pruning.json", {"runs": runs})
    for r in runs:
        print(r["model"], [(row["head"], round(row["accuracy"], 4), round(row["accuracy_gp"], 4))
                           for row in r["by_score"]])
        for name, rows in r["by_layer"].items():
            print("   ", name, [(row["head"], round(row["accuracy"], 4), round(row["accuracy_gp"], 4))
                                for row in rows])


if __name__ == "__main__":
    main()
